// Package acl is `strom acl`: Kafka ACLs, as kafka-acls.sh and rpk's
// `security acl`.
package acl

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// NewCommand returns `strom acl` and its subcommands.
func NewCommand() *cobra.Command {
	var (
		cfg    kafka.Config
		format out.Format
	)
	cmd := &cobra.Command{
		Use:   "acl",
		Short: "Manage ACLs",
		Long: `ACLs say which principal may do what on which resource (topics, groups,
transactional ids, the cluster). They are enforced when the brokers run with
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
and kept in the metadata log. A DENY beats any ALLOW; READ, WRITE, DELETE and
ALTER imply DESCRIBE. See docs/security.md.`,
		Args: cobra.NoArgs,
	}
	cfg.Register(cmd.PersistentFlags())
	format.Register(cmd.PersistentFlags())
	cmd.AddCommand(createCommand(&cfg, &format), listCommand(&cfg, &format), deleteCommand(&cfg, &format))
	return cmd
}

// selection is the flags naming principals, hosts, resources and
// operations, shared by create, list and delete.
type selection struct {
	allow, deny            []string
	allowHosts, denyHosts  []string
	topics, groups, txnIDs []string
	cluster                bool
	operations             []string
	pattern                string
}

func (s *selection) register(cmd *cobra.Command, filter bool) {
	f := cmd.Flags()
	f.StringSliceVar(&s.allow, "allow-principal", nil, "principal to allow, e.g. User:alice (repeatable)")
	f.StringSliceVar(&s.deny, "deny-principal", nil, "principal to deny (repeatable)")
	f.StringSliceVar(&s.allowHosts, "allow-host", nil, "host the allow applies to (default *)")
	f.StringSliceVar(&s.denyHosts, "deny-host", nil, "host the deny applies to (default *)")
	f.StringSliceVar(&s.topics, "topic", nil, "topic (repeatable; * for all)")
	f.StringSliceVar(&s.groups, "group", nil, "consumer group (repeatable)")
	f.StringSliceVar(&s.txnIDs, "transactional-id", nil, "transactional id (repeatable)")
	f.BoolVar(&s.cluster, "cluster", false, "the cluster resource")
	ops := "operation: all, read, write, create, delete, alter, describe, cluster_action, describe_configs, alter_configs, idempotent_write (repeatable)"
	pattern := "literal or prefixed"
	if filter {
		ops += "; default any"
		pattern = "any, match, literal or prefixed (default any)"
	}
	f.StringSliceVar(&s.operations, "operation", nil, ops)
	f.StringVar(&s.pattern, "resource-pattern-type", "", pattern)
}

// builder turns the flags into a kadm ACL builder; for filters, what is
// not given matches anything.
func (s *selection) builder(filter bool) (*kadm.ACLBuilder, error) {
	b := kadm.NewACLs()
	named := len(s.topics)+len(s.groups)+len(s.txnIDs) > 0 || s.cluster
	switch {
	case named:
		b.MaybeTopics(s.topics...).MaybeGroups(s.groups...).MaybeTransactionalIDs(s.txnIDs...).MaybeClusters(s.cluster)
	case filter:
		b.AnyResource()
	default:
		return nil, errors.New("name a resource: --topic, --group, --transactional-id or --cluster")
	}
	var ops []kadm.ACLOperation
	for _, o := range s.operations {
		op, err := kmsg.ParseACLOperation(strings.ToLower(strings.ReplaceAll(o, "-", "_")))
		if err != nil || op == kmsg.ACLOperationUnknown {
			return nil, fmt.Errorf("unknown --operation %q", o)
		}
		ops = append(ops, op)
	}
	switch {
	case len(ops) > 0:
		b.Operations(ops...)
	case filter:
		b.Operations(kadm.OpAny)
	default:
		return nil, errors.New("give at least one --operation")
	}
	pattern := s.pattern
	if pattern == "" {
		pattern = "literal"
		if filter {
			pattern = "any"
		}
	}
	pt, err := kmsg.ParseACLResourcePatternType(strings.ToLower(pattern))
	if err != nil || pt == kmsg.ACLResourcePatternTypeUnknown {
		return nil, fmt.Errorf("unknown --resource-pattern-type %q", s.pattern)
	}
	b.ResourcePatternType(pt)
	if !filter && len(s.allow)+len(s.deny) == 0 {
		return nil, errors.New("give --allow-principal or --deny-principal")
	}
	if filter && len(s.allow)+len(s.deny) == 0 {
		return b.Allow().Deny().AllowHosts(s.allowHosts...).DenyHosts(s.denyHosts...), nil
	}
	b.MaybeAllow(s.allow...).MaybeDeny(s.deny...)
	if len(s.allow) > 0 {
		b.AllowHosts(s.allowHosts...)
	}
	if len(s.deny) > 0 {
		b.DenyHosts(s.denyHosts...)
	}
	return b, nil
}

// row is one ACL in the output.
type row struct {
	Principal    string `json:"principal"`
	Host         string `json:"host"`
	ResourceType string `json:"resource_type"`
	Resource     string `json:"resource"`
	Pattern      string `json:"pattern"`
	Operation    string `json:"operation"`
	Permission   string `json:"permission"`
	Error        string `json:"error,omitempty"`
}

func newRow(principal, host string, rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType,
	op kmsg.ACLOperation, perm kmsg.ACLPermissionType) row {
	return row{Principal: principal, Host: host, ResourceType: rt.String(), Resource: name, Pattern: pt.String(),
		Operation: op.String(), Permission: perm.String()}
}

func printRows(cmd *cobra.Command, format *out.Format, rows []row, withErr bool) error {
	if rows == nil {
		rows = []row{}
	}
	return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
		head := []string{"principal", "host", "resource-type", "resource", "pattern", "operation", "permission"}
		if withErr {
			head = append(head, "status")
		}
		t := make([][]string, len(rows))
		for i, r := range rows {
			t[i] = []string{r.Principal, r.Host, r.ResourceType, r.Resource, r.Pattern, r.Operation, r.Permission}
			if withErr {
				st := "OK"
				if r.Error != "" {
					st = r.Error
				}
				t[i] = append(t[i], st)
			}
		}
		return out.Table(w, head, t)
	})
}
