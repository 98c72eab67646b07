package topic

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

type common struct {
	kafka.Config
	format out.Format
}

// NewCommand returns `strom topic` and its subcommands.
func NewCommand() *cobra.Command {
	c := &common{}
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe, grow and delete topics",
		Args:  cobra.NoArgs,
	}
	c.Config.Register(cmd.PersistentFlags())
	c.format.Register(cmd.PersistentFlags())
	cmd.AddCommand(newCreate(c), newList(c), newDescribe(c), newDelete(c), newAddPartitions(c), newTrim(c), newAlterConfig(c), newReassign(c), newReassignments(c))
	return cmd
}

// selectTopics resolves names, or regular expressions with --regex, against
// the cluster's topics.
func selectTopics(all kadm.TopicDetails, args []string, regex bool) ([]string, error) {
	if !regex {
		return args, nil
	}
	seen := map[string]bool{}
	for _, a := range args {
		re, err := regexp.Compile("^(?:" + a + ")$")
		if err != nil {
			return nil, fmt.Errorf("--regex %q: %w", a, err)
		}
		for name := range all {
			if re.MatchString(name) {
				seen[name] = true
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no topic matches %q", args)
	}
	return out, nil
}
