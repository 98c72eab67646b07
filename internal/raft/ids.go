package raft

import "fmt"

// Raft ids must be non-zero (0 is raft.None) while Kafka's node.id may be 0,
// so the raft id of a node is its node.id plus one. This mapping is
// persisted (votes in the WAL, voters in snapshots): never change it.

// RaftID returns the raft id of Kafka node nodeID (≥ 0).
func RaftID(nodeID int32) uint64 {
	if nodeID < 0 {
		panic(fmt.Sprintf("raft: negative node id %d", nodeID))
	}
	return uint64(nodeID) + 1
}

// NodeID returns the Kafka node id of raft id id, or -1 for raft.None.
func NodeID(id uint64) int32 { return int32(id) - 1 }
