package compat

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// kcatGroup runs kcat's balanced consumer (librdkafka's KafkaConsumer: -G) on
// topic as group, starting from the earliest offset when the group has no
// commit, until every assigned partition reached its end (-e). kcat commits
// what it read when it exits. Returns "partition/offset value" lines.
func kcatGroup(t *testing.T, group, topic string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(scenarioContext(t), kcatReadTimeout)
	defer cancel()
	args := []string{"-b", brokerAddr, "-G", group, "-X", "auto.offset.reset=earliest",
		"-X", "session.timeout.ms=10000", "-X", "heartbeat.interval.ms=500",
		"-e", "-q", "-f", "%p/%o %s\n", topic}
	out, errOut, err := runCmdCtx(ctx, "", "kcat", args...)
	if err != nil {
		t.Fatalf("kcat %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, tail(errOut, 20))
	}
	return lines(out)
}

func TestKcatGroups(t *testing.T) {
	_, err := exec.LookPath("kcat")
	need(t, "kcat", err)

	var topic, group string
	var first map[int32][]string
	scenario(t, clientKcat, groupConsume, func(t *testing.T) {
		needGroups(t)
		topic, group = topicName(t), groupName(t, "")
		createTopic(t, scenarioContext(t), topic, 2)
		first = produceSpread(t, topic, 2, 5, "a")
		samePerPartition(t, "kcat -G", kcatGroup(t, group, topic), first)
		requireCommitted(t, group, topic, ends(first))
	})

	scenario(t, clientKcat, groupResume, func(t *testing.T) {
		needGroups(t)
		if first == nil {
			t.Fatal("the first -G run (group consume) failed; nothing to resume")
		}
		second := produceSpread(t, topic, 2, 3, "b")
		samePerPartition(t, "second kcat -G run, same group", kcatGroup(t, group, topic), second)
		requireCommitted(t, group, topic, ends(concat(first, second)))
	})
}
