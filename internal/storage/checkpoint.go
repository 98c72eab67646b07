package storage

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kafka's checkpoint files are text:
//
//	0                      version
//	<count>                number of entry lines
//	<field> <field> ...    count lines
//
// recovery-point-offset-checkpoint, log-start-offset-checkpoint and
// replication-offset-checkpoint (high watermarks) hold
// "<topic> <partition> <offset>"; leader-epoch-checkpoint holds
// "<epoch> <startOffset>".

const (
	recoveryPointCheckpointFile  = "recovery-point-offset-checkpoint"
	logStartOffsetCheckpointFile = "log-start-offset-checkpoint"
	// replicationOffsetCheckpointFile holds high watermarks; Kafka's name.
	replicationOffsetCheckpointFile = "replication-offset-checkpoint"
	leaderEpochCheckpointFile       = "leader-epoch-checkpoint"
	cleanShutdownFile               = ".kafka_cleanshutdown"
	checkpointVersion               = 0
)

var errBadCheckpoint = errors.New("storage: malformed checkpoint file")

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func (tp TopicPartition) String() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// parseCheckpoint splits a checkpoint into its entry lines' fields, each with
// exactly nfields fields.
func parseCheckpoint(b []byte, nfields int) ([][]string, error) {
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 2 {
		return nil, fmt.Errorf("%w: %d lines", errBadCheckpoint, len(lines))
	}
	if v, err := strconv.Atoi(strings.TrimSpace(lines[0])); err != nil || v != checkpointVersion {
		return nil, fmt.Errorf("%w: version %q", errBadCheckpoint, lines[0])
	}
	n, err := strconv.Atoi(strings.TrimSpace(lines[1]))
	// Compare with the lines actually present before trusting the count.
	if err != nil || n < 0 || n != len(lines)-2 {
		return nil, fmt.Errorf("%w: count %q with %d entry lines", errBadCheckpoint, lines[1], len(lines)-2)
	}
	out := make([][]string, 0, n)
	for i, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) != nfields {
			return nil, fmt.Errorf("%w: line %d: %q", errBadCheckpoint, i+3, l)
		}
		out = append(out, f)
	}
	return out, nil
}

func parseOffsetCheckpoint(b []byte) (map[TopicPartition]int64, error) {
	rows, err := parseCheckpoint(b, 3)
	if err != nil {
		return nil, err
	}
	m := make(map[TopicPartition]int64, len(rows))
	for _, f := range rows {
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		off, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || p < 0 || off < 0 {
			return nil, fmt.Errorf("%w: %q", errBadCheckpoint, strings.Join(f, " "))
		}
		m[TopicPartition{f[0], int32(p)}] = off
	}
	return m, nil
}

func encodeOffsetCheckpoint(m map[TopicPartition]int64) []byte {
	tps := make([]TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n%d\n", checkpointVersion, len(tps))
	for _, tp := range tps {
		fmt.Fprintf(&b, "%s %d %d\n", tp.Topic, tp.Partition, m[tp])
	}
	return b.Bytes()
}

func parseEpochCheckpoint(b []byte) ([]epochEntry, error) {
	rows, err := parseCheckpoint(b, 2)
	if err != nil {
		return nil, err
	}
	out := make([]epochEntry, 0, len(rows))
	for _, f := range rows {
		e, err1 := strconv.ParseInt(f[0], 10, 32)
		off, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || e < 0 || off < 0 {
			return nil, fmt.Errorf("%w: %q", errBadCheckpoint, strings.Join(f, " "))
		}
		if n := len(out); n > 0 && (int32(e) <= out[n-1].Epoch || off < out[n-1].StartOffset) {
			return nil, fmt.Errorf("%w: epochs not increasing at %q", errBadCheckpoint, strings.Join(f, " "))
		}
		out = append(out, epochEntry{Epoch: int32(e), StartOffset: off})
	}
	return out, nil
}

func encodeEpochCheckpoint(es []epochEntry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n%d\n", checkpointVersion, len(es))
	for _, e := range es {
		fmt.Fprintf(&b, "%d %d\n", e.Epoch, e.StartOffset)
	}
	return b.Bytes()
}
