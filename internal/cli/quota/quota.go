package quota

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// NewCommand returns `strom quota` and its subcommands.
func NewCommand() *cobra.Command {
	var (
		cfg    kafka.Config
		format out.Format
	)
	cmd := &cobra.Command{
		Use:   "quota",
		Short: "Show and change client quotas per user and client id",
		Long: `Client quotas limit what a client may do on each broker: producer_byte_rate
and consumer_byte_rate in bytes per second, request_percentage in percent of
one request thread's time. A quota belongs to an entity: a user, a client id,
or both, each of which may be the default entity (--default-user,
--default-client-id). The most specific entity that has a quota applies
(see docs/design/quotas.md); clients over it get throttle_time_ms and wait.`,
		Args: cobra.NoArgs,
	}
	cfg.Register(cmd.PersistentFlags())
	format.Register(cmd.PersistentFlags())
	cmd.AddCommand(alterCommand(&cfg, &format), describeCommand(&cfg, &format))
	return cmd
}

// entityFlags are --user, --client-id, --default-user, --default-client-id.
type entityFlags struct {
	user, clientID               string
	defaultUser, defaultClientID bool
}

func (e *entityFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&e.user, "user", "", "the user (principal name, e.g. alice)")
	cmd.Flags().StringVar(&e.clientID, "client-id", "", "the client id")
	cmd.Flags().BoolVar(&e.defaultUser, "default-user", false, "the default user entity")
	cmd.Flags().BoolVar(&e.defaultClientID, "default-client-id", false, "the default client id entity")
}

// entity is the entity the flags name; it may be empty.
func (e *entityFlags) entity() (kadm.ClientQuotaEntity, error) {
	if (e.user != "" && e.defaultUser) || (e.clientID != "" && e.defaultClientID) {
		return nil, errors.New("give a name or the default for each entity type, not both")
	}
	var ent kadm.ClientQuotaEntity
	switch {
	case e.defaultUser:
		ent = append(ent, kadm.ClientQuotaEntityComponent{Type: "user"})
	case e.user != "":
		ent = append(ent, kadm.ClientQuotaEntityComponent{Type: "user", Name: &e.user})
	}
	switch {
	case e.defaultClientID:
		ent = append(ent, kadm.ClientQuotaEntityComponent{Type: "client-id"})
	case e.clientID != "":
		ent = append(ent, kadm.ClientQuotaEntityComponent{Type: "client-id", Name: &e.clientID})
	}
	return ent, nil
}

// entityText formats an entity as "user=alice, client-id=<default>".
func entityText(ent kadm.ClientQuotaEntity) string {
	s := ent.String()
	return s[1 : len(s)-1]
}
