package record

import "testing"

// BenchmarkValidate: one 16 x 1 KiB batch per codec. Uncompressed is the
// produce hot path (CRC + in-place record walk); compressed ones include
// decompression into a pooled buffer.
func BenchmarkValidate(b *testing.B) {
	for _, tc := range allCodecs {
		b.Run(tc.name, func(b *testing.B) {
			batch := mustBuild(b, BatchSpec{Compression: tc.c, XerialSnappy: tc.xerial, ProducerID: -1, BaseSequence: -1,
				Records: testRecords(16, 1024)})
			b.SetBytes(16 * 1024) // logical payload, comparable across codecs
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Validate(batch, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
