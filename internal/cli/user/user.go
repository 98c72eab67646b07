// Package user is `strom user`: SCRAM users (KIP-554), as rpk's
// `security user` and `kafka-configs.sh --entity-type users`.
package user

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// NewCommand returns `strom user` and its subcommands.
func NewCommand() *cobra.Command {
	var (
		cfg    kafka.Config
		format out.Format
	)
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage SCRAM users",
		Long: `SCRAM users authenticate on SASL listeners with SCRAM-SHA-256 or
SCRAM-SHA-512. The password is salted here, on the client; brokers keep only
keys derived from it, in the cluster's metadata log, so a user works on every
broker at once. PLAIN users are not managed here: they come from the brokers'
JAAS configuration (docs/security.md).`,
		Args: cobra.NoArgs,
	}
	cfg.Register(cmd.PersistentFlags())
	format.Register(cmd.PersistentFlags())
	cmd.AddCommand(upsertCommand(&cfg, &format, true), upsertCommand(&cfg, &format, false),
		deleteCommand(&cfg, &format), listCommand(&cfg, &format))
	return cmd
}

// mechanisms parses --mechanism: one name, or "both".
func mechanisms(s string) ([]kadm.ScramMechanism, error) {
	switch strings.ToUpper(s) {
	case "SCRAM-SHA-256":
		return []kadm.ScramMechanism{kadm.ScramSha256}, nil
	case "SCRAM-SHA-512":
		return []kadm.ScramMechanism{kadm.ScramSha512}, nil
	case "BOTH":
		return []kadm.ScramMechanism{kadm.ScramSha256, kadm.ScramSha512}, nil
	}
	return nil, fmt.Errorf("unknown mechanism %q: want SCRAM-SHA-256, SCRAM-SHA-512 or both", s)
}

// password is --password, or the first line of stdin with
// --password-stdin (kept out of shell history and process lists).
func password(flag string, fromStdin bool, stdin io.Reader) (string, error) {
	switch {
	case flag != "" && fromStdin:
		return "", errors.New("give --password or --password-stdin, not both")
	case fromStdin:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		flag = strings.TrimRight(line, "\r\n")
	}
	if flag == "" {
		return "", errors.New("a password is required: --password or --password-stdin")
	}
	return flag, nil
}

// result is one user's outcome in the output.
type result struct {
	User   string `json:"user"`
	Status string `json:"status"`
}

func printResults(cmd *cobra.Command, format *out.Format, rows []result) error {
	return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
		t := make([][]string, len(rows))
		for i, r := range rows {
			t[i] = []string{r.User, r.Status}
		}
		return out.Table(w, []string{"user", "status"}, t)
	})
}

// existing returns the mechanisms user has credentials for.
func existing(described kadm.DescribedUserSCRAMs, user string) map[kadm.ScramMechanism]bool {
	have := map[kadm.ScramMechanism]bool{}
	for _, ci := range described[user].CredInfos {
		have[ci.Mechanism] = true
	}
	return have
}
