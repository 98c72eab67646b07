package fault

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Disk faults on one node at a time, applied while it is down (SIGKILL
// first, as a crash would leave it): the end of the active segment of
// every partition of the topic is torn off, or a byte in its last batch
// is flipped. Recovery must find the damage by CRC and truncate there;
// the node then catches up from the leader, and since the other replicas
// hold every acknowledged record, nothing acknowledged is lost.
const tornBytes = 100

// recoveryTruncated is what storage logs when recovery cuts a segment at
// its first invalid batch (internal/storage/recovery.go).
const recoveryTruncated = "recovery truncated log segment at the first invalid batch"

// corruptOne kills a node the seed picks, damages its logs with damage, and
// returns the restart as the heal. damage gets each active segment and the
// end of its data.
func corruptOne(name string, damage func(path string, end int64) error) func(context.Context, *nemesis) (func() error, error) {
	return func(_ context.Context, n *nemesis) (func() error, error) {
		id := n.some(1)[0]
		heal, err := n.kill(id)
		if err != nil {
			return nil, err
		}
		segs, err := activeSegments(n.c.Node(id).DataDir(), n.topic)
		for _, s := range segs {
			end, derr := dataEnd(s)
			if derr != nil || end <= 2*tornBytes {
				continue
			}
			if err = damage(s, end); err != nil {
				break
			}
		}
		n.log(name, id, err)
		if err != nil {
			return nil, fmt.Errorf("%s on node %d: %w", name, id, err)
		}
		seen := n.c.Node(id).LogCount(recoveryTruncated)
		return func() error {
			if err := heal(); err != nil {
				return err
			}
			// The damage must have been seen, not read past.
			if n.c.Node(id).LogCount(recoveryTruncated) == seen {
				return fmt.Errorf("node %d restarted after %s without truncating its log at the damage", id, name)
			}
			return nil
		}, nil
	}
}

// activeSegments is the newest .log file of each partition of topic.
func activeSegments(dataDir, topic string) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(dataDir, topic+"-*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dirs {
		logs, _ := filepath.Glob(filepath.Join(d, "*.log"))
		if len(logs) > 0 {
			slices.Sort(logs) // zero-padded base offsets sort by name
			out = append(out, logs[len(logs)-1])
		}
	}
	return out, nil
}

// dataEnd is where a segment's batches end: segments are preallocated, so
// the file goes on with zeros. Each batch starts with its base offset (8
// bytes) and the length of the rest (4 bytes); a zero length ends the data.
func dataEnd(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pos := int64(0)
	for pos+12 <= int64(len(b)) {
		n := int64(binary.BigEndian.Uint32(b[pos+8:]))
		if n == 0 || pos+12+n > int64(len(b)) {
			break
		}
		pos += 12 + n
	}
	return pos, nil
}

// tornTail cuts the last bytes of the data, as a crash in mid-write would.
func tornTail(path string, end int64) error { return os.Truncate(path, end-tornBytes) }

// flipByte flips a byte inside the last batch.
func flipByte(path string, end int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 1)
	at := end - tornBytes/2
	if _, err := f.ReadAt(b, at); err != nil {
		return err
	}
	b[0] ^= 0x5a
	_, err = f.WriteAt(b, at)
	return err
}
