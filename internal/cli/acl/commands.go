package acl

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func createCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var sel selection
	cmd := &cobra.Command{
		Use:   "create (--allow-principal P | --deny-principal P)... RESOURCE... --operation OP...",
		Short: "Create ACLs",
		Long: `Create the ACLs for every combination of the principals, resources and
operations given (kafka-acls.sh --add). An ACL equal to an existing one is
kept once.`,
		Example: `  strom acl create --allow-principal User:alice --operation read --operation describe --topic orders --group billing
  strom acl create --allow-principal User:app --operation write --topic app- --resource-pattern-type prefixed
  strom acl create --deny-principal User:* --operation all --topic secret --deny-host 10.0.0.7
  strom acl create --allow-principal User:app --operation write --transactional-id app-txn
  strom acl create --allow-principal User:ops --operation alter --operation describe --cluster`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := sel.builder(false)
			if err != nil {
				return err
			}
			var rows []row
			failed := false
			err = cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				res, err := adm.CreateACLs(ctx, b)
				if err != nil {
					return err
				}
				for _, r := range res {
					x := newRow(r.Principal, r.Host, r.Type, r.Name, r.Pattern, r.Operation, r.Permission)
					if r.Err != nil {
						x.Error, failed = kafka.ErrorText(r.Err, r.ErrMessage), true
					}
					rows = append(rows, x)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := printRows(cmd, format, rows, true); err != nil {
				return err
			}
			if failed {
				return errors.New("some ACLs were not created")
			}
			return nil
		},
	}
	sel.register(cmd, false)
	return cmd
}

func listCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var sel selection
	cmd := &cobra.Command{
		Use:   "list [FILTERS]",
		Short: "List ACLs",
		Long: `List the ACLs the filters select (kafka-acls.sh --list); without filters,
all. --resource-pattern-type match lists the ACLs that apply to the named
resource: literal, wildcard and prefixed.`,
		Example: `  strom acl list
  strom acl list --topic orders --resource-pattern-type match
  strom acl list --allow-principal User:alice --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFilter(cmd, cfg, format, &sel, func(ctx context.Context, adm *kadm.Client, b *kadm.ACLBuilder, acc *rowSet) error {
				res, err := adm.DescribeACLs(ctx, b)
				if err != nil {
					return err
				}
				for _, r := range res {
					if r.Err != nil {
						return errors.New(kafka.ErrorText(r.Err, r.ErrMessage))
					}
					for _, d := range r.Described {
						acc.add(newRow(d.Principal, d.Host, d.Type, d.Name, d.Pattern, d.Operation, d.Permission))
					}
				}
				return nil
			})
		},
	}
	sel.register(cmd, true)
	return cmd
}

func deleteCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var sel selection
	cmd := &cobra.Command{
		Use:   "delete FILTERS",
		Short: "Delete the ACLs the filters select",
		Long: `Delete every ACL the filters select (kafka-acls.sh --remove) and print them.
Name at least a resource or a principal: deleting every ACL takes both
--topic '*' style filters spelled out.`,
		Example: `  strom acl delete --allow-principal User:alice --topic orders
  strom acl delete --deny-principal User:* --topic secret --operation all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(sel.topics)+len(sel.groups)+len(sel.txnIDs)+len(sel.allow)+len(sel.deny) == 0 && !sel.cluster {
				return errors.New("name a resource or a principal to delete ACLs")
			}
			return runFilter(cmd, cfg, format, &sel, func(ctx context.Context, adm *kadm.Client, b *kadm.ACLBuilder, acc *rowSet) error {
				res, err := adm.DeleteACLs(ctx, b)
				if err != nil {
					return err
				}
				for _, r := range res {
					if r.Err != nil {
						return errors.New(kafka.ErrorText(r.Err, r.ErrMessage))
					}
					for _, d := range r.Deleted {
						acc.add(newRow(d.Principal, d.Host, d.Type, d.Name, d.Pattern, d.Operation, d.Permission))
					}
				}
				return nil
			})
		},
	}
	sel.register(cmd, true)
	return cmd
}

// runFilter runs a filtering request (list, delete) with the selection's
// filters and prints the ACLs query collected.
func runFilter(cmd *cobra.Command, cfg *kafka.Config, format *out.Format, sel *selection,
	query func(ctx context.Context, adm *kadm.Client, b *kadm.ACLBuilder, acc *rowSet) error) error {
	b, err := sel.builder(true)
	if err != nil {
		return err
	}
	var acc rowSet
	if err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error { return query(ctx, adm, b, &acc) }); err != nil {
		return err
	}
	return printRows(cmd, format, acc.rows, false)
}

// rowSet collects rows once each: several filters may select one ACL.
type rowSet struct {
	rows []row
	seen map[row]bool
}

func (s *rowSet) add(r row) {
	if s.seen == nil {
		s.seen = map[row]bool{}
	}
	if !s.seen[r] {
		s.seen[r] = true
		s.rows = append(s.rows, r)
	}
}
