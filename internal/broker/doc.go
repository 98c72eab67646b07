// Package broker assembles one Strom node: storage, the metadata
// controller, the replica manager, request handlers and listeners, started
// and stopped in dependency order. A single node is a one-voter KRaft
// cluster in combined mode; the same assembly runs every node of a cluster.
package broker
