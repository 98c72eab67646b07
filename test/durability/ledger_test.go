package durability

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
)

// idLen is the length of a value's identifying prefix "sNN-QQQQQQQQ".
const idLen = 12

// ledger is what every producer session of a test attempted and had
// acknowledged. It is safe for concurrent use: franz-go calls promises on its
// own goroutines.
type ledger struct {
	mu       sync.Mutex
	acked    [][]bool // [session][sequence]; len(acked[s]) = values attempted
	firstErr []error  // [session] the first failed promise, for the report
}

func (l *ledger) newSession() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked = append(l.acked, nil)
	l.firstErr = append(l.firstErr, nil)
	return len(l.acked) - 1
}

// attempt reserves the next sequence number of session s.
func (l *ledger) attempt(s int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[s] = append(l.acked[s], false)
	return len(l.acked[s]) - 1
}

func (l *ledger) result(s, seq int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.acked[s][seq] = true
	} else if l.firstErr[s] == nil {
		l.firstErr[s] = err
	}
}

// snapshot copies the ledger for checking.
func (l *ledger) snapshot() [][]bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([][]bool, len(l.acked))
	for s := range l.acked {
		out[s] = append([]bool(nil), l.acked[s]...)
	}
	return out
}

// stats returns how many values session s attempted and had acknowledged.
func (l *ledger) stats(s int) (attempted, acked int, firstErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acked[s] {
		if a {
			acked++
		}
	}
	return len(l.acked[s]), acked, l.firstErr[s]
}

func value(s, seq, pad int) []byte {
	v := fmt.Appendf(nil, "s%02d-%08d", s, seq)
	return append(v, bytes.Repeat([]byte{'.'}, pad)...)
}

// parseValue returns the session and sequence a value identifies.
func parseValue(v []byte) (s, seq int, ok bool) {
	if len(v) < idLen {
		return 0, 0, false
	}
	if v[0] != 's' || v[3] != '-' {
		return 0, 0, false
	}
	s, err1 := strconv.Atoi(string(v[1:3]))
	seq, err2 := strconv.Atoi(string(v[4:idLen]))
	return s, seq, err1 == nil && err2 == nil
}
