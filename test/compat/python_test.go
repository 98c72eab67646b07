package compat

import (
	"encoding/json"
	"fmt"
	"testing"
)

// pyRoundTrip is what py/*_roundtrip.py print.
type pyRoundTrip struct {
	Version  string
	Produced []pyMessage
	Consumed []pyMessage
	Error    *string
}

type pyMessage struct {
	Key, Value string
	Partition  *int32
	Offset     *int64
	Error      *string
}

// runPy runs py/script with args under Debian's python and decodes its JSON.
func runPy(t *testing.T, script string, args ...string) pyRoundTrip {
	t.Helper()
	out := runCmd(t, "", systemPython, append([]string{"py/" + script}, args...)...)
	var rt pyRoundTrip
	if err := json.Unmarshal([]byte(out), &rt); err != nil {
		t.Fatalf("%s output is not JSON: %v\n%s", script, err, out)
	}
	return rt
}

// checkProduced requires every message acknowledged at partition 0, offset i.
func checkProduced(t *testing.T, rt pyRoundTrip, n int) {
	t.Helper()
	if len(rt.Produced) != n {
		t.Fatalf("%d deliveries reported, want %d (script error: %v)", len(rt.Produced), n, deref(rt.Error))
	}
	for i, m := range rt.Produced {
		if m.Error != nil || m.Partition == nil || m.Offset == nil {
			t.Fatalf("delivery %d (%s): error %v", i, m.Key, deref(m.Error))
		}
		if m.Key != fmt.Sprintf("key%d", i) || *m.Partition != 0 || *m.Offset != int64(i) {
			t.Fatalf("delivery %d = %s at %d/%d, want key%d at 0/%d", i, m.Key, *m.Partition, *m.Offset, i, i)
		}
	}
}

// checkConsumed requires exactly key{i}/<prefix>{i} at offset i of partition 0, in order.
func checkConsumed(t *testing.T, rt pyRoundTrip, n int, prefix string) {
	t.Helper()
	if rt.Error != nil {
		t.Fatalf("consumer error: %s", *rt.Error)
	}
	var got, want []string
	for _, m := range rt.Consumed {
		got = append(got, fmt.Sprintf("%d/%d %s=%s", *m.Partition, *m.Offset, m.Key, m.Value))
	}
	for i := range n {
		want = append(want, fmt.Sprintf("0/%d key%d=%s%d", i, i, prefix, i))
	}
	equalLines(t, "consumed", got, want)
}

// pyCompression runs script with codec and compressible values, checks the round
// trip, and checks with franz-go that the batches are stored compressed.
func pyCompression(t *testing.T, client, script, codec string, n int) {
	t.Helper()
	topic := topicName(t)
	rt := runPy(t, script, brokerAddr, topic, fmt.Sprint(n), "--compression", codec, "--value-prefix", compressible)
	checkProduced(t, rt, n)
	checkConsumed(t, rt, n, compressible)
	want := codecByName[codec]
	if client == clientConfluent {
		want = librdkafkaCodec(client, "compression "+codec, want)
	}
	requireCodec(t, readPartitions(t, scenarioContext(t), topic, 1, n), want)
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}

func needPythonModule(t *testing.T, module string) {
	t.Helper()
	_, errOut, err := runCmdErr("", systemPython, "-c", "import "+module)
	if err != nil {
		err = fmt.Errorf("%s -c 'import %s': %w: %s", systemPython, module, err, errOut)
	}
	need(t, module, err)
}

func TestConfluentKafkaPython(t *testing.T) {
	needPythonModule(t, "confluent_kafka")
	const n = 20

	var plain pyRoundTrip
	scenario(t, clientConfluent, "produce", func(t *testing.T) {
		plain = runPy(t, "confluent_roundtrip.py", brokerAddr, topicName(t), fmt.Sprint(n))
		checkProduced(t, plain, n)
	})
	scenario(t, clientConfluent, "consume by assignment", func(t *testing.T) {
		checkConsumed(t, plain, n, "value")
	})
	scenario(t, clientConfluent, "produce idempotent", func(t *testing.T) {
		rt := runPy(t, "confluent_roundtrip.py", brokerAddr, topicName(t), fmt.Sprint(n), "--idempotent")
		checkProduced(t, rt, n)
		checkConsumed(t, rt, n, "value")
	})
	for _, codec := range []string{"gzip", "snappy", "lz4", "zstd"} {
		scenario(t, clientConfluent, "compression "+codec, func(t *testing.T) {
			pyCompression(t, clientConfluent, "confluent_roundtrip.py", codec, n)
		})
	}
}

func TestKafkaPython(t *testing.T) {
	needPythonModule(t, "kafka")
	const n = 20

	// The topic does not exist: kafka-python's Metadata request must auto-create it.
	var plain pyRoundTrip
	scenario(t, clientKafkaPy, "auto-create topic", func(t *testing.T) {
		plain = runPy(t, "kafkapython_roundtrip.py", brokerAddr, topicName(t), fmt.Sprint(n))
		if len(plain.Produced) == 0 || plain.Produced[0].Error != nil {
			t.Fatalf("first produce to a new topic failed: %+v", plain.Produced)
		}
	})
	scenario(t, clientKafkaPy, "produce", func(t *testing.T) {
		checkProduced(t, plain, n)
	})
	scenario(t, clientKafkaPy, "consume by assignment", func(t *testing.T) {
		checkConsumed(t, plain, n, "value")
	})
	scenario(t, clientKafkaPy, "compression gzip", func(t *testing.T) {
		pyCompression(t, clientKafkaPy, "kafkapython_roundtrip.py", "gzip", n)
	})
}
