// Package topiclog reads a topic back for the durability and cluster
// checkers: every partition from its log start offset to the high
// watermark listed when reading began, by assignment (no group), with
// read_uncommitted unless the options ask for read_committed.
package topiclog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/testutil"
)

// Record is one record as read back.
type Record struct {
	Offset     int64
	Value      []byte
	ProducerID int64
}

// Partition is one partition as read back: [Start, End) and its records.
// Records may run past End when something still writes to the topic.
type Partition struct {
	Start, End int64
	Records    []Record
}

// Read lists the offsets of topic's partitions 0..partitions-1 (retrying
// for up to listTimeout, e.g. while a restarted broker loads), then reads
// each from Start until it has a record at End-1 or beyond. ctx bounds the
// reading; opts configure the clients (seed brokers at least).
func Read(ctx context.Context, topic string, partitions int32, listTimeout time.Duration, opts ...kgo.Opt) (map[int32]*Partition, error) {
	admCl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	logs := map[int32]*Partition{}
	if err := testutil.Poll(listTimeout, func() error {
		starts, err := ListOffsets(ctx, adm.ListStartOffsets, topic, partitions)
		if err != nil {
			return err
		}
		ends, err := ListOffsets(ctx, adm.ListEndOffsets, topic, partitions)
		if err != nil {
			return err
		}
		for p := range partitions {
			logs[p] = &Partition{Start: starts[p], End: ends[p]}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing the offsets of %s: %w", topic, err)
	}
	assign := map[int32]kgo.Offset{}
	for p := range partitions {
		assign[p] = kgo.NewOffset().At(logs[p].Start)
	}
	// read_uncommitted unless opts say otherwise (later options win).
	copts := append([]kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadUncommitted())}, opts...)
	cl, err := kgo.NewClient(append(copts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var lastErr error
	for !readToEnd(logs) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("reading %s back: %w (last fetch error: %v)\n%s", topic, ctx.Err(), lastErr, progress(logs))
		}
		fs.EachError(func(_ string, p int32, err error) { lastErr = fmt.Errorf("partition %d: %w", p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			pl := logs[r.Partition]
			pl.Records = append(pl.Records, Record{Offset: r.Offset, Value: r.Value, ProducerID: r.ProducerID})
		})
	}
	return logs, nil
}

// ListOffsets lists partitions 0..partitions-1 of topic with list (kadm's
// ListStartOffsets, ListEndOffsets, …), failing unless every one is listed.
func ListOffsets(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), topic string, partitions int32) (map[int32]int64, error) {
	lo, err := list(ctx, topic)
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for p := range partitions {
		o, ok := lo.Lookup(topic, p)
		if !ok {
			return nil, fmt.Errorf("no offset listed for partition %d", p)
		}
		out[p] = o.Offset
	}
	return out, nil
}

// readToEnd reports whether every partition has been read up to its end.
func readToEnd(logs map[int32]*Partition) bool {
	for _, pl := range logs {
		if pl.End > pl.Start && (len(pl.Records) == 0 || pl.Records[len(pl.Records)-1].Offset < pl.End-1) {
			return false
		}
	}
	return true
}

func progress(logs map[int32]*Partition) string {
	var b strings.Builder
	for p := range int32(len(logs)) {
		pl := logs[p]
		fmt.Fprintf(&b, "partition %d: [%d, %d), %d records read\n", p, pl.Start, pl.End, len(pl.Records))
	}
	return b.String()
}
