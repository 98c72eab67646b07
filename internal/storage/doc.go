// Package storage is the partition log: Kafka's on-disk layout, recovery,
// flush policy, retention and the log manager.
//
// # Directory layout (Kafka's, so Kafka tooling and people recognise it)
//
//	<log.dir>/
//	  .kafka_cleanshutdown                 present only after a clean Manager.Close
//	  recovery-point-offset-checkpoint     "0\n<n>\n<topic> <partition> <offset>\n"...
//	  log-start-offset-checkpoint          same format
//	  replication-offset-checkpoint        same format: high watermarks
//	  cleaner-offset-checkpoint            same format: first dirty offsets (compaction)
//	  <topic>-<partition>/
//	    00000000000000000000.log           record batches, byte for byte as produced
//	    00000000000000000000.index         sparse offset index
//	    00000000000000000000.timeindex     sparse time index
//	    00000000000000000000.txnindex      aborted transactions whose ABORT marker is here (if any)
//	    00000000000000004711.log           next segment: named by its base offset
//	    00000000000000004711.snapshot      producer state covering offsets < 4711
//	    leader-epoch-checkpoint            "0\n<n>\n<epoch> <startOffset>\n"...
//
// # Segment files
//
//	.log        batch | batch | ...              (record.Header describes a batch)
//	.index      [relOffset int32 | position int32]*      one entry per
//	            index.interval.bytes of log; relOffset = batch last offset − base
//	.timeindex  [timestamp int64 | relOffset int32]*     the largest timestamp so
//	            far and the batch carrying it, appended when it grows
//	.txnindex   [version int16 | producerId int64 | firstOffset int64 |
//	            lastOffset int64 | lastStableOffset int64]*   one per abort (txn.go)
//
// All integers are big-endian. A preallocated .log is longer than its data
// (zeros after it); readers stop at the in-memory logical size and recovery
// stops at the zeros (a batchLength of 0 is invalid).
//
// # Write path
//
// Append validates batches (package record) before taking the log's mutex,
// then under it: idempotence checks, offsets and leader epoch stamped in
// place, roll if needed, one write of the whole request, LEO published,
// waiters notified. Index entries stay in memory until the segment is sealed
// or flushed. With flush.messages reached, the appender then waits for a
// group commit (flush.go) outside the mutex.
//
// # Durability
//
// The recovery point is the offset below which data was fsynced. After a
// crash, Open scans from the segment holding it and truncates at the first
// invalid batch; segments below it are trusted (their indexes are checked
// lazily and rebuilt if implausible). A roll flushes the previous segment in
// the background, so at most about one segment is scanned at startup.
//
// # Log cleaner
//
// Compacted logs (cleanup.policy=compact) are cleaned in the background:
// see cleaner.go for a round, cleaner_swap.go for the crash-safe swap
// (*.cleaned → *.swap → final names) that recovery completes.
//
// # File I/O
//
// All file access goes through the FS and File interfaces (fs.go), so a test
// filesystem that injects errors or forgets unsynced writes can replace the
// real one.
package storage
