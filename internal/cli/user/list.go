package user

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// listed is one credential in the output.
type listed struct {
	User       string `json:"user"`
	Mechanism  string `json:"mechanism"`
	Iterations int32  `json:"iterations"`
}

func listCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	return &cobra.Command{
		Use:   "list [NAME]...",
		Short: "List SCRAM users and their mechanisms",
		Example: `  strom user list
  strom user list alice bob --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rows := []listed{}
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				described, err := adm.DescribeUserSCRAMs(ctx, args...)
				if err != nil {
					return err
				}
				for _, d := range described.Sorted() {
					if d.Err != nil {
						if errors.Is(d.Err, kerr.ResourceNotFound) {
							continue // a named user without credentials: not listed
						}
						return errors.New(d.User + ": " + kafka.ErrorText(d.Err, d.ErrMessage))
					}
					for _, ci := range d.CredInfos {
						rows = append(rows, listed{User: d.User, Mechanism: ci.Mechanism.String(), Iterations: ci.Iterations})
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				t := make([][]string, len(rows))
				for i, r := range rows {
					t[i] = []string{r.User, r.Mechanism, strconv.Itoa(int(r.Iterations))}
				}
				return out.Table(w, []string{"user", "mechanism", "iterations"}, t)
			})
		},
	}
}
