package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Environment variables for the security flags; secrets are better given
// here than on a command line, which other users can see.
const (
	SASLMechanismEnv = "STROM_SASL_MECHANISM"
	SASLUserEnv      = "STROM_SASL_USER"
	SASLPasswordEnv  = "STROM_SASL_PASSWORD"
	TLSCAEnv         = "STROM_TLS_CA"
)

// Security is how a command connects: TLS and SASL, like a Kafka client's
// security.protocol (TLS on: SSL or SASL_SSL; a mechanism: SASL_*).
type Security struct {
	TLS                bool
	CAFile             string
	CertFile, KeyFile  string
	ServerName         string
	InsecureSkipVerify bool

	Mechanism, User, Password string
}

// Register adds the TLS and SASL flags.
func (s *Security) Register(fs *pflag.FlagSet) {
	fs.BoolVar(&s.TLS, "tls", false, "connect with TLS (implied by the other --tls-* flags)")
	fs.StringVar(&s.CAFile, "tls-ca", os.Getenv(TLSCAEnv), "PEM file of the CA certificates to trust (env "+TLSCAEnv+"); default: the system's")
	fs.StringVar(&s.CertFile, "tls-cert", "", "PEM client certificate, for listeners with ssl.client.auth")
	fs.StringVar(&s.KeyFile, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&s.ServerName, "tls-server-name", "", "host name to verify in the broker's certificate (default: the one dialled)")
	fs.BoolVar(&s.InsecureSkipVerify, "tls-insecure-skip-verify", false, "do not verify the broker's certificate (testing only)")
	fs.StringVar(&s.Mechanism, "sasl-mechanism", os.Getenv(SASLMechanismEnv), "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (env "+SASLMechanismEnv+")")
	fs.StringVar(&s.User, "sasl-user", os.Getenv(SASLUserEnv), "SASL user (env "+SASLUserEnv+")")
	fs.StringVar(&s.Password, "sasl-password", "", "SASL password; prefer env "+SASLPasswordEnv)
}

// Opts are the franz-go options for the configured security.
func (s *Security) Opts() ([]kgo.Opt, error) {
	var opts []kgo.Opt
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		opts = append(opts, kgo.DialTLSConfig(tlsCfg))
	}
	if s.Mechanism == "" {
		if s.User != "" {
			return nil, errors.New("--sasl-user needs --sasl-mechanism")
		}
		return opts, nil
	}
	password := s.Password
	if password == "" {
		password = os.Getenv(SASLPasswordEnv)
	}
	if s.User == "" || password == "" {
		return nil, fmt.Errorf("--sasl-mechanism %s needs --sasl-user and a password (--sasl-password or %s)", s.Mechanism, SASLPasswordEnv)
	}
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: s.User, Pass: password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: password}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("unknown --sasl-mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
	}
	return opts, nil
}

// tlsConfig is nil when TLS is off.
func (s *Security) tlsConfig() (*tls.Config, error) {
	if !s.TLS && s.CAFile == "" && s.CertFile == "" && s.ServerName == "" && !s.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName, InsecureSkipVerify: s.InsecureSkipVerify} //nolint:gosec // the flag says so
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", s.CAFile)
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
