// Package layout plans a Strom cluster on one machine: node ids, loopback
// ports, directories, and each node's server.properties, in Kafka's names.
//
// `strom dev cluster`, the process harness internal/teststrom and the
// in-process harness internal/testcluster all build their nodes from it, so
// the three agree on one configuration contract. For node n of N (ids from 1):
//
//	node.id=n
//	process.roles=broker,controller
//	controller.quorum.voters=1@127.0.0.1:C1,...,N@127.0.0.1:CN
//	controller.listener.names=CONTROLLER
//	listeners=PLAINTEXT://127.0.0.1:Pn,CONTROLLER://127.0.0.1:Cn
//	inter.broker.listener.name=PLAINTEXT
//	log.dirs=<dir>/node-n/data
//	default.replication.factor=min(3, N)
//	offsets.topic.replication.factor=min(3, N)
//	admin.listener=127.0.0.1:0           (metrics and probes on a free port)
//
// followed by the caller's settings (later wins). SetRoles changes the
// roles: nodes that are not voters get process.roles=broker and no
// CONTROLLER listener, controller-only nodes get process.roles=controller
// and no PLAINTEXT listener, and the replication factors count brokers.
// Files on disk:
//
//	<dir>/node-n/server.properties
//	<dir>/node-n/data/              log.dirs
//
// A Cluster is a plain value; nothing here starts a process or opens a port
// except FreePorts, which asks the OS for ports and closes them again.
package layout
