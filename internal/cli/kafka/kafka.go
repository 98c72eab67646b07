package kafka

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BrokersEnv sets the default --brokers.
const BrokersEnv = "STROM_BROKERS"

// Config is the connection part of every client command. Register it on a
// command's persistent flags.
type Config struct {
	Brokers  []string
	Timeout  time.Duration
	Security Security
}

// Register adds --brokers, --timeout and the TLS and SASL flags.
func (c *Config) Register(fs *pflag.FlagSet) {
	fs.StringSliceVarP(&c.Brokers, "brokers", "b", DefaultBrokers(), "seed brokers, host:port, comma-separated (env "+BrokersEnv+")")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "how long to wait for the cluster")
	c.Security.Register(fs)
}

// DefaultBrokers is STROM_BROKERS or 127.0.0.1:9092.
func DefaultBrokers() []string {
	if v := strings.TrimSpace(os.Getenv(BrokersEnv)); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"127.0.0.1:9092"}
}

// Client builds a franz-go client with the seed brokers and extra options.
func (c *Config) Client(opts ...kgo.Opt) (*kgo.Client, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("no brokers: set --brokers or " + BrokersEnv)
	}
	sec, err := c.Security.Opts()
	if err != nil {
		return nil, err
	}
	base := append([]kgo.Opt{kgo.SeedBrokers(c.Brokers...), kgo.DialTimeout(c.Timeout)}, sec...)
	return kgo.NewClient(append(base, opts...)...)
}

// Admin builds an admin client; close it with the returned client's Close.
func (c *Config) Admin() (*kgo.Client, *kadm.Client, error) {
	cl, err := c.Client()
	if err != nil {
		return nil, nil, err
	}
	return cl, kadm.NewClient(cl), nil
}

// Context bounds one command's work by --timeout.
func (c *Config) Context(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, c.Timeout)
}

// Explain turns a client error into one line a person can act on.
func (c *Config) Explain(err error) error {
	if err == nil {
		return nil
	}
	var ke *kerr.Error
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("no broker reachable at %s (is strom running? set --brokers or %s): %w", strings.Join(c.Brokers, ","), BrokersEnv, err)
	case errors.As(err, &ke):
		switch ke {
		case kerr.UnknownTopicOrPartition, kerr.UnknownTopicID:
			return fmt.Errorf("unknown topic: %w", err)
		case kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed,
			kerr.TransactionalIDAuthorizationFailed:
			return fmt.Errorf("not authorized: %w", err)
		case kerr.SaslAuthenticationFailed:
			return fmt.Errorf("authentication failed (check --sasl-user and the password): %w", err)
		case kerr.UnsupportedSaslMechanism, kerr.IllegalSaslState:
			return fmt.Errorf("the broker does not offer --sasl-mechanism %s on this listener: %w", c.Security.Mechanism, err)
		case kerr.InvalidConfig:
			return fmt.Errorf("invalid config: %w", err)
		}
	}
	return err
}

// ErrorText is a Kafka error as one line: the code's name and the broker's
// message when it sent one, else the code's generic description.
func ErrorText(err error, brokerMsg string) string {
	var ke *kerr.Error
	if brokerMsg != "" && errors.As(err, &ke) {
		return ke.Message + ": " + brokerMsg
	}
	return err.Error()
}

// TopicID prints a topic id as Kafka does: base64url without padding.
func TopicID(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// RunAdmin opens an admin client, bounds the work by --timeout, runs fn
// and turns its error into an actionable one.
func (c *Config) RunAdmin(parent context.Context, fn func(ctx context.Context, adm *kadm.Client) error) error {
	return c.RunClient(parent, func(ctx context.Context, cl *kgo.Client) error { return fn(ctx, kadm.NewClient(cl)) })
}

// RunClient is RunAdmin for requests kadm does not wrap.
func (c *Config) RunClient(parent context.Context, fn func(ctx context.Context, cl *kgo.Client) error) error {
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := c.Context(parent)
	defer cancel()
	return c.Explain(fn(ctx, cl))
}
