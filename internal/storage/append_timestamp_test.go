package storage

import (
	"errors"
	"testing"

	"github.com/strom-project/strom/internal/record"
)

// Kafka's LogValidator.validateTimestamp, against the broker's (fake) clock:
// a refused batch leaves nothing written.
func TestTimestampRules(t *testing.T) {
	const bound = 1000
	now := newClock().Now().UnixMilli()
	bounded := LogConfig{TimestampBeforeMaxMs: bound, TimestampAfterMaxMs: bound}
	batch := func(base int64, deltas ...int64) record.BatchSpec {
		s := record.BatchSpec{BaseTimestamp: base, ProducerID: -1, BaseSequence: -1}
		for _, d := range deltas {
			s.Records = append(s.Records, record.NewRecord{TimestampDelta: d, Key: []byte("k"), Value: []byte("v")})
		}
		return s
	}
	lat := func(s record.BatchSpec, maxTS int64) record.BatchSpec {
		s.LogAppendTime, s.MaxTimestamp = true, maxTS
		return s
	}
	tests := []struct {
		name   string
		cfg    LogConfig
		spec   record.BatchSpec
		want   error
		wantTS int64 // stored maxTimestamp when accepted
		// wantLAT: the stored batch is marked LogAppendTime.
		wantLAT bool
	}{
		{"at the lower bound", bounded, batch(now-bound, 0, 5), nil, now - bound + 5, false},
		{"below the lower bound", bounded, batch(now-bound, -1, 5), ErrInvalidTimestamp, 0, false},
		{"at the upper bound", bounded, batch(now, 0, bound), nil, now + bound, false},
		{"above the upper bound", bounded, batch(now, 0, bound+1), ErrInvalidTimestamp, 0, false},
		{"one record too new", bounded, batch(now, 0, 1, 5000, 2), ErrInvalidTimestamp, 0, false},
		{"hostile timestamp", bounded, batch(-1<<63, 0), ErrInvalidTimestamp, 0, false},
		// Records without a timestamp (-1) are not checked, as in Kafka.
		{"no timestamps", bounded, batch(record.NoTimestamp, 0, 0), nil, record.NoTimestamp, false},
		{"default bounds", LogConfig{}, batch(5, 0), nil, 5, false},
		// LogAppendTime topics ignore the bounds and stamp the append time.
		{"log append time topic", LogConfig{TimestampType: LogAppendTime, TimestampBeforeMaxMs: bound}, batch(5, 0), nil, now, true},
		// Producers may not mark batches LogAppendTime ...
		{"producer LogAppendTime, LogAppendTime topic", LogConfig{TimestampType: LogAppendTime}, lat(batch(5, 0), now), ErrInvalidTimestamp, 0, false},
		{"producer LogAppendTime without timestamp", LogConfig{}, lat(batch(5, 0), record.NoTimestamp), ErrInvalidTimestamp, 0, false},
		// ... except that a CreateTime topic reads the mark's timestamp as
		// the records' CreateTime, checks it and clears the mark (Kafka's
		// setMaxTimestamp(CREATE_TIME, ...); the record deltas are kept,
		// so here they agree with it).
		{"producer LogAppendTime, CreateTime topic", bounded, lat(batch(now-10, 0, 0), now-10), nil, now - 10, false},
		{"producer LogAppendTime, old deltas", bounded, lat(batch(5, 0), now-10), nil, now - 10, false},
		{"producer LogAppendTime out of bounds", bounded, lat(batch(now, 0), now-bound-1), ErrInvalidTimestamp, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := openTestLog(t, tc.cfg)
			b, err := record.Build(nil, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tl.Append(b, AppendOptions{LeaderEpoch: 1})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil {
				if tl.LogEndOffset() != 0 {
					t.Fatalf("LEO %d after a refused append", tl.LogEndOffset())
				}
				return
			}
			tl.SetHighWatermark(tl.LogEndOffset())
			h := tl.readAll(0)[0]
			if h.MaxTimestamp != tc.wantTS || h.IsLogAppendTime() != tc.wantLAT {
				t.Fatalf("stored maxTimestamp %d (LogAppendTime %v), want %d (%v)", h.MaxTimestamp, h.IsLogAppendTime(), tc.wantTS, tc.wantLAT)
			}
			if tc.wantLAT != (res.LogAppendTime == now) {
				t.Fatalf("response LogAppendTime %d", res.LogAppendTime)
			}
			// The time index follows the stored maxTimestamp.
			if tc.wantTS >= 0 && tc.name != "producer LogAppendTime, old deltas" {
				if off, ts, _, ok := tl.OffsetForTimestamp(tc.wantTS); !ok || off > h.LastOffset() || ts > tc.wantTS {
					t.Fatalf("OffsetForTimestamp(%d): %d %d %v", tc.wantTS, off, ts, ok)
				}
			}
		})
	}
}
