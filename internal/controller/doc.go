// Package controller is Strom's KRaft controller: the event loop that
// validates metadata operations against the current image and commits them
// as record batches to the metadata log (package raft), and the image that
// applying the log builds (package metadata).
//
// Every voter of the metadata quorum runs a Controller; the one on the raft
// leader is the active controller (Active, ActiveControllerID) and alone
// decides. On the others every operation fails with ErrNotController, and
// the API layer forwards the request to the active one.
//
// Usage:
//
//	c, err := controller.New(controller.Options{NodeID: 1, MetadataDir: dir, Voters: []int32{1, 2, 3}, Transport: tr, …})
//	c.Subscribe(func(prev, next *metadata.Image) { … }) // before Start: see the replay too
//	err = c.Start(ctx)                                  // replay, join the quorum, cluster id, meta.properties
//	epoch, err := c.RegisterBroker(ctx, controller.BrokerRegistration{ID: 1, IncarnationID: inc, …})
//	reply, err := c.BrokerHeartbeat(ctx, controller.BrokerHeartbeat{ID: 1, Epoch: epoch, MetadataOffset: off})
//	res := c.CreateTopics(ctx, []controller.CreateTopic{{Name: "t", NumPartitions: 3, ReplicationFactor: -1}}, false)
//	im := c.Image()                                     // immutable, lock-free
//	err = c.Close()
//
// Every operation runs on the event loop goroutine: validate against
// c.Image(), build records, propose them as ONE raft entry, wait until it is
// applied. Operations are therefore serialised and each sees the effects of
// the previous ones. Errors wrap the package's sentinels with Kafka's
// message ("%w: Topic 't' already exists."); ErrorMessage extracts the
// message for the client, errors.Is picks the Kafka error code.
//
// The cluster logic follows Kafka's KRaft controller (KIP-631, KIP-841):
//
//   - brokers.go, heartbeat.go: registration (a new registration starts
//     fenced; its epoch is its offset in the log), heartbeats that unfence a
//     caught-up broker, controlled shutdown, and fencing of brokers whose
//     session (BrokerSessionTimeout, kept only in the active controller's
//     memory and restarted on failover) expired.
//   - election.go: the one set of leader election and ISR rules, pure
//     functions of the image.
//   - alter_partition.go: ISR changes requested by partition leaders.
//   - elect_leaders.go: ElectLeaders and the periodic leader rebalance.
//   - placement.go: rack-aware, load-balanced replica placement.
//
// Subscribers run on the raft apply goroutine in log order with (prev, next);
// the broker uses them to create and delete local partition logs. They must
// not call controller operations (those wait for the apply goroutine).
//
// MetadataDir holds Kafka's meta.properties (cluster.id, node.id,
// version=1) and the metadata log in __cluster_metadata-0/. A new log's
// bootstrap snapshot is empty, identical on every voter; the first active
// controller commits the cluster id (Options.ClusterID, the one in an
// existing meta.properties, or a random one), and every node then writes it
// to meta.properties or checks it against the file.
package controller
