package wire

import "github.com/twmb/franz-go/pkg/kmsg"

// Pending is a response that is not ready yet: an acks=all Produce whose
// records wait for the followers. A handler returns one instead of
// blocking, and the connection keeps serving the requests already behind
// it; responses are still written in request order, as Kafka clients
// require.
//
// It satisfies kmsg.Response only so a Handler can return it; the
// connection unwraps it and never calls those methods (the embedded nil
// interface would panic).
type Pending struct {
	kmsg.Response
	done chan struct{}
	resp kmsg.Response
	err  error
}

// NewPending returns a response to Complete later.
func NewPending() *Pending { return &Pending{done: make(chan struct{})} }

// Complete sets the outcome; call it exactly once. A nil response with a
// nil error sends nothing; an error closes the connection, as for Handler.
func (p *Pending) Complete(resp kmsg.Response, err error) {
	p.resp, p.err = resp, err
	close(p.done)
}

// Done is closed once Complete has been called.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Result is the outcome; valid after Done.
func (p *Pending) Result() (kmsg.Response, error) { return p.resp, p.err }
