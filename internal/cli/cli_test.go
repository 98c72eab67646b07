package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/broker"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/testutil"
)

// startBroker runs a real broker in-process on a free loopback port.
func startBroker(t *testing.T) string {
	t.Helper()
	return startBrokerWith(t, "PLAINTEXT")
}

// startBrokerWith runs a broker with extra overrides and returns the
// address of the named listener.
func startBrokerWith(t *testing.T, listener string, overrides ...string) string {
	t.Helper()
	cfg, err := config.Load("", append([]string{"log.dirs=" + t.TempDir(), "listeners=PLAINTEXT://127.0.0.1:0",
		"admin.listener=127.0.0.1:0", "group.initial.rebalance.delay.ms=0"}, overrides...))
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Addr(listener).String()
}

// run executes `strom args...` with stdin and returns stdout and the error.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	out, _, err := testutil.RunCommand(NewRoot(), 2*time.Minute, stdin, args...)
	return out, err
}

func mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := run(t, stdin, args...)
	if err != nil {
		t.Fatalf("strom %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestTopicCommands(t *testing.T) {
	b := startBroker(t)
	got := mustRun(t, "", "topic", "create", "orders", "-p", "3", "-c", "retention.ms=3600000", "-b", b)
	want := "TOPIC   PARTITIONS  REPLICAS  STATUS\norders  3           1         OK\n"
	if got != want {
		t.Fatalf("create output:\n%s\nwant:\n%s", got, want)
	}
	out, err := run(t, "", "topic", "create", "orders", "-b", b)
	if err == nil || !strings.Contains(out, "TOPIC_ALREADY_EXISTS: Topic 'orders' already exists.") {
		t.Fatalf("duplicate create: err %v, output %q", err, out)
	}
	mustRun(t, "", "topic", "create", "audit-1", "audit-2", "-b", b)
	var listed []struct {
		Topic      string `json:"topic"`
		Partitions int    `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "topic", "list", "audit-.*", "-o", "json", "-b", b)), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].Topic != "audit-1" || listed[1].Topic != "audit-2" {
		t.Fatalf("list by regex: %+v", listed)
	}
	mustRun(t, "", "topic", "add-partitions", "orders", "-n", "2", "-b", b)
	var described []struct {
		Partitions []struct{ Partition int32 }    `json:"partitions"`
		Configs    []struct{ Name, Value string } `json:"configs"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "topic", "describe", "orders", "-o", "json", "-b", b)), &described); err != nil {
		t.Fatal(err)
	}
	if len(described) != 1 || len(described[0].Partitions) != 5 {
		t.Fatalf("describe after add-partitions: %+v", described)
	}
	if c := described[0].Configs; len(c) != 1 || c[0].Name != "retention.ms" || c[0].Value != "3600000" {
		t.Fatalf("describe configs: %+v", c)
	}
	mustRun(t, "", "topic", "delete", "audit-.*", "--regex", "-b", b)
	if got := mustRun(t, "", "topic", "list", "-o", "json", "-b", b); !strings.Contains(got, "orders") || strings.Contains(got, "audit") {
		t.Fatalf("after deleting audit-.*: %s", got)
	}
}

func TestProduceConsume(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "t", "-p", "1", "-b", b)
	mustRun(t, "alice:paid\nbob:refunded\ncarol:paid\n", "produce", "t", "-K", ":", "-H", "src=test", "-b", b)

	got := mustRun(t, "", "consume", "t", "-e", "-f", `%o %k=%v %h\n`, "-b", b)
	want := "0 alice=paid src=test\n1 bob=refunded src=test\n2 carol=paid src=test\n"
	if got != want {
		t.Fatalf("consume -e:\n%q\nwant\n%q", got, want)
	}
	if got := mustRun(t, "", "consume", "t", "-e", "-o", "-1", "-f", `%v\n`, "-b", b); got != "paid\n" {
		t.Fatalf("consume -o -1: %q", got)
	}
	if got := mustRun(t, "", "consume", "t", "-o", "1", "-n", "1", "-f", `%k\n`, "-b", b); got != "bob\n" {
		t.Fatalf("consume -o 1 -n 1: %q", got)
	}
	var rec struct {
		Offset  int64             `json:"offset"`
		Key     string            `json:"key"`
		Headers map[string]string `json:"headers"`
	}
	line := strings.SplitN(mustRun(t, "", "consume", "t", "-e", "--format", "json", "-b", b), "\n", 2)[0]
	if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Key != "alice" || rec.Headers["src"] != "test" {
		t.Fatalf("json line %q: %+v %v", line, rec, err)
	}
	future := time.Now().Add(time.Hour).UnixMilli()
	if got := mustRun(t, "", "consume", "t", "-e", "-o", "@"+itoa(future), "-b", b); got != "" {
		t.Fatalf("consume from a future time: %q", got)
	}
}

func TestClientErrors(t *testing.T) {
	b := startBroker(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown topic", []string{"consume", "nosuch", "-e", "-b", b}, "unknown topic"},
		{"no broker", []string{"topic", "list", "-b", "127.0.0.1:1", "--timeout", "2s"}, "no broker reachable at 127.0.0.1:1"},
		{"bad offset", []string{"consume", "t", "-o", "soon", "-b", b}, "want start, end, N, -N, +N or @TIME"},
		{"bad format", []string{"topic", "list", "-o", "xml", "-b", b}, "want text, json or yaml"},
		{"bad config", []string{"topic", "create", "x", "-c", "retention.ms=forever", "-b", b}, "1 of 1 topics not created"},
		{"bad acks", []string{"produce", "t", "--acks", "2", "-b", b}, "want all, 1 or 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestClusterInfo(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "a", "-p", "3", "-b", b)
	var info struct {
		ClusterID  string `json:"cluster_id"`
		Controller int32  `json:"controller"`
		Brokers    []struct {
			ID   int32  `json:"id"`
			Host string `json:"host"`
		} `json:"brokers"`
		Topics, Partitions int
		Offline            int `json:"offline_partitions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "cluster", "info", "-o", "json", "-b", b)), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.ClusterID) != 22 || info.Controller != 1 || len(info.Brokers) != 1 || info.Brokers[0].Host != "127.0.0.1" ||
		info.Topics != 1 || info.Partitions != 3 || info.Offline != 0 {
		t.Fatalf("cluster info: %+v", info)
	}
}

func TestClusterHealth(t *testing.T) {
	b := startBroker(t)
	if got := mustRun(t, "", "cluster", "health", "-b", b); got != "healthy\n" {
		t.Fatalf("health of a fresh broker: %q", got)
	}
	if _, err := run(t, "", "cluster", "health", "-b", "127.0.0.1:1", "--timeout", "2s"); err == nil {
		t.Fatal("health of an unreachable cluster succeeded")
	}
}

func TestClusterQuorum(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "q", "-b", b) // at least one more committed entry
	var q struct {
		Leader        int32 `json:"leader"`
		Epoch         int32 `json:"epoch"`
		HighWatermark int64 `json:"high_watermark"`
		Voters        []struct {
			ID     int32 `json:"id"`
			LogEnd int64 `json:"log_end_offset"`
			Lag    int64 `json:"lag"`
			Leader bool  `json:"leader"`
		} `json:"voters"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "cluster", "quorum", "-o", "json", "-b", b)), &q); err != nil {
		t.Fatal(err)
	}
	if q.Leader != 1 || q.Epoch < 1 || q.HighWatermark < 2 || len(q.Voters) != 1 ||
		!q.Voters[0].Leader || q.Voters[0].LogEnd < q.HighWatermark || q.Voters[0].Lag != 0 {
		t.Fatalf("cluster quorum of one node: %+v", q)
	}
	text := mustRun(t, "", "cluster", "quorum", "-b", b)
	if !strings.Contains(text, "LEADER 1") || !strings.Contains(text, "leader") {
		t.Fatalf("text output:\n%s", text)
	}
}

func TestClusterUnregister(t *testing.T) {
	b := startBroker(t)
	if _, err := run(t, "", "cluster", "unregister", "x", "-b", b); err == nil || !strings.Contains(err.Error(), `broker id "x"`) {
		t.Fatalf("bad id: %v", err)
	}
	outText, err := run(t, "", "cluster", "unregister", "9", "-b", b)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 brokers not unregistered") || !strings.Contains(outText, "Broker ID not registered: 9") {
		t.Fatalf("unknown broker: %v\n%s", err, outText)
	}
	// A running broker that is unregistered registers again by itself.
	if got := mustRun(t, "", "cluster", "unregister", "1", "-b", b); !strings.Contains(got, "unregistered") {
		t.Fatalf("unregister 1:\n%s", got)
	}
	testutil.WaitFor(t, 30*time.Second, func() error {
		_, err := run(t, "", "cluster", "health", "-b", b)
		return err
	})
}

// TestReassignAndElect runs the partition-move and election commands
// against one broker: a move to the replicas it has finishes at once, a
// move to an unknown broker is refused, and no election is needed.
func TestReassignAndElect(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "moves", "-p", "2", "-b", b)
	got := mustRun(t, "", "topic", "reassign", "moves", "--replicas", "0=1", "--wait", "20s", "-b", b)
	if !strings.Contains(got, "moves-0") || !strings.Contains(got, "moving") || !strings.Contains(got, "done in") {
		t.Fatalf("reassign to the same broker:\n%s", got)
	}
	out, err := run(t, "", "topic", "reassign", "moves", "--replicas", "1=7", "-b", b)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 partitions not reassigned") || !strings.Contains(out, "moves-1") {
		t.Fatalf("reassign to an unknown broker: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"--replicas", "x=1"}, {"--replicas", "0=a"}, {"--cancel", "0", "--replicas", "0=1"}, {}} {
		if _, err := run(t, "", append([]string{"topic", "reassign", "moves", "-b", b}, bad...)...); err == nil {
			t.Fatalf("reassign %v succeeded", bad)
		}
	}
	if got := mustRun(t, "", "topic", "reassignments", "-o", "json", "-b", b); strings.TrimSpace(got) != "[]" {
		t.Fatalf("reassignments in progress: %s", got)
	}
	if got := mustRun(t, "", "cluster", "elect-leaders", "-b", b); !strings.Contains(got, "no partition needed an election") {
		t.Fatalf("elect-leaders:\n%s", got)
	}
	if got := mustRun(t, "", "cluster", "elect-leaders", "--topic", "moves:0", "-o", "json", "-b", b); strings.TrimSpace(got) != "[]" {
		t.Fatalf("elect-leaders --topic moves:0: %s", got)
	}
	if _, err := run(t, "", "cluster", "elect-leaders", "--topic", "nosuch", "-b", b); err == nil {
		t.Fatal("elect-leaders for an unknown topic succeeded")
	}
}
