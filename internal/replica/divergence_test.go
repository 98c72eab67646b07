package replica

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
)

// epochRun is n one-record batches written by the leader of epoch; an
// epoch with n == 0 is a leadership that wrote nothing (only its
// leader-epoch entry at the log end, as on election).
type epochRun struct {
	epoch int32
	n     int
}

func buildLog(t *testing.T, name string, runs []epochRun) *storage.Log {
	t.Helper()
	l, err := storage.Open(storage.Options{Dir: filepath.Join(t.TempDir(), name+"-0"), Logger: quiet, HighWatermark: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for _, r := range runs {
		if r.n == 0 {
			if _, err := l.AssignLeaderEpoch(r.epoch); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for i := 0; i < r.n; i++ {
			// One leader per epoch: the content is a function of epoch
			// and offset, so shared prefixes match and diverged ones do not.
			b, err := record.Build(nil, record.BatchSpec{BaseTimestamp: 1_700_000_000_000 + int64(r.epoch), ProducerID: -1, ProducerEpoch: -1,
				BaseSequence: -1, Records: []record.NewRecord{{Value: []byte(fmt.Sprintf("e%d-%d", r.epoch, l.LogEndOffset()))}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(b, storage.AppendOptions{LeaderEpoch: r.epoch, RequiredAcks: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return l
}

// syncFollower runs the follower's fetch loop against the leader's log
// in process: the leader's divergence check, the follower's truncation,
// the OFFSET_OUT_OF_RANGE reset, the replication append. It returns the
// lowest log end the follower had on the way.
func syncFollower(t *testing.T, leader, follower *storage.Log) int64 {
	t.Helper()
	lowest := follower.LogEndOffset()
	for range 100 {
		off, epoch := follower.LogEndOffset(), follower.LatestEpoch()
		lowest = min(lowest, off)
		div, diverged, err := divergingEpoch(leader, epoch, off)
		if err == nil && off < leader.LogStartOffset() {
			err = storage.ErrOffsetOutOfRange
		}
		switch {
		case errors.Is(err, storage.ErrOffsetOutOfRange):
			if leader.LogStartOffset() <= off {
				t.Fatalf("out of range at %d (epoch %d) though the leader starts at %d", off, epoch, leader.LogStartOffset())
			}
			if err := follower.TruncateFullyAndStartAt(leader.LogStartOffset()); err != nil {
				t.Fatal(err)
			}
			continue
		case err != nil:
			t.Fatal(err)
		case diverged:
			if err := follower.TruncateTo(truncationOffset(follower, div)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if off == leader.LogEndOffset() {
			return lowest
		}
		rr, err := leader.Read(off, 3*100, true, leader.LogEndOffset()) // a few batches at a time
		if err != nil {
			t.Fatal(err)
		}
		if _, err := follower.Append(wholeBatches(rr.Records), storage.AppendOptions{Origin: storage.AppendReplication, RequiredAcks: -1}); err != nil {
			t.Fatalf("replicating at %d: %v", off, err)
		}
	}
	t.Fatal("follower did not converge")
	return 0
}

// TestDivergenceTruncation builds leader and follower logs with diverging
// epochs and checks the follower ends byte for byte identical to the
// leader, never truncating below the prefix they share.
func TestDivergenceTruncation(t *testing.T) {
	for _, c := range []struct {
		name             string
		leader, follower []epochRun
		common           int64 // length of the shared prefix: never truncated
	}{
		{"follower behind", []epochRun{{1, 5}, {2, 5}}, []epochRun{{1, 3}}, 3},
		{"follower empty", []epochRun{{1, 5}, {2, 5}}, nil, 0},
		{"identical", []epochRun{{1, 5}, {2, 0}}, []epochRun{{1, 5}}, 5},
		{"uncommitted suffix of the old epoch", []epochRun{{1, 5}, {2, 4}}, []epochRun{{1, 8}}, 5},
		{"an epoch the leader never had", []epochRun{{1, 5}, {3, 4}}, []epochRun{{1, 5}, {2, 3}}, 5},
		{"several diverged epochs", []epochRun{{1, 3}, {2, 2}, {4, 3}}, []epochRun{{1, 3}, {2, 4}, {3, 2}}, 5},
		{"follower ahead in the common epoch", []epochRun{{1, 5}, {3, 1}}, []epochRun{{1, 9}, {2, 2}}, 5},
		{"follower led an epoch without writing", []epochRun{{1, 5}, {4, 0}, {4, 3}}, []epochRun{{1, 5}, {3, 0}}, 5},
		{"follower led and wrote, leader moved on", []epochRun{{1, 5}, {2, 1}, {5, 0}}, []epochRun{{1, 5}, {2, 1}, {3, 0}, {4, 2}}, 6},
		{"both only the first epoch, follower longer", []epochRun{{0, 2}}, []epochRun{{0, 4}}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			leader := buildLog(t, "leader", c.leader)
			follower := buildLog(t, "follower", c.follower)
			// The leader's current epoch ends at its log end, as on election.
			lowest := syncFollower(t, leader, follower)
			if lowest < c.common {
				t.Errorf("follower truncated to %d, below the shared prefix %d", lowest, c.common)
			}
			sameLogs(t, leader, follower, 0)
			if le, fe := leader.LatestEpoch(), follower.LatestEpoch(); le != fe && leaderWrote(c.leader, le) {
				t.Errorf("latest epochs differ: leader %d, follower %d", le, fe)
			}
		})
	}
}

// leaderWrote reports whether the leader has records in epoch (an epoch
// entry without records is not replicated).
func leaderWrote(runs []epochRun, epoch int32) bool {
	for _, r := range runs {
		if r.epoch == epoch && r.n > 0 {
			return true
		}
	}
	return false
}

// TestFollowerBehindLogStart: when the leader deleted what the follower
// still needs, the follower restarts its log at the leader's log start.
func TestFollowerBehindLogStart(t *testing.T) {
	leader := buildLog(t, "leader", []epochRun{{1, 10}})
	leader.SetHighWatermark(leader.LogEndOffset())
	if err := leader.DeleteRecordsBefore(8); err != nil {
		t.Fatal(err)
	}
	follower := buildLog(t, "follower", []epochRun{{1, 3}})
	syncFollower(t, leader, follower)
	if follower.LogStartOffset() != 8 || follower.LogEndOffset() != 10 {
		t.Fatalf("follower log [%d, %d), want [8, 10)", follower.LogStartOffset(), follower.LogEndOffset())
	}
	sameLogs(t, leader, follower, 8)
}

// TestTruncationOffset pins the follower's rule case by case (Kafka's
// getOffsetTruncationState).
func TestTruncationOffset(t *testing.T) {
	// Follower: epoch 1 at 0..4, epoch 2 at 5..7, LEO 8.
	f := buildLog(t, "follower", []epochRun{{1, 5}, {2, 3}})
	f.SetHighWatermark(4)
	for _, c := range []struct {
		name string
		div  storage.EpochEndOffset
		want int64
	}{
		{"common epoch ends earlier on the leader", storage.EpochEndOffset{LeaderEpoch: 2, EndOffset: 6}, 6},
		{"leader's end beyond ours", storage.EpochEndOffset{LeaderEpoch: 2, EndOffset: 20}, 8},
		{"our epoch 1 ends at 5", storage.EpochEndOffset{LeaderEpoch: 1, EndOffset: 7}, 5},
		{"epoch above all of ours: the leader's end", storage.EpochEndOffset{LeaderEpoch: 3, EndOffset: 9}, 8},
		{"epoch below all of ours", storage.EpochEndOffset{LeaderEpoch: 0, EndOffset: 2}, 0},
		{"undefined epoch", storage.EpochEndOffset{LeaderEpoch: -1, EndOffset: 3}, 3},
		{"undefined offset: keep the HW", storage.EpochEndOffset{LeaderEpoch: -1, EndOffset: -1}, 4},
	} {
		if got := truncationOffset(f, c.div); got != c.want {
			t.Errorf("%s: truncate to %d, want %d", c.name, got, c.want)
		}
	}
}
