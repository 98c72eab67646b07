package wire

import "sync"

// maxPooled bounds the buffers kept for reuse: a rare huge response must
// not pin its memory for the life of the process.
const maxPooled = 8 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// GetBuf returns an empty buffer for encoding or reading. Its capacity is
// whatever an earlier user grew it to.
func GetBuf() *[]byte { return bufPool.Get().(*[]byte) }

// PutBuf returns a buffer to the pool. The caller must not touch it after.
func PutBuf(b *[]byte) {
	if cap(*b) > maxPooled {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// Releaser is implemented by responses that hold pooled memory (Fetch's
// record sets): the connection calls Release once the response has been
// encoded into the outgoing frame, after which the memory may be reused.
type Releaser interface {
	Release()
}
