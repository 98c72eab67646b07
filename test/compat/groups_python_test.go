package compat

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"testing"
)

// pyGroupRun is what py/*_group.py print.
type pyGroupRun struct {
	Version   string
	Consumed  []string
	Committed map[string]int64
	Error     *string
}

// runPyGroup runs one group member of script until it consumed n messages of
// topic, committed them and left; it fails t on any client error or unless the
// client reports committed (partition → next offset) as its commit.
func runPyGroup(t *testing.T, script, topic, group string, n int, committed map[int32]int64) []string {
	t.Helper()
	out := runCmd(t, "", systemPython, "py/"+script, brokerAddr, topic, group, strconv.Itoa(n))
	var r pyGroupRun
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%s output is not JSON: %v\n%s", script, err, out)
	}
	if r.Error != nil {
		t.Fatalf("%s: %s (consumed %q)", script, *r.Error, r.Consumed)
	}
	got := map[int32]int64{}
	for p, o := range r.Committed {
		pi, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			t.Fatalf("%s committed partition %q", script, p)
		}
		got[int32(pi)] = o
	}
	if !maps.Equal(got, committed) {
		t.Fatalf("%s reports commit %v, want %v (consumed %q)", script, got, committed, r.Consumed)
	}
	return r.Consumed
}

// pyGroupScenarios runs the group scenarios of one Python client: a member
// reads the topic's 10 messages and commits; after 6 more are produced, a new
// member of the same group reads exactly those 6.
func pyGroupScenarios(t *testing.T, client, script string) {
	var topic, group string
	var first map[int32][]string
	scenario(t, client, groupConsume, func(t *testing.T) {
		needGroups(t)
		topic, group = topicName(t), groupName(t, "")
		createTopic(t, scenarioContext(t), topic, 2)
		first = produceSpread(t, topic, 2, 5, "a")
		got := runPyGroup(t, script, topic, group, 10, ends(first))
		samePerPartition(t, "subscribe and poll", got, first)
		requireCommitted(t, group, topic, ends(first))
	})

	scenario(t, client, groupResume, func(t *testing.T) {
		needGroups(t)
		if first == nil {
			t.Fatal("the first member (group consume) failed; nothing to resume")
		}
		second := produceSpread(t, topic, 2, 3, "b")
		all := ends(concat(first, second))
		got := runPyGroup(t, script, topic, group, 6, all)
		samePerPartition(t, fmt.Sprintf("new member of %s", group), got, second)
		requireCommitted(t, group, topic, all)
	})
}

func TestConfluentKafkaPythonGroups(t *testing.T) {
	needPythonModule(t, "confluent_kafka")
	pyGroupScenarios(t, clientConfluent, "confluent_group.py")
}

func TestKafkaPythonGroups(t *testing.T) {
	needPythonModule(t, "kafka")
	pyGroupScenarios(t, clientKafkaPy, "kafkapython_group.py")
}
