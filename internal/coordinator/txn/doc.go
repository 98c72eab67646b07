// Package txn is Kafka's transaction coordinator (KIP-98) over the
// compacted internal topic __transaction_state.
//
// A transactional id lives in partition abs(javaHashCode(id)) % partitions
// of __transaction_state; the partition's leader coordinates it. For each
// partition it leads, a broker runs a shard: one goroutine owning a
// deterministic core (no clock, no goroutines; I/O only through an
// append-and-wait journal) that loads the partition's TxnMetadata records
// and then serves InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and
// EndTxn, aborts transactions past their timeout and expires idle ids.
//
// Use:
//
//	c := txn.New(txn.Options{NodeID: 1, Config: txn.ConfigFrom(cfg), Metadata: m,
//		Replicas: replicas, Markers: writer, NewProducerID: alloc})
//	controller.Subscribe(c.Apply) // after the replica manager
//	node, err := c.Locate(ctx, "my-txn-id")        // FindCoordinator
//	res := c.InitProducerID(ctx, "my-txn-id", time.Minute, -1, -1)
//	err = c.AddPartitions(ctx, "my-txn-id", res.ProducerID, res.ProducerEpoch, tps, false)
//	next, err := c.EndTxn(ctx, "my-txn-id", res.ProducerID, res.ProducerEpoch, true, true)
//
// With bumpEpoch (transaction version 2, KIP-890 part 2) every EndTxn bumps
// the producer's epoch and next is the id and epoch it continues with;
// without, the producer keeps its epoch (version 1 clients).
//
// EndTxn returns once PrepareCommit (or PrepareAbort) is committed; the
// shard then has a MarkerWriter send WriteTxnMarkers to every partition's
// leader, retrying until all succeed, and writes CompleteCommit (or
// CompleteAbort). A coordinator that takes over a partition resumes the
// markers of every transaction it loads in a Prepare state.
//
// Errors returned are Kafka's (franz-go kerr values), ready for the wire.
// docs/design/transactions.md explains states, records and fencing.
package txn
