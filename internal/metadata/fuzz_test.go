package metadata

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeBatch: decoding arbitrary bytes never panics; what decodes
// re-encodes to bytes that decode to the same records; applying it to an
// image never panics and never mutates the input image.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(EncodeBatch(sampleRecords()))
	f.Add(EncodeBatch(nil))
	f.Add([]byte{1, 1, byte(TopicRecordType), 0, 19})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := DecodeBatch(data)
		if err != nil {
			return
		}
		again, err := DecodeBatch(EncodeBatch(recs))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if d := cmp.Diff(recs, again); d != "" {
			t.Fatalf("re-encode changed records:\n%s", d)
		}
		base, err := NewImage().Apply(1, sampleRecords()[:8])
		if err != nil {
			t.Fatal(err)
		}
		snap := EncodeBatch(base.Records())
		next, err := base.Apply(2, recs)
		if err == nil {
			if _, err := NewImage().Apply(3, next.Records()); err != nil {
				t.Fatalf("snapshot of an applied image does not apply: %v", err)
			}
		}
		if d := cmp.Diff(snap, EncodeBatch(base.Records())); d != "" {
			t.Fatal("Apply mutated its input image")
		}
	})
}
