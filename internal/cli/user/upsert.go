package user

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// upsertCommand is `user create` (create) or `user update`: create refuses
// a user that already has a credential for the mechanism, update one that
// has none, so a typo never silently adds or replaces a user.
func upsertCommand(cfg *kafka.Config, format *out.Format, create bool) *cobra.Command {
	var (
		pass       string
		passStdin  bool
		mechanism  string
		iterations int32
	)
	use, short, verb := "create", "Create a SCRAM user", "created"
	if !create {
		use, short, verb = "update", "Change a SCRAM user's password", "updated"
	}
	cmd := &cobra.Command{
		Use:   use + " NAME (--password P | --password-stdin) [--mechanism SCRAM-SHA-256|SCRAM-SHA-512|both]",
		Short: short,
		Example: fmt.Sprintf(`  strom user %[1]s alice --password alice-secret
  echo alice-secret | strom user %[1]s alice --password-stdin --mechanism both
  strom user %[1]s alice --password alice-secret --mechanism SCRAM-SHA-512 --iterations 8192`, use),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			mechs, err := mechanisms(mechanism)
			if err != nil {
				return err
			}
			pw, err := password(pass, passStdin, cmd.InOrStdin())
			if err != nil {
				return err
			}
			err = cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				described, err := adm.DescribeUserSCRAMs(ctx, name)
				if err != nil {
					return err
				}
				have := existing(described, name)
				var ups []kadm.UpsertSCRAM
				for _, m := range mechs {
					switch {
					case create && have[m]:
						return fmt.Errorf("user %s already has a %s credential (use strom user update)", name, m)
					case !create && !have[m]:
						return fmt.Errorf("user %s has no %s credential (use strom user create)", name, m)
					}
					ups = append(ups, kadm.UpsertSCRAM{User: name, Mechanism: m, Iterations: iterations, Password: pw})
				}
				altered, err := adm.AlterUserSCRAMs(ctx, nil, ups)
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
			return printResults(cmd, format, []result{{User: name, Status: fmt.Sprintf("%s (%s)", verb, mechanism)}})
		},
	}
	cmd.Flags().StringVar(&pass, "password", "", "the password")
	cmd.Flags().BoolVar(&passStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.Flags().StringVar(&mechanism, "mechanism", "SCRAM-SHA-256", "SCRAM-SHA-256, SCRAM-SHA-512, or both")
	cmd.Flags().Int32Var(&iterations, "iterations", 4096, "PBKDF2 iterations (4096 to 16384)")
	return cmd
}
