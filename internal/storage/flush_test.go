package storage

import (
	"sync"
	"testing"
)

func TestGroupCommit(t *testing.T) {
	tl := openTestLog(t, LogConfig{FlushMessages: 1})
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				res, err := tl.Append(mkBatch(t, batchOpt{n: 1, size: 100}), AppendOptions{RequiredAcks: -1})
				if err != nil {
					errs <- err
					return
				}
				// Acked means durable: the recovery point covers it.
				if rp := tl.RecoveryPoint(); rp <= res.LastOffset {
					t.Errorf("acked offset %d above recovery point %d", res.LastOffset, rp)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if tl.LogEndOffset() != writers*each || tl.RecoveryPoint() != writers*each {
		t.Fatalf("LEO %d RP %d", tl.LogEndOffset(), tl.RecoveryPoint())
	}
}

func TestFlushMessagesThreshold(t *testing.T) {
	tl := openTestLog(t, LogConfig{FlushMessages: 10})
	for i := 0; i < 9; i++ {
		tl.append(mkBatch(t, batchOpt{n: 1}))
	}
	if tl.RecoveryPoint() != 0 {
		t.Fatalf("flushed early: %d", tl.RecoveryPoint())
	}
	tl.append(mkBatch(t, batchOpt{n: 1}))
	if tl.RecoveryPoint() != 10 {
		t.Fatalf("RP %d after 10 messages", tl.RecoveryPoint())
	}
	tl.append(mkBatch(t, batchOpt{n: 1}))
	if err := tl.Flush(); err != nil || tl.RecoveryPoint() != 11 {
		t.Fatalf("Flush: %v, RP %d", err, tl.RecoveryPoint())
	}
}

func TestWaitNotifies(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	ch := tl.Wait()
	tl.Append(mkBatch(t, batchOpt{n: 1}), AppendOptions{})
	<-ch
	ch = tl.Wait()
	tl.SetHighWatermark(1)
	<-ch
	ch = tl.Wait()
	tl.SetHighWatermark(1) // unchanged: no wake-up
	select {
	case <-ch:
		t.Fatal("woken without change")
	default:
	}
}
