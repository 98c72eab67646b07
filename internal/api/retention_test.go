package api_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/testutil"
)

// Retention as a client sees it, through ListOffsets: retention.bytes
// deletes whole old segments (the log start offset moves to a segment
// boundary, the end stays; a fetch below it is OFFSET_OUT_OF_RANGE), and a
// dynamic retention.ms removes everything once it is older than that, the
// active segment included (it is rolled first).
func TestRetentionThroughListOffsets(t *testing.T) {
	adm, cl, addr := startWith(t, "log.retention.check.interval.ms=100", "log.preallocate=false")
	str := func(s string) *string { return &s }
	const topic = "retained"
	ctx := t.Context()
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{
		"segment.bytes": str("16384"), "retention.bytes": str("65536"), "file.delete.delay.ms": str("0"),
	}, topic); err != nil {
		t.Fatal(err)
	}
	for i := range 400 { // ~400 KB that does not compress: about 25 segments
		v := make([]byte, 1000)
		rand.Read(v)
		if err := produceSync(t, cl, &kgo.Record{Topic: topic, Value: append([]byte(fmt.Sprintf("%04d", i)), v...)}); err != nil {
			t.Fatal(err)
		}
	}
	offsets := func() (start, end int64) {
		t.Helper()
		s, err := adm.ListStartOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		e, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		so, _ := s.Lookup(topic, 0)
		eo, _ := e.Lookup(topic, 0)
		return so.Offset, eo.Offset
	}
	testutil.WaitFor(t, 20*time.Second, func() error {
		start, end := offsets()
		// What is left must fit retention.bytes plus the active segment.
		if end != 400 || start == 0 || (end-start)*1070 > 65536+2*16384 {
			return fmt.Errorf("log [%d, %d): retention.bytes not applied yet", start, end)
		}
		return nil
	})
	start, _ := offsets()
	// Reading below the log start is out of range; from it, records follow
	// in order from there.
	if _, err := readFrom(t, addr, topic, 0); !errors.Is(err, kerr.OffsetOutOfRange) {
		t.Fatalf("fetch at 0 below the log start %d: %v, want OFFSET_OUT_OF_RANGE", start, err)
	}
	if first, err := readFrom(t, addr, topic, start); err != nil || first != fmt.Sprintf("%04d", start) {
		t.Fatalf("first record at the log start %d is %q (%v)", start, first, err)
	}

	// Dynamic retention.ms: everything is older than 1 ms, so the log
	// empties (the active segment is rolled first), and its end stays.
	res, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: str("1")}}, topic)
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 20*time.Second, func() error {
		if start, end := offsets(); start != 400 || end != 400 {
			return fmt.Errorf("log [%d, %d): retention.ms=1 not applied yet", start, end)
		}
		return nil
	})
}

// readFrom returns the first 4 bytes of the value at offset at of
// partition 0 (the record's sequence number), or the fetch error; the
// consumer does not reset an out-of-range offset.
func readFrom(t *testing.T, addr, topic string, at int64) (string, error) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(at)}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return "", err
		}
		var got string
		fs.EachRecord(func(r *kgo.Record) {
			if got == "" {
				if r.Offset != at {
					t.Fatalf("first record read at offset %d, want %d", r.Offset, at)
				}
				got = string(r.Value[:4])
			}
		})
		if got != "" {
			return got, nil
		}
	}
}

// Configs that are valid alone but not together (Kafka's
// LogConfig.validateValues) are refused at create and at alter.
func TestCompactionLagsCrossed(t *testing.T) {
	adm, _, _ := startWith(t)
	str := func(s string) *string { return &s }
	ctx := t.Context()
	res, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"min.compaction.lag.ms": str("200"), "max.compaction.lag.ms": str("100")}, "crossed")
	if err == nil {
		err = res.Err
	}
	if !errors.Is(err, kerr.InvalidConfig) || !strings.Contains(res.ErrMessage, "min.compaction.lag.ms (200) > max.compaction.lag.ms (100)") {
		t.Fatalf("create with crossed lags: %v %q", err, res.ErrMessage)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"max.compaction.lag.ms": str("100")}, "lags"); err != nil {
		t.Fatal(err)
	}
	alt, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "min.compaction.lag.ms", Value: str("200")}}, "lags")
	if err == nil {
		err = alt[0].Err
	}
	if !errors.Is(err, kerr.InvalidConfig) || !strings.Contains(alt[0].ErrMessage, "> max.compaction.lag.ms (100)") {
		t.Fatalf("alter to crossed lags: %v %q", err, alt[0].ErrMessage)
	}
}
