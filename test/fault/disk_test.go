package fault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Disk-full faults: as root, each node's data directory is a small tmpfs
// of its own, and the nemesis fills one with a file until the disk is
// full. Strom refuses appends below log.dir.min.free.bytes (64 MiB by
// default) with KAFKA_STORAGE_ERROR, as a leader to producers and as a
// follower to its own fetcher; removing the file heals it.
const tmpfsSize = "192m"

// mountDataDirs puts a tmpfs on each node's data directory (the layout's
// dir/node-N/data) before the cluster starts; cleanup unmounts them after
// the nodes are gone (it was registered first, so it runs last).
func mountDataDirs(t *testing.T, dir string, nodes int) error {
	if os.Geteuid() != 0 {
		return errNotRoot
	}
	for i := 1; i <= nodes; i++ {
		d := filepath.Join(dir, fmt.Sprintf("node-%d", i), "data")
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := run("mount", "-t", "tmpfs", "-o", "size="+tmpfsSize, "tmpfs", d); err != nil {
			return err
		}
		t.Cleanup(func() { _ = run("umount", "-l", d) })
	}
	return nil
}

// fill writes node id's data directory full; healing removes the file.
func (n *nemesis) fill(id int32) (func() error, error) {
	path := filepath.Join(n.c.Node(id).DataDir(), "filler")
	err := fillFile(path)
	n.log("fill-disk", id, err)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return func() error {
		err := os.Remove(path)
		n.log("free-disk", id, err)
		return err
	}, nil
}

// fillFile writes 1 MiB chunks to path until the file system is full.
func fillFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}
