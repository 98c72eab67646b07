package durability

import (
	"context"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// deafDialer dials brokers directly. While deaf, its connections swallow
// everything the broker sends, as if every response were lost on the way
// back: the broker writes what it is sent, the client hears of none of it.
// Safe for concurrent use.
type deafDialer struct {
	deaf atomic.Bool
}

func (d *deafDialer) dial(ctx context.Context, network, host string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, host)
	if err != nil {
		return nil, err
	}
	return &deafConn{Conn: c, d: d}, nil
}

type deafConn struct {
	net.Conn
	d *deafDialer
}

// Read discards what arrives while the dialer is deaf and returns only an
// error then (the connection dying with the broker, or a deadline).
func (c *deafConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if !c.d.deaf.Load() {
			return n, err
		}
		if err != nil {
			return 0, err
		}
	}
}

// recordsOnDisk counts the records in the valid batches of every segment of
// topic's partitions under dataDir, read straight from the files (the broker
// may be running or dead).
func recordsOnDisk(dataDir, topic string) (int64, error) {
	var n int64
	for p := range partitions {
		segs, err := filepath.Glob(filepath.Join(dataDir, topic+"-"+strconv.Itoa(int(p)), "[0-9]*.log"))
		if err != nil {
			return 0, err
		}
		for _, seg := range segs {
			data, err := os.ReadFile(seg)
			if err != nil {
				return 0, err
			}
			n += countRecords(data)
		}
	}
	return n, nil
}

// countRecords sums lastOffsetDelta+1 over the valid batches of a segment.
func countRecords(data []byte) int64 {
	var n int64
	end, _ := scanBatches(data)
	for pos := 0; pos < end; {
		n += int64(int32(binary.BigEndian.Uint32(data[pos+23:]))) + 1
		pos += 12 + int(int32(binary.BigEndian.Uint32(data[pos+8:])))
	}
	return n
}
