package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/testutil"
)

// systemPython is Debian's interpreter, which sees python3-confluent-kafka.
const systemPython = "/usr/bin/python3"

// pyDelivery is one line of py/producer.py.
type pyDelivery struct {
	V           string `json:"v"`
	P           *int32 `json:"p"`
	O           *int64 `json:"o"`
	Err         string `json:"err"`
	Done        bool   `json:"done"`
	Undelivered int    `json:"undelivered"`
}

// TestPythonProducerFailover runs confluent-kafka-python (librdkafka), an
// idempotent acks=all producer, against the cluster while the leader of
// partition 0 is SIGKILLed: the client must fail over on its own, and
// every value it was told is delivered must be in the log exactly once,
// at the partition and offset it was told.
func TestPythonProducerFailover(t *testing.T) {
	c := startCluster(t)
	topic := createTopic(t, c)
	const count, rate = 12000, 1500.0
	cmd := exec.CommandContext(t.Context(), systemPython, "py/producer.py", strings.Join(c.Bootstrap(), ","), topic, fmt.Sprint(count), fmt.Sprint(rate))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", systemPython, err)
	}
	acked := map[string]pyDelivery{}
	failed := 0
	done := false
	lines := make(chan pyDelivery)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var d pyDelivery
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				d.Err = "bad line: " + sc.Text()
			}
			lines <- d
		}
	}()
	killed := int32(-1)
	deadline := time.After(3 * time.Minute)
	for !done {
		select {
		case d, ok := <-lines:
			if !ok {
				t.Fatalf("producer.py ended without its last line: %v\n%s", cmd.Wait(), stderr.String())
			}
			switch {
			case d.Done:
				done = true
				if d.Undelivered != 0 {
					t.Errorf("%d values still undelivered after the flush", d.Undelivered)
				}
			case d.Err != "":
				failed++
			default:
				if _, dup := acked[d.V]; dup {
					t.Errorf("value %s acknowledged twice", d.V)
				}
				acked[d.V] = d
			}
			if killed < 0 && len(acked) == count/4 {
				leader, err := c.LeaderOf(t.Context(), topic, 0)
				if err != nil {
					t.Fatalf("leader of partition 0: %v", err)
				}
				if err := c.Node(leader).Kill(); err != nil {
					t.Fatalf("killing node %d: %v", leader, err)
				}
				killed = leader
				t.Logf("SIGKILLed node %d (leader of partition 0) after %d acks", leader, len(acked))
			}
		case <-deadline:
			t.Fatalf("producer.py still running after 3 minutes with %d acks\n%s", len(acked), stderr.String())
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("producer.py: %v\n%s", err, stderr.String())
	}
	if killed < 0 {
		t.Fatalf("the producer finished before the kill (%d acks)", len(acked))
	}
	if err := c.Node(killed).Restart(); err != nil {
		t.Fatalf("restarting node %d: %v", killed, err)
	}
	testutil.WaitFor(t, settleTimeout, func() error { return settled(t.Context(), c, topic) })

	logs := readLog(t, c, topic)
	seen := map[string]int{}
	lost, moved := 0, 0
	for p, pl := range logs {
		for _, r := range pl.records {
			v := string(r.value)
			seen[v]++
			if d, ok := acked[v]; ok && (*d.P != p || *d.O != r.offset) {
				moved++
				t.Errorf("value %s acknowledged at %d/%d, found at %d/%d", v, *d.P, *d.O, p, r.offset)
			}
		}
	}
	dups := 0
	for v, n := range seen {
		if n > 1 {
			dups++
			t.Errorf("value %s is in the log %d times", v, n)
		}
	}
	for v := range acked {
		if seen[v] == 0 {
			lost++
			t.Errorf("acknowledged value %s is not in the log", v)
		}
	}
	t.Logf("CLUSTER-RESULT {\"test\":\"python-producer-kill-leader\",\"client\":\"confluent-kafka-python (librdkafka)\",\"sent\":%d,\"acked\":%d,\"failed\":%d,\"lost\":%d,\"moved\":%d,\"duplicates\":%d}",
		count, len(acked), failed, lost, moved, dups)
}
