package user

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func deleteCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var mechanism string
	cmd := &cobra.Command{
		Use:   "delete NAME [--mechanism SCRAM-SHA-256|SCRAM-SHA-512|both]",
		Short: "Delete a SCRAM user's credentials",
		Long: `Delete the user's credentials for the mechanism (all of them by default).
Connections already authenticated stay open until they re-authenticate or
close; ACLs naming the user are kept.`,
		Example: `  strom user delete alice
  strom user delete alice --mechanism SCRAM-SHA-512`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			mechs, err := mechanisms(mechanism)
			if err != nil {
				return err
			}
			err = cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				described, err := adm.DescribeUserSCRAMs(ctx, name)
				if err != nil {
					return err
				}
				have := existing(described, name)
				var dels []kadm.DeleteSCRAM
				for _, m := range mechs {
					if have[m] {
						dels = append(dels, kadm.DeleteSCRAM{User: name, Mechanism: m})
					}
				}
				if len(dels) == 0 {
					return fmt.Errorf("user %s has no %s credential", name, mechanism)
				}
				altered, err := adm.AlterUserSCRAMs(ctx, dels, nil)
				if err != nil {
					return err
				}
				if r := altered[name]; r.Err != nil {
					return fmt.Errorf("user %s: %s", name, kafka.ErrorText(r.Err, r.ErrMessage))
				}
				return nil
			})
			if err != nil {
				return err
			}
			return printResults(cmd, format, []result{{User: name, Status: "deleted"}})
		},
	}
	cmd.Flags().StringVar(&mechanism, "mechanism", "both", "SCRAM-SHA-256, SCRAM-SHA-512, or both")
	return cmd
}
