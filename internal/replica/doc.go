// Package replica holds this broker's partitions and replicates them with
// Kafka's ISR protocol: leaders, followers, the high watermark and the ISR.
//
// Manager follows the metadata image (it is a metadata subscriber): when a
// partition lists this node as a replica it opens the partition's log and
// makes it leader or follower; when the partition leaves the node (topic
// deleted, replica moved) it stops it and deletes the log; topic config
// changes are pushed down to the log. Request handlers ask Manager for a
// Partition and call Append / Read on it; they never touch storage
// directly.
//
// # Leader
//
// On becoming leader for epoch E the partition records E in the leader-epoch
// cache at its log end offset (KIP-101), so a follower that asks where its
// last epoch ends gets an answer even before E has data. The leader tracks
// each follower's log end offset (its fetch offset) and when it last caught
// up (leader.go). The high watermark is the smallest log end offset of the
// leader and the "maximal" ISR — the committed ISR plus a member being
// added (KIP-497) — and of followers caught up and about to join; it only
// moves forward, and not at all while the ISR is below min.insync.replicas
// (KIP-966's strict rule). A follower that reaches the high watermark and
// this epoch's start offset is proposed for the ISR; one that has not
// caught up for replica.lag.time.max.ms is proposed for removal (checked
// every lag/2). Proposals go to the controller through
// Options.AlterPartition, one in flight per partition; a new ISR counts
// only once committed (the answer, or a newer image).
//
// # Follower
//
// A follower stops serving writes and is handed to the fetcher for its
// leader broker (fetcher.go): one goroutine per leader sends sessionless
// Fetch requests with this node's replica id, each partition's fetch offset
// being its log end and its last fetched epoch the log's latest epoch. When
// the leader answers with a DivergingEpoch the follower truncates to the end
// of the largest common epoch (follower.go; KIP-320 truncation in Fetch),
// so a diverged suffix is never kept; OFFSET_OUT_OF_RANGE resets the log to
// the leader's bounds. Fetched batches are appended as the leader wrote
// them (storage.AppendReplication), and the follower's high watermark is
// the leader's, capped at its own log end.
//
// # Waiting for commits
//
// acks=all produces and coordinator writes are committed once the high
// watermark passes them. Committed answers the question; callers sleep on
// Log.Wait, which fires on appends, high watermark moves and (Log.Notify)
// leadership and ISR changes. With a single replica the high watermark moves
// with every append, so nothing waits.
//
// High watermarks are checkpointed by the storage manager
// (replication-offset-checkpoint); a restarted partition starts at
// min(checkpoint, log end).
package replica
