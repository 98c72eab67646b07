package auth

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ClientSASL is the mechanism this broker authenticates with when it
// connects to another node's SASL listener: Kafka takes the username and
// password options of that listener's JAAS config for the mechanism (the
// same entry whose user_<name> options list PLAIN's users).
func ClientSASL(mechanism string, j JAAS) (sasl.Mechanism, error) {
	user, password := j.Options["username"], j.Options["password"]
	if user == "" {
		return nil, fmt.Errorf("the JAAS config for %s has no username and password for this broker to authenticate with", mechanism)
	}
	switch strings.ToUpper(mechanism) {
	case "PLAIN":
		return plain.Auth{User: user, Pass: password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: password}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("SASL mechanism %s is not supported between brokers (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)", mechanism)
}
