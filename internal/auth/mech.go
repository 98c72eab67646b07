package auth

import "errors"

// A Mechanism is a SASL mechanism the broker offers.
type Mechanism interface {
	Name() string
	// NewSession starts the server side of one exchange.
	NewSession() Session
}

// Session is the server side of one SASL exchange. Step takes the
// client's next message and returns the reply; done once the client is
// authenticated, when User names it. An error fails authentication; its
// text is safe to send to the client.
type Session interface {
	Step(clientMsg []byte) (reply []byte, done bool, err error)
	User() string
}

// errInvalidCredentials is what a client learns of any failed exchange:
// nothing that tells a wrong password from an unknown user.
var errInvalidCredentials = errors.New("Authentication failed: Invalid username or password")
