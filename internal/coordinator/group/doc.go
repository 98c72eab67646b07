// Package group is the consumer-group coordinator for Kafka's classic
// group protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup) and the
// committed-offset store (OffsetCommit / OffsetFetch / OffsetDelete), over
// the internal compacted topic __consumer_offsets. Kafka's GroupCoordinator
// and GroupMetadataManager are the specification; comments name the Kafka
// function a piece of code mirrors.
//
// # Using it
//
// The broker builds one Coordinator and subscribes it to the metadata
// image after the replica manager (which opens the partition logs):
//
//	groups := group.New(group.Options{NodeID: id, Config: group.ConfigFrom(cfg),
//		Metadata: ctrl, Replicas: replicas, Logger: logger})
//	ctrl.Subscribe(replicas.Apply)
//	ctrl.Subscribe(groups.Apply)
//	...
//	groups.Close() // before the logs close
//
// Request handlers call Locate (FindCoordinator; creates __consumer_offsets
// on first use), Join, Sync, Heartbeat, Leave, CommitOffsets, FetchOffsets,
// DescribeGroup, ListGroups, DeleteGroup and DeleteOffsets. Errors are the
// package's Err* values; internal/api maps them to Kafka codes. Lag reports
// committed offsets against high watermarks for the CLI and metrics.
//
// # Placement
//
// A group lives in partition abs(javaHashCode(groupId)) % partitions of
// __consumer_offsets (PartitionFor), and its coordinator is that
// partition's leader. For each partition this broker leads, Apply starts a
// shard; losing leadership stops it (waiting requests get NOT_COORDINATOR).
//
// # Concurrency
//
// Each shard runs one goroutine that owns a core: the deterministic state
// machine of every group in the partition. Requests reach it as closures on
// a channel; the goroutine also fires the core's timers. A mutex per group
// was the alternative, but a partition's groups share one log whose order
// must match the order of their state changes, and loading must exclude
// every request of the partition: one owner per partition gives both
// without lock ordering. Partitions proceed in parallel.
//
// The core does no I/O but through its journal (append records, return when
// committed), reads no clock (callers pass now) and starts no goroutines:
// every deadline (session expiry, join and sync timeouts, the initial
// rebalance delay, pending member ids, the offset-expiry pass) sits in one
// timer heap that tick(now) drains. Requests that must wait (JoinGroup
// until the join phase completes, SyncGroup until the leader's assignment)
// are callbacks the core calls exactly once. Unit tests drive a core with a
// fake clock and an in-memory journal (see helpers_test.go).
//
// # State machine
//
// Empty → PreparingRebalance (a member joins) → CompletingRebalance (every
// known member rejoined, or the rebalance timeout passed; the generation
// advances and the leader gets everyone's metadata) → Stable (the leader's
// SyncGroup is stored and assignments handed out) → PreparingRebalance
// again when a member joins, leaves, changes its metadata or misses its
// session, or the leader rejoins. Dynamic members that do not rejoin in
// time are dropped; static members (group.instance.id) keep their slot and
// may restart without a rebalance. A group with no members is Empty;
// DeleteGroups or offset expiry removes it (Dead).
//
// # Durability
//
// Changes are written to the group's partition before they are applied or
// acknowledged: offset commits (OffsetCommitKey/Value), a group's metadata
// when it stabilises, empties or a static member is replaced
// (GroupMetadataKey/Value), and tombstones for deleted offsets and groups,
// all in Kafka's formats (records.go) so tools that read the topic work. On
// start (or on becoming leader) a shard replays its partition from the log
// start; meanwhile its groups answer COORDINATOR_LOAD_IN_PROGRESS.
package group
