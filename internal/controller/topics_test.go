package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

func TestCreateTopicsValidation(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	mustCreate(t, c, CreateTopic{Name: "exists", NumPartitions: 1, ReplicationFactor: 1},
		CreateTopic{Name: "a.b", NumPartitions: 1, ReplicationFactor: 1})
	tests := []struct {
		name    string
		topic   CreateTopic
		wantErr error
		wantMsg string
	}{
		{"empty name", CreateTopic{Name: "", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "Topic name is illegal, it can't be empty"},
		{"dot", CreateTopic{Name: ".", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, `Topic name cannot be "." or ".."`},
		{"dotdot", CreateTopic{Name: "..", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, `cannot be "." or ".."`},
		{"too long", CreateTopic{Name: strings.Repeat("x", 250), NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "can't be longer than 249 characters"},
		{"bad char", CreateTopic{Name: "a b", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "contains a character other than ASCII alphanumerics"},
		{"exists", CreateTopic{Name: "exists", NumPartitions: 1, ReplicationFactor: 1}, ErrTopicExists, "Topic 'exists' already exists."},
		{"collision", CreateTopic{Name: "a_b", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "Topic 'a_b' collides with existing topic: a.b"},
		{"zero partitions", CreateTopic{Name: "p0", NumPartitions: 0, ReplicationFactor: 1}, ErrInvalidPartitions, "Number of partitions was set to an invalid non-positive value."},
		{"negative partitions", CreateTopic{Name: "pn", NumPartitions: -5, ReplicationFactor: 1}, ErrInvalidPartitions, "non-positive"},
		{"huge partitions", CreateTopic{Name: "ph", NumPartitions: 1 << 30, ReplicationFactor: 1}, ErrInvalidPartitions, "exceeds the maximum"},
		{"rf 0", CreateTopic{Name: "r0", NumPartitions: 1, ReplicationFactor: 0}, ErrInvalidReplicationFactor, "must be larger than 0"},
		{"rf 3", CreateTopic{Name: "r3", NumPartitions: 1, ReplicationFactor: 3}, ErrInvalidReplicationFactor,
			"Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered."},
		{"bad config", CreateTopic{Name: "cfg", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"bogus": "1"}}, ErrInvalidConfig, "configuration bogus"},
		{"assignment with count", CreateTopic{Name: "m1", NumPartitions: 1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}}}, ErrInvalidRequest, "numPartitions was not set to -1"},
		{"assignment with rf", CreateTopic{Name: "m2", NumPartitions: -1, ReplicationFactor: 1, Assignments: map[int32][]int32{0: {1}}}, ErrInvalidRequest, "replicationFactor was not set to -1"},
		{"assignment unknown broker", CreateTopic{Name: "m3", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {7}}}, ErrInvalidReplicaAssignment, "broker 7, but no such broker is registered"},
		{"assignment duplicate broker", CreateTopic{Name: "m4", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 1}}}, ErrInvalidReplicaAssignment, "more than once"},
		{"assignment empty", CreateTopic{Name: "m5", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {}}}, ErrInvalidReplicaAssignment, "empty replica list"},
		{"assignment gap", CreateTopic{Name: "m6", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}, 2: {1}}}, ErrInvalidReplicaAssignment, "partition 1 is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, validateOnly := range []bool{true, false} {
				res := c.CreateTopics(context.Background(), []CreateTopic{tc.topic}, validateOnly)
				if !errors.Is(res[0].Err, tc.wantErr) || !strings.Contains(ErrorMessage(res[0].Err), tc.wantMsg) {
					t.Fatalf("validateOnly=%v: got %v, want %v with %q", validateOnly, res[0].Err, tc.wantErr, tc.wantMsg)
				}
			}
		})
	}
	if n := len(c.Image().Topics); n != 2 {
		t.Fatalf("%d topics after failed creates, want 2", n)
	}
}

func TestCreateTopicsDefaultsAndPlacement(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.NumPartitions = 3
	c := start(t, opts)
	res := mustCreate(t, c,
		CreateTopic{Name: "defaults", NumPartitions: -1, ReplicationFactor: -1, Configs: map[string]string{"cleanup.policy": "compact"}},
		CreateTopic{Name: "manual", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}, 1: {1}}})
	if r := res[0]; r.NumPartitions != 3 || r.ReplicationFactor != 1 || r.ID == (metadata.Uuid{}) || r.Configs["cleanup.policy"] != "compact" {
		t.Fatalf("result %+v", r)
	}
	im := c.Image()
	tp := im.Topics["defaults"]
	if tp == nil || tp.ID != res[0].ID || im.TopicsByID[tp.ID] != tp || len(tp.Partitions) != 3 {
		t.Fatalf("topic %+v", tp)
	}
	for i, p := range tp.Partitions {
		if p.Partition != int32(i) || p.Leader != 1 || p.LeaderEpoch != 0 || len(p.ISR) != 1 || p.ISR[0] != 1 {
			t.Fatalf("partition %+v", p)
		}
	}
	if v, ok := im.TopicConfig("defaults", "cleanup.policy"); !ok || v != "compact" {
		t.Fatalf("config %q %v", v, ok)
	}
	if len(im.Topics["manual"].Partitions) != 2 {
		t.Fatal("manual assignment not applied")
	}
}

func TestCreateTopicsValidateOnlyAndDuplicates(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	res := c.CreateTopics(context.Background(), []CreateTopic{{Name: "v", NumPartitions: 2, ReplicationFactor: 1}}, true)
	if res[0].Err != nil || res[0].NumPartitions != 2 {
		t.Fatalf("validateOnly: %+v", res[0])
	}
	if len(c.Image().Topics) != 0 {
		t.Fatal("validateOnly created a topic")
	}
	res = c.CreateTopics(context.Background(), []CreateTopic{
		{Name: "d", NumPartitions: 1, ReplicationFactor: 1}, {Name: "d", NumPartitions: 1, ReplicationFactor: 1},
		{Name: "x.y", NumPartitions: 1, ReplicationFactor: 1}, {Name: "x_y", NumPartitions: 1, ReplicationFactor: 1},
	}, false)
	if !errors.Is(res[0].Err, ErrInvalidRequest) || !errors.Is(res[1].Err, ErrInvalidRequest) {
		t.Fatalf("duplicates: %v %v", res[0].Err, res[1].Err)
	}
	if res[2].Err != nil || !errors.Is(res[3].Err, ErrInvalidTopic) {
		t.Fatalf("in-request collision: %v %v", res[2].Err, res[3].Err)
	}
}

func TestDeleteTopics(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	res := mustCreate(t, c, CreateTopic{Name: "a", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "1"}},
		CreateTopic{Name: "b", NumPartitions: 2, ReplicationFactor: 1})
	if r := c.CreateInternalTopic(context.Background(), CreateTopic{Name: "__consumer_offsets", NumPartitions: 2, ReplicationFactor: 1}); r.Err != nil {
		t.Fatal(r.Err)
	}
	if !c.Image().Topics["__consumer_offsets"].Internal {
		t.Fatal("internal flag lost")
	}
	del := c.DeleteTopics(context.Background(), []DeleteTopic{
		{Name: "a"}, {ID: res[1].ID}, {Name: "nope"}, {ID: metadata.Uuid{1}}, {Name: "__consumer_offsets"},
	})
	if del[0].Err != nil || del[0].ID != res[0].ID {
		t.Fatalf("by name: %+v", del[0])
	}
	if del[1].Err != nil || del[1].Name != "b" {
		t.Fatalf("by id: %+v", del[1])
	}
	for _, i := range []int{2, 3} {
		if !errors.Is(del[i].Err, ErrUnknownTopic) {
			t.Fatalf("unknown %d: %v", i, del[i].Err)
		}
	}
	if !errors.Is(del[4].Err, ErrInvalidRequest) {
		t.Fatalf("internal: %v", del[4].Err)
	}
	im := c.Image()
	if len(im.Topics) != 1 || len(im.TopicsByID) != 1 {
		t.Fatalf("topics left: %v", im.SortedTopicNames())
	}
	if _, ok := im.TopicConfig("a", "retention.ms"); ok {
		t.Fatal("config of deleted topic kept")
	}
	// Re-creating gets a new id and no old configs.
	r := mustCreate(t, c, CreateTopic{Name: "a", NumPartitions: 1, ReplicationFactor: 1})
	if r[0].ID == res[0].ID {
		t.Fatal("re-created topic reused the id")
	}
}

func TestCreatePartitions(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	mustCreate(t, c, CreateTopic{Name: "t", NumPartitions: 3, ReplicationFactor: 1})
	ctx := context.Background()
	tests := []struct {
		name    string
		req     CreatePartitions
		wantErr error
		wantMsg string
	}{
		{"shrink", CreatePartitions{Topic: "t", Count: 2}, ErrInvalidPartitions, "Topic currently has 3 partitions, which is higher than the requested 2."},
		{"same", CreatePartitions{Topic: "t", Count: 3}, ErrInvalidPartitions, "Topic already has 3 partition(s)."},
		{"unknown", CreatePartitions{Topic: "u", Count: 5}, ErrUnknownTopic, "does not exist"},
		{"assignment count", CreatePartitions{Topic: "t", Count: 5, Assignments: [][]int32{{1}}}, ErrInvalidReplicaAssignment, "add 2 additional partition(s), but only 1"},
		{"assignment broker", CreatePartitions{Topic: "t", Count: 4, Assignments: [][]int32{{9}}}, ErrInvalidReplicaAssignment, "broker 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := c.CreatePartitions(ctx, []CreatePartitions{tc.req}, false)
			if !errors.Is(res[0].Err, tc.wantErr) || !strings.Contains(ErrorMessage(res[0].Err), tc.wantMsg) {
				t.Fatalf("got %v, want %v with %q", res[0].Err, tc.wantErr, tc.wantMsg)
			}
		})
	}
	if res := c.CreatePartitions(ctx, []CreatePartitions{{Topic: "t", Count: 6}}, true); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if n := len(c.Image().Topics["t"].Partitions); n != 3 {
		t.Fatalf("validateOnly grew the topic to %d", n)
	}
	if res := c.CreatePartitions(ctx, []CreatePartitions{{Topic: "t", Count: 5, Assignments: [][]int32{{1}, {1}}}}, false); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if res := c.CreatePartitions(ctx, []CreatePartitions{{Topic: "t", Count: 6}}, false); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	ps := c.Image().Topics["t"].Partitions
	if len(ps) != 6 || ps[5].Partition != 5 || ps[5].Leader != 1 {
		t.Fatalf("partitions %+v", ps)
	}
}
