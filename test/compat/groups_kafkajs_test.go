package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// jsGroups is what js/groups.js prints.
type jsGroups struct {
	Version string
	Error   string
	Split   jsStep
	All     jsStep
	Resume  jsStep
}

// jsMember is one consumer's report: its latest assignment and its messages
// as "partition/offset value".
type jsMember struct {
	Assignment []int32
	Messages   []string
}

// jsProduced is what groups.js produces: p<P>-<i> at offset i, 10 per partition.
func jsProduced() map[int32][]string {
	out := map[int32][]string{}
	for p := range int32(2) {
		for i := range 10 {
			out[p] = append(out[p], recordLine(p, int64(i), fmt.Sprintf("p%d-%d", p, i)))
		}
	}
	return out
}

func TestKafkaJSGroups(t *testing.T) {
	needKafkaJS(t)
	topic := topicName(t)
	prefix := groupName(t, "")

	var rt jsGroups
	var err error
	ran := func(t *testing.T) {
		t.Helper()
		needGroups(t)
		if rt.Version == "" && err == nil {
			var out, errOut string
			out, errOut, err = runCmdErr("", "node", "js/groups.js", brokerAddr, topic, prefix)
			if err == nil {
				err = json.Unmarshal([]byte(out), &rt)
			}
			if err == nil && rt.Error != "" {
				err = errors.New(rt.Error)
			}
			if err != nil {
				err = fmt.Errorf("node js/groups.js: %w\nstdout:\n%s\nstderr:\n%s", err, out, tail(errOut, 30))
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	want := jsProduced()

	scenario(t, clientKafkaJS, groupSplit, func(t *testing.T) {
		ran(t)
		var r struct{ A, B jsMember }
		rt.Split.ok(t, "two consumers in one group", &r)
		if len(r.A.Assignment) != 1 || len(r.B.Assignment) != 1 || r.A.Assignment[0] == r.B.Assignment[0] {
			t.Fatalf("assignments %v and %v, want one partition each", r.A.Assignment, r.B.Assignment)
		}
		for _, m := range []jsMember{r.A, r.B} {
			p := m.Assignment[0]
			samePerPartition(t, fmt.Sprintf("member holding partition %d", p), m.Messages, map[int32][]string{p: want[p]})
		}
	})

	scenario(t, clientKafkaJS, groupConsume, func(t *testing.T) {
		ran(t)
		var r jsMember
		rt.All.ok(t, "consumer fromBeginning", &r)
		if len(r.Assignment) != 2 {
			t.Fatalf("assignment %v, want both partitions", r.Assignment)
		}
		samePerPartition(t, "fromBeginning", r.Messages, want)
	})

	scenario(t, clientKafkaJS, groupResume, func(t *testing.T) {
		ran(t)
		var r struct {
			Committed []struct {
				Topic      string
				Partitions []struct {
					Partition int32
					Offset    string
				}
			}
			First, Second jsMember
		}
		rt.Resume.ok(t, "commitOffsets, then a new consumer", &r)
		samePerPartition(t, "first consumer", r.First.Messages, want)
		got := map[int32]string{}
		for _, tp := range r.Committed {
			for _, p := range tp.Partitions {
				if tp.Topic == topic {
					got[p.Partition] = p.Offset
				}
			}
		}
		if got[0] != "4" || got[1] != "7" {
			t.Fatalf("admin.fetchOffsets = %+v, want partition 0 at 4 and 1 at 7", r.Committed)
		}
		requireCommitted(t, prefix+"-resume", topic, map[int32]int64{0: 10, 1: 10})
		samePerPartition(t, "consumer after the commit", r.Second.Messages,
			map[int32][]string{0: want[0][4:], 1: want[1][7:]})
	})
}
