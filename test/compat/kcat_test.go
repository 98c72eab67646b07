package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kcat is run as a separate process per step; -X message.timeout.ms keeps a
// never-acknowledged produce from waiting librdkafka's default 5 minutes.
func kcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	base := []string{"-b", brokerAddr, "-X", "message.timeout.ms=20000"}
	return runCmd(t, stdin, "kcat", append(base, args...)...)
}

// kcatRead consumes partition 0 of topic from offset (a kcat -o value), printing
// each message with format: count messages (-c), or with count 0 up to the end of the
// partition (-e). Reading a few messages takes well under a second.
func kcatRead(t *testing.T, topic, offset, format string, count int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(scenarioContext(t), kcatReadTimeout)
	defer cancel()
	args := []string{"-b", brokerAddr, "-C", "-t", topic, "-p", "0", "-o", offset, "-f", format}
	if count > 0 {
		args = append(args, "-c", fmt.Sprint(count))
	} else {
		args = append(args, "-e")
	}
	out, errOut, err := runCmdCtx(ctx, "", "kcat", args...)
	if err != nil {
		t.Fatalf("kcat %s: %v\nstdout (buffered, may be empty when killed):\n%s\nstderr:\n%s",
			strings.Join(args, " "), err, out, tail(errOut, 12))
	}
	return lines(out)
}

const kcatReadTimeout = 15 * time.Second

func TestKcat(t *testing.T) {
	_, err := exec.LookPath("kcat")
	need(t, "kcat", err)

	scenario(t, clientKcat, "metadata", func(t *testing.T) {
		topic := topicName(t)
		kcat(t, "hello\n", "-P", "-t", topic)
		var md struct {
			Brokers []struct {
				ID   int32
				Name string
			}
			Topics []struct {
				Topic      string
				Err        string `json:"error"`
				Partitions []struct {
					Partition int32
					Leader    int32
				}
			}
		}
		out := kcat(t, "", "-L", "-J", "-t", topic)
		if err := json.Unmarshal([]byte(out), &md); err != nil {
			t.Fatalf("kcat -L -J output: %v\n%s", err, out)
		}
		if len(md.Brokers) != 1 || md.Brokers[0].Name != brokerAddr {
			t.Fatalf("brokers = %+v, want one advertised as %s", md.Brokers, brokerAddr)
		}
		if len(md.Topics) != 1 || md.Topics[0].Topic != topic || md.Topics[0].Err != "" {
			t.Fatalf("topics = %+v, want only %s without error", md.Topics, topic)
		}
		ps := md.Topics[0].Partitions
		if len(ps) != 1 || ps[0].Partition != 0 || ps[0].Leader != md.Brokers[0].ID {
			t.Fatalf("partitions = %+v, want partition 0 led by broker %d", ps, md.Brokers[0].ID)
		}
	})

	// librdkafka ≤ 2.11 silently sends uncompressed batches unless the broker's
	// ApiVersions satisfy the codec's feature (rdkafka_feature.c): gzip, snappy and lz4
	// need Produce v0 in range, lz4 also FindCoordinator v0, zstd Produce 7 and Fetch 10.
	for _, c := range []struct {
		name  string
		codec uint8
	}{{"gzip", codecGzip}, {"snappy", codecSnappy}, {"lz4", codecLz4}, {"zstd", codecZstd}} {
		scenario(t, clientKcat, "compression "+c.name, func(t *testing.T) {
			topic := topicName(t)
			want := seq(c.name+"-"+compressible, 50)
			kcat(t, strings.Join(want, "\n")+"\n", "-P", "-t", topic, "-p", "0", "-z", c.name)
			equalLines(t, "kcat read-back", kcatRead(t, topic, "beginning", "%s\n", len(want)), want)
			stored := librdkafkaCodec(clientKcat, "compression "+c.name, c.codec)
			requireCodec(t, readPartitions(t, scenarioContext(t), topic, 1, len(want)), stored)
		})
	}

	// -e exits once every partition reported its end: an empty Fetch at the high
	// watermark must parse (librdkafka rejects a null record set).
	scenario(t, clientKcat, "consume to end", func(t *testing.T) {
		topic := topicName(t)
		want := seq("e", 5)
		kcat(t, strings.Join(want, "\n")+"\n", "-P", "-t", topic, "-p", "0")
		equalLines(t, "-e", kcatRead(t, topic, "beginning", "%s\n", 0), want)
		equalLines(t, "-o end -e", kcatRead(t, topic, "end", "%s\n", 0), nil)
	})

	scenario(t, clientKcat, "keys", func(t *testing.T) {
		topic := topicName(t)
		var in, want []string
		for i := range 10 {
			in = append(in, fmt.Sprintf("key%d:value%d", i, i))
			want = append(want, fmt.Sprintf("key%d=value%d", i, i))
		}
		kcat(t, strings.Join(in, "\n")+"\n", "-P", "-t", topic, "-p", "0", "-K:")
		equalLines(t, "key=value", kcatRead(t, topic, "beginning", "%k=%s\n", len(want)), want)
	})

	scenario(t, clientKcat, "headers", func(t *testing.T) {
		topic := topicName(t)
		values := seq("v", 5)
		kcat(t, strings.Join(values, "\n")+"\n", "-P", "-t", topic, "-p", "0", "-H", "h1=one", "-H", "h2=two")
		var want []string
		for _, v := range values {
			want = append(want, "h1=one,h2=two|"+v)
		}
		equalLines(t, "headers|value", kcatRead(t, topic, "beginning", "%h|%s\n", len(want)), want)
	})

	scenario(t, clientKcat, "consume from offset", func(t *testing.T) {
		topic := topicName(t)
		all := seq("m", 10)
		kcat(t, strings.Join(all, "\n")+"\n", "-P", "-t", topic, "-p", "0")
		equalLines(t, "-o 5", kcatRead(t, topic, "5", "%o:%s\n", 5), []string{"5:m5", "6:m6", "7:m7", "8:m8", "9:m9"})
		equalLines(t, "-o -3", kcatRead(t, topic, "-3", "%o:%s\n", 3), []string{"7:m7", "8:m8", "9:m9"})
	})

	scenario(t, clientKcat, "timestamps", func(t *testing.T) {
		topic := topicName(t)
		before := time.Now().UnixMilli()
		kcat(t, "a\nb\nc\n", "-P", "-t", topic, "-p", "0")
		after := time.Now().UnixMilli()
		got := kcatRead(t, topic, "beginning", "%T %o %s\n", 3)
		if len(got) != 3 {
			t.Fatalf("read %q, want 3 messages", got)
		}
		for i, l := range got {
			var ts, off int64
			var v string
			if _, err := fmt.Sscanf(l, "%d %d %s", &ts, &off, &v); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if ts < before || ts > after || off != int64(i) || v != string(rune('a'+i)) {
				t.Fatalf("message %d = %q, want offset %d value %c with CreateTime in [%d, %d]",
					i, l, i, 'a'+i, before, after)
			}
		}
	})

	scenario(t, clientKcat, "offset for timestamp", func(t *testing.T) {
		topic := topicName(t)
		kcat(t, "a0\na1\na2\n", "-P", "-t", topic, "-p", "0")
		kcat(t, "b0\nb1\n", "-P", "-t", topic, "-p", "0")
		var ts []int64
		var vals []string
		for _, l := range kcatRead(t, topic, "beginning", "%T %s\n", 5) {
			var x int64
			var v string
			if _, err := fmt.Sscanf(l, "%d %s", &x, &v); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			ts, vals = append(ts, x), append(vals, v)
		}
		if len(vals) != 5 {
			t.Fatalf("read %q, want 5 messages", vals)
		}
		// ListOffsets by timestamp returns the first offset whose timestamp is >= the target.
		target := ts[3]
		first := 0
		for first < len(ts) && ts[first] < target {
			first++
		}
		equalLines(t, fmt.Sprintf("-o s@%d", target), kcatRead(t, topic, fmt.Sprintf("s@%d", target), "%s\n", len(vals)-first), vals[first:])
	})
}
