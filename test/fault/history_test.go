package fault

import (
	"encoding/json"
	"os"
	"sync"
	"time"
)

// Operation types, as Jepsen's: an invoke is followed by ok (it happened),
// fail (it certainly did not) or info (unknown: it may have).
const (
	invoke = "invoke"
	ok     = "ok"
	fail   = "fail"
	info   = "info"
)

// msg is one record a poll returned.
type msg struct {
	Partition int32  `json:"p"`
	Offset    int64  `json:"o"`
	Value     string `json:"v"`
}

// op is one history entry.
type op struct {
	Index     int           `json:"index"`
	At        time.Duration `json:"at_ns"` // since the run began
	Process   string        `json:"process"`
	Type      string        `json:"type"`
	F         string        `json:"f"` // send, poll; or the nemesis's kill, pause, resume, restart
	Partition int32         `json:"partition"`
	Value     string        `json:"value,omitempty"`
	Offset    int64         `json:"offset"`
	Polled    []msg         `json:"polled,omitempty"`
	Node      int32         `json:"node,omitempty"`
	Error     string        `json:"error,omitempty"`
}

// history is the run's log of operations, kept in memory for the checker
// and appended to a JSONL file as it grows.
type history struct {
	began time.Time
	mu    sync.Mutex
	ops   []op
	enc   *json.Encoder
	f     *os.File
}

func newHistory(path string) (*history, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &history{began: time.Now(), f: f, enc: json.NewEncoder(f)}, nil
}

// add stamps o with its index and time, records it and returns it.
func (h *history) add(o op) op {
	h.mu.Lock()
	defer h.mu.Unlock()
	o.Index, o.At = len(h.ops), time.Since(h.began)
	h.ops = append(h.ops, o)
	_ = h.enc.Encode(o) // the file is for people; the checker reads memory
	return o
}

func (h *history) snapshot() []op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]op(nil), h.ops...)
}

func (h *history) close() { h.f.Close() }
