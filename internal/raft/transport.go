package raft

import pb "go.etcd.io/raft/v3/raftpb"

// Transport carries raft messages to the other voters and learners. Send
// must not block the raft loop for long (queue and drop on overload: raft
// retries); messages arriving from peers go to Node.Step.
//
// A one-voter quorum never sends anything; NopTransport serves it.
type Transport interface {
	Send(msgs []*pb.Message)
}

// NopTransport drops every message. It is the transport of a one-voter quorum.
type NopTransport struct{}

func (NopTransport) Send([]*pb.Message) {}
