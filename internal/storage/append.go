package storage

import (
	"errors"
	"fmt"

	"github.com/strom-project/strom/internal/record"
)

// pendingBatch is one validated batch of an append.
type pendingBatch struct {
	b      []byte
	h      record.Header
	info   record.Info
	marker *record.EndTxnMarker // a transaction marker's content, else nil
}

// Append validates records (one or more whole v2 batches), assigns offsets in
// place, writes them and returns where they went. See AppendOrigin for what
// each origin checks. With flush.messages reached it returns only after the
// data is fsynced (group commit), without holding the log's lock meanwhile.
func (l *Log) Append(records []byte, opt AppendOptions) (AppendResult, error) {
	if err := l.space.check(); err != nil {
		return AppendResult{}, err
	}
	cfg := l.config()
	var stack [2]pendingBatch
	batches, err := l.splitAndValidate(records, opt.Origin, cfg, stack[:0])
	if err != nil {
		return AppendResult{}, err
	}
	// compression.type: re-encoded outside the lock, like validation.
	if records, err = recompress(records, batches, opt.Origin, cfg); err != nil {
		return AppendResult{}, err
	}
	now := l.now().UnixMilli()

	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return AppendResult{}, ErrLogClosed
	}
	res, target, err := l.appendLocked(records, batches, opt, cfg, now)
	l.mu.Unlock()
	if err != nil && errors.Is(err, ErrStorage) && l.space != nil {
		// Most likely the disk filled up: read the free space now, so
		// the next appends are refused before they write (space.go).
		l.space.refresh()
	}
	if err != nil || res.Duplicate {
		return res, err
	}
	l.notify()
	if target >= 0 {
		if err := l.syncTo(target); err != nil {
			return res, err
		}
	}
	return res, nil
}

// splitAndValidate splits records into batches and validates each; it runs
// before taking the lock, so CRC and decompression work proceed in parallel
// across producers.
func (l *Log) splitAndValidate(records []byte, origin AppendOrigin, cfg *LogConfig, out []pendingBatch) ([]pendingBatch, error) {
	if len(records) == 0 {
		return nil, fmt.Errorf("%w: no record batches", ErrInvalidRecord)
	}
	lim := decompressLimits(cfg)
	it := record.Iter{Buf: records}
	for it.Next() {
		p := pendingBatch{b: it.Batch, h: it.Header}
		if p.h.Magic != record.MagicV2 {
			return nil, fmt.Errorf("%w: magic %d", ErrUnsupportedMagic, p.h.Magic)
		}
		if origin != AppendReplication && len(p.b) > int(cfg.MaxMessageBytes) {
			return nil, fmt.Errorf("%w: batch of %d bytes, max.message.bytes %d", ErrRecordTooLarge, len(p.b), cfg.MaxMessageBytes)
		}
		var err error
		if origin == AppendReplication {
			// Kafka checks only integrity on the follower: the leader
			// validated the content, and re-validating would diverge.
			_, err = record.CheckIntegrity(p.b)
			p.info.Header = p.h
			p.info.MaxRecordTimestamp = p.h.MaxTimestamp
		} else {
			p.info, err = record.Validate(p.b, lim)
		}
		if err != nil {
			return nil, mapRecordError(err)
		}
		if origin == AppendClient && p.h.IsControl() {
			return nil, fmt.Errorf("%w: clients may not write control batches", ErrInvalidRecord)
		}
		if p.h.IsControl() {
			m, ok, err := record.ParseEndTxnMarker(p.b)
			if err != nil && origin != AppendReplication {
				return nil, mapRecordError(err)
			}
			// A follower takes what the leader wrote; an unreadable
			// marker then just does not move producer state.
			if err == nil && ok {
				p.marker = &m
			}
		}
		if origin != AppendReplication && cfg.Compact() && !p.h.IsControl() {
			if err := checkKeys(p.b, lim); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	if it.Err != nil {
		return nil, mapRecordError(it.Err)
	}
	return out, nil
}

// checkKeys rejects a batch with a record without a key: the cleaner could
// never tell which value it is the latest of (Kafka's LogValidator).
func checkKeys(batch []byte, lim record.Limits) error {
	missing := false
	err := record.ForEachRecord(batch, lim, func(_ *record.Header, r *record.Record) bool {
		missing = r.Key == nil
		return !missing
	})
	if err != nil {
		return mapRecordError(err)
	}
	if missing {
		return fmt.Errorf("%w: Compacted topic cannot accept message without key", ErrInvalidRecord)
	}
	return nil
}

func mapRecordError(err error) error {
	switch {
	case errors.Is(err, record.ErrUnsupportedMagic):
		return fmt.Errorf("%w: %v", ErrUnsupportedMagic, err)
	case errors.Is(err, record.ErrInvalidRecord):
		return fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	case errors.Is(err, record.ErrTooLarge):
		return fmt.Errorf("%w: %v", ErrRecordTooLarge, err)
	default: // ErrCorrupt, ErrTruncated
		return fmt.Errorf("%w: %v", ErrCorruptMessage, err)
	}
}

// checkTimestamps applies Kafka's LogValidator.validateTimestamp to a
// leader's batch: a producer may not mark a batch LogAppendTime (unless the
// topic is CreateTime and the batch has a timestamp, which Kafka then
// treats as the records' CreateTime), and under CreateTime every record
// timestamp other than NoTimestamp must lie within
// message.timestamp.before.max.ms / after.max.ms of the broker's clock.
func (l *Log) checkTimestamps(p *pendingBatch, cfg *LogConfig, now int64) error {
	if p.h.IsLogAppendTime() && (cfg.TimestampType == LogAppendTime || p.h.MaxTimestamp == record.NoTimestamp) {
		return fmt.Errorf("%w: producer should not set timestamp type to LogAppendTime", ErrInvalidTimestamp)
	}
	if cfg.TimestampType != CreateTime {
		return nil
	}
	// Differences in uint64 cannot overflow for hostile timestamps; the
	// bounds default to MaxInt64. MinSet > MaxSet when no record has a
	// timestamp, which passes both checks.
	if lo := p.info.MinSetTimestamp; lo < now && uint64(now)-uint64(lo) > uint64(cfg.TimestampBeforeMaxMs) {
		return fmt.Errorf("%w: timestamp %d is more than %d ms before %d", ErrInvalidTimestamp, lo, cfg.TimestampBeforeMaxMs, now)
	}
	if hi := p.info.MaxSetTimestamp; hi > now && uint64(hi)-uint64(now) > uint64(cfg.TimestampAfterMaxMs) {
		return fmt.Errorf("%w: timestamp %d is more than %d ms after %d", ErrInvalidTimestamp, hi, cfg.TimestampAfterMaxMs, now)
	}
	return nil
}

type producerUpdate struct {
	id int64
	st *producerState
}

// appendLocked does the part of Append that needs mu. target is the offset
// the caller must fsync up to after unlocking, or -1.
func (l *Log) appendLocked(records []byte, batches []pendingBatch, opt AppendOptions, cfg *LogConfig, now int64) (res AppendResult, target int64, err error) {
	target = -1
	leo := l.leo.Load()
	res = AppendResult{BaseOffset: -1, LastOffset: -1, LogAppendTime: -1, LogStartOffset: l.lso.Load()}
	for i := range batches {
		if opt.Origin != AppendReplication {
			if err := l.checkTimestamps(&batches[i], cfg, now); err != nil {
				return res, target, err
			}
		}
	}
	// Offsets first: sequence bookkeeping records them. On a later error
	// the caller's buffer is left stamped, which is harmless.
	first, last, err := l.assignOffsets(batches, opt, cfg, leo, now, &res)
	if err != nil {
		return res, target, err
	}
	updates, completed, dup, err := l.checkProducers(batches, opt.Origin)
	if err != nil || dup != nil {
		if dup != nil {
			res.BaseOffset, res.LastOffset, res.Duplicate = dup.FirstOffset, dup.LastOffset, true
			res.LogAppendTime = -1
		}
		return res, target, err
	}
	maxTS := int64(-1 << 63)
	for i := range batches {
		maxTS = max(maxTS, batches[i].h.MaxTimestamp)
	}
	if err := l.maybeRollLocked(len(records), last, maxTS, cfg, now); err != nil {
		return res, target, err
	}
	if err := l.assignEpochs(batches, opt); err != nil {
		return res, target, err
	}
	infos := make([]batchInfo, len(batches))
	var messages int64
	for i := range batches {
		infos[i] = infoOf(&batches[i].h)
		messages += int64(batches[i].h.RecordCount)
	}
	if err := l.activeSegment().write(records, infos, int64(cfg.IndexIntervalBytes)); err != nil {
		return res, target, err
	}
	for _, u := range updates {
		l.producers[u.id] = u.st
	}
	l.leo.Store(last + 1)
	res.BaseOffset, res.LastOffset = first, last
	if anyTransactional(batches) {
		if err := l.afterTxnUpdatesLocked(completed); err != nil {
			return res, target, err
		}
	}
	l.unflushed += messages
	if l.unflushed >= cfg.FlushMessages {
		l.unflushed = 0
		target = last + 1
	}
	return res, target, nil
}

// assignOffsets stamps offsets, leader epoch and timestamps into the batches
// in place (client/coordinator) or checks the leader's offsets (replication).
func (l *Log) assignOffsets(batches []pendingBatch, opt AppendOptions, cfg *LogConfig, leo, now int64, res *AppendResult) (first, last int64, err error) {
	next := leo
	for i := range batches {
		p := &batches[i]
		if opt.Origin == AppendReplication {
			if p.h.BaseOffset < next {
				return 0, 0, fmt.Errorf("%w: replicated batch at offset %d, expected >= %d", ErrCorruptMessage, p.h.BaseOffset, next)
			}
		} else {
			record.SetBaseOffset(p.b, next)
			record.SetPartitionLeaderEpoch(p.b, opt.LeaderEpoch)
			p.h.BaseOffset, p.h.PartitionLeaderEpoch = next, opt.LeaderEpoch
			if cfg.TimestampType == LogAppendTime {
				record.SetLogAppendTime(p.b, now)
				p.h.MaxTimestamp = now
				res.LogAppendTime = now
			} else if p.h.MaxTimestamp != p.info.MaxRecordTimestamp || p.h.IsLogAppendTime() {
				// Trust the records, not the client's header: retention
				// and the time index are driven by maxTimestamp. A
				// LogAppendTime mark becomes CreateTime (Kafka's
				// setMaxTimestamp(CREATE_TIME, max)).
				record.SetMaxTimestamp(p.b, p.info.MaxRecordTimestamp)
				p.h, _ = record.ParseHeader(p.b)
			}
		}
		if i == 0 {
			first = p.h.BaseOffset
		}
		next = p.h.NextOffset()
	}
	return first, next - 1, nil
}

// assignEpochs feeds the leader-epoch cache (Kafka:
// maybeAssignEpochStartOffset); it persists only when an epoch is new.
func (l *Log) assignEpochs(batches []pendingBatch, opt AppendOptions) error {
	latest, ok := l.epochs.latest()
	for i := range batches {
		e := batches[i].h.PartitionLeaderEpoch
		if e >= 0 && (!ok || e > latest.Epoch) {
			if err := l.epochs.assign(e, batches[i].h.BaseOffset); err != nil {
				return fmt.Errorf("%w: leader-epoch checkpoint: %v", ErrStorage, err)
			}
			latest, ok = epochEntry{e, batches[i].h.BaseOffset}, true
		}
	}
	return nil
}

// checkProducers runs the idempotence checks batch by batch (later batches
// of the same producer see earlier ones) and returns the new states to
// install after a successful write, or the original of a duplicate.
func (l *Log) checkProducers(batches []pendingBatch, origin AppendOrigin) ([]producerUpdate, []completedTxn, *batchMeta, error) {
	var updates []producerUpdate
	var completed []completedTxn
	for i := range batches {
		h := &batches[i].h
		if !h.HasProducerID() {
			continue
		}
		cur, ui := l.producers[h.ProducerID], -1
		for j, u := range updates {
			if u.id == h.ProducerID {
				cur, ui = u.st, j
			}
		}
		switch origin {
		case AppendClient:
			dup, err := checkClientBatch(cur, h)
			if err != nil {
				return nil, nil, nil, err
			}
			if dup != nil {
				// Kafka answers a retried batch with the original's
				// offsets; a retry is always sent alone.
				if len(batches) != 1 {
					return nil, nil, nil, fmt.Errorf("%w: duplicate batch inside a multi-batch append", ErrOutOfOrderSequence)
				}
				return nil, nil, dup, nil
			}
		case AppendCoordinator:
			if err := checkMarker(cur, h, batches[i].marker); err != nil {
				return nil, nil, nil, err
			}
		}
		var next *producerState
		switch {
		case ui >= 0:
			next = cur // already our private copy
		case cur != nil:
			next = cur.clone()
		default:
			next = newProducerState(h.ProducerEpoch)
		}
		if origin != AppendReplication || h.ProducerEpoch >= next.Epoch {
			if done, ok := next.add(h, batches[i].marker); ok {
				completed = append(completed, done)
			}
		}
		if ui < 0 {
			updates = append(updates, producerUpdate{h.ProducerID, next})
		}
	}
	return updates, completed, nil, nil
}

func (l *Log) activeSegment() *segment {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	return l.active()
}
