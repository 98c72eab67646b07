// Package controller is Strom's KRaft controller: a single event loop that
// validates metadata operations against the current image and commits them
// as record batches to the metadata log (package raft), and the image that
// applying the log builds (package metadata).
//
// Usage (combined mode: this node is the only voter and a broker):
//
//	c, err := controller.New(controller.Options{NodeID: 1, MetadataDir: dir, …})
//	c.Subscribe(func(prev, next *metadata.Image) { … }) // before Start: see the replay too
//	err = c.Start(ctx)                                  // meta.properties, replay, elect, register broker
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
// Subscribers run on the raft apply goroutine in log order with (prev, next);
// the broker uses them to create and delete local partition logs. They must
// not call controller operations (those wait for the apply goroutine).
//
// MetadataDir holds Kafka's meta.properties (cluster.id, node.id, version=1;
// a random 22-character cluster id is generated on first start) and the
// metadata log in __cluster_metadata-0/.
package controller
