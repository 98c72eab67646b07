package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"
)

const snapName = "snapshot"

// writeSnapshot persists snap atomically as dir/snapshot (one frame).
func writeSnapshot(dir string, snap *pb.Snapshot) error {
	conf, err := proto.Marshal(snap.GetMetadata().GetConfState())
	if err != nil {
		return fmt.Errorf("raft: encode conf state: %w", err)
	}
	var h [20]byte
	binary.BigEndian.PutUint64(h[:], snap.GetMetadata().GetIndex())
	binary.BigEndian.PutUint64(h[8:], snap.GetMetadata().GetTerm())
	binary.BigEndian.PutUint32(h[16:], uint32(len(conf)))
	buf := appendFrame(nil, kindSnapshot, h[:], conf, snap.GetData())
	if err := writeFileAtomic(filepath.Join(dir, snapName), buf); err != nil {
		return fmt.Errorf("raft: write snapshot: %w", err)
	}
	return nil
}

// readSnapshot returns the snapshot in dir, or nil if there is none. Unlike
// the WAL a damaged snapshot is an error: it was written atomically, so
// damage is not a torn write and we cannot rebuild the state without it.
func readSnapshot(dir string) (*pb.Snapshot, error) {
	data, err := os.ReadFile(filepath.Join(dir, snapName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("raft: read snapshot: %w", err)
	}
	payload, size, err := nextFrame(data)
	if err != nil || size != len(data) || frameKind(payload[0]) != kindSnapshot || len(payload) < 21 {
		return nil, fmt.Errorf("raft: snapshot file is corrupt (%d bytes): %v", len(data), err)
	}
	body := payload[1:]
	confLen := binary.BigEndian.Uint32(body[16:])
	if uint64(confLen) > uint64(len(body)-20) {
		return nil, fmt.Errorf("raft: snapshot file is corrupt: conf state length %d", confLen)
	}
	cs := new(pb.ConfState)
	if err := proto.Unmarshal(body[20:20+confLen], cs); err != nil {
		return nil, fmt.Errorf("raft: snapshot conf state: %w", err)
	}
	return &pb.Snapshot{
		Data: body[20+confLen:],
		Metadata: &pb.SnapshotMetadata{
			Index:     new(binary.BigEndian.Uint64(body)),
			Term:      new(binary.BigEndian.Uint64(body[8:])),
			ConfState: cs,
		},
	}, nil
}
