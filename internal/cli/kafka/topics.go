package kafka

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// SelectPartitions resolves --topic values, each "topic" (every partition)
// or "topic:0,1" (those partitions), into partitions per topic; topics named
// whole are looked up in the cluster and must exist.
func SelectPartitions(ctx context.Context, adm *kadm.Client, specs []string) (map[string][]int32, error) {
	sel := map[string][]int32{}
	var whole []string
	for _, spec := range specs {
		t, ps, hasParts := strings.Cut(spec, ":")
		if !hasParts {
			whole = append(whole, t)
			continue
		}
		for _, s := range strings.Split(ps, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("--topic %q: partitions must be numbers", spec)
			}
			sel[t] = append(sel[t], int32(n))
		}
	}
	if len(whole) > 0 {
		td, err := adm.ListTopics(ctx, whole...)
		if err != nil {
			return nil, err
		}
		for _, t := range whole {
			if e := td[t].Err; e != nil {
				return nil, fmt.Errorf("topic %s: %w", t, e)
			}
			sel[t] = td[t].Partitions.Numbers()
		}
	}
	return sel, nil
}
