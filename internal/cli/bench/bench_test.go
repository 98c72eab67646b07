package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	engine "github.com/strom-project/strom/internal/bench"
	"github.com/strom-project/strom/internal/testcluster"
	"github.com/strom-project/strom/internal/testutil"
)

// run executes `bench args…` and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return testutil.RunCommand(NewCommand(), 2*time.Minute, "", args...)
}

func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"produce", "consume", "e2e", "--brokers", "--format"}},
		{[]string{"produce", "--help"}, []string{"--records", "--duration", "--record-size", "--throughput", "--acks",
			"--compression", "--producers", "--linger", "--batch-max-bytes", "--idempotent", "--sync", "--create",
			"--partitions", "--replication-factor"}},
		{[]string{"consume", "--help"}, []string{"--records", "--from", "--consumers"}},
		{[]string{"e2e", "--help"}, []string{"--rate", "--consumers", "--drain", "--acks"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, _, err := run(t, tc.args...)
			if err != nil {
				t.Fatalf("help: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestInvalidFlags covers errors reported before any connection is made;
// the broker address is unroutable on purpose.
func TestInvalidFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"produce", "--format", "yaml"}, "invalid --format"},
		{[]string{"produce", "--acks", "2"}, "invalid acks"},
		{[]string{"produce", "--compression", "brotli"}, "invalid compression"},
		{[]string{"produce", "--acks", "1", "--idempotent"}, "requires acks=all"},
		{[]string{"consume", "--from", "middle"}, "invalid from"},
		{[]string{"e2e", "--record-size", "8"}, "16-byte e2e stamp"},
		{[]string{"e2e", "--rate", "0"}, "positive rate"},
		{[]string{"produce", "extra-arg"}, "unknown command"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, _, err := run(t, append(tc.args, "--brokers", "127.0.0.1:1")...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestBrokersFromEnv(t *testing.T) {
	t.Setenv(BrokersEnv, "a:1,b:2")
	if got := strings.Join(defaultBrokers(), " "); got != "a:1 b:2" {
		t.Fatalf("defaultBrokers = %q", got)
	}
	t.Setenv(BrokersEnv, "")
	if got := strings.Join(defaultBrokers(), " "); got != "127.0.0.1:9092" {
		t.Fatalf("defaultBrokers without env = %q", got)
	}
}

func TestResolveIdempotent(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--acks", "1"}, false},
		{[]string{"--acks", "0"}, false},
		{[]string{"--acks", "ALL"}, true},
		{[]string{"--acks", "1", "--idempotent=true"}, true}, // kept, so the engine can refuse it
	} {
		cmd := newProduceCommand(&common{})
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		var s engine.ProducerSettings
		s.Acks, _ = cmd.Flags().GetString("acks")
		s.Idempotent, _ = cmd.Flags().GetBool("idempotent")
		resolveIdempotent(cmd, &s)
		if s.Idempotent != tc.want {
			t.Errorf("%v: idempotent = %v, want %v", tc.args, s.Idempotent, tc.want)
		}
	}
}

func TestTextOutput(t *testing.T) {
	res := &engine.Result{
		Mode: "e2e", Topic: "tp", Records: 990, Produced: 1000, ElapsedSeconds: 2,
		RecordsPerSec: 495, MBPerSec: 0.5, MiBPerSec: 0.48, TargetRate: 1000,
		Latency:  &engine.LatencySummary{P50Us: 95.3, P99Us: 263, MaxUs: 1500},
		EndToEnd: &engine.LatencySummary{P50Us: 2000, P99Us: 3000, MaxUs: 9000},
	}
	var b bytes.Buffer
	if err := writeText(&b, res); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"e2e tp: 990 of 1,000 acknowledged records consumed in 2s", "495 rec/s", "target 1,000 rec/s: NOT reached",
		"produce latency", "p50 95.3µs", "p99 263µs", "e2e latency", "p99 3.00ms", "max 9.00ms"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, b.String())
		}
	}
}

// TestAgainstBroker runs the commands end to end against STROM_TEST_BROKERS,
// or an in-process Strom node.
func TestAgainstBroker(t *testing.T) {
	brokers := os.Getenv("STROM_TEST_BROKERS")
	if brokers == "" {
		brokers = strings.Join(testcluster.Start(t, testcluster.Options{Nodes: 1}).Bootstrap(), ",")
	}
	topic := fmt.Sprintf("cli-bench-test-%d", time.Now().UnixNano())
	common := []string{"--brokers", brokers, "--topic", topic, "--format", "json", "--quiet"}
	for _, tc := range []struct {
		name    string
		args    []string
		records int64
		check   func(*testing.T, *engine.Result)
	}{
		{"produce", []string{"produce", "--create", "--partitions", "3", "--records", "2000", "--producers", "2"}, 2000, nil},
		{"produce sync", []string{"produce", "--sync", "--records", "30", "--record-size", "100"}, 30, nil},
		{"consume", []string{"consume", "--consumers", "2"}, 2030, func(t *testing.T, r *engine.Result) {
			if r.Latency != nil {
				t.Errorf("consume reported a produce latency: %+v", r.Latency)
			}
		}},
		{"e2e", []string{"e2e", "--rate", "1000", "--records", "300"}, 300, func(t *testing.T, r *engine.Result) {
			if r.Produced != 300 || r.EndToEnd == nil || r.EndToEnd.Count != 300 {
				t.Errorf("e2e produced %d, latency %+v; want 300 of each", r.Produced, r.EndToEnd)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := run(t, append(tc.args, common...)...)
			if err != nil {
				t.Fatalf("%v\nstderr: %s", err, stderr)
			}
			if stderr != "" {
				t.Errorf("--quiet run wrote to stderr: %q", stderr)
			}
			var res engine.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("stdout is not one JSON result: %v\n%s", err, out)
			}
			if res.Records != tc.records || res.Errors != 0 || res.RecordsPerSec <= 0 {
				t.Fatalf("records %d errors %d rate %v, want %d, 0, > 0", res.Records, res.Errors, res.RecordsPerSec, tc.records)
			}
			if tc.check != nil {
				tc.check(t, &res)
			}
		})
	}
}
