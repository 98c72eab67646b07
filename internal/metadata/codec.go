package metadata

import (
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kbin"
)

// Batch encoding (the data of one raft entry, and of a snapshot):
//
//	batch  := version:u8 count:uvarint record*count
//	record := type:uvarint version:uvarint length:uvarint body[length]
//
// Integers in bodies are big-endian, strings and arrays use Kafka's compact
// (uvarint length+1) encoding, nullable ones encode nil as length 0. Every
// length is checked against the remaining input before anything is
// allocated, and a body must be consumed exactly.
const batchVersion = 1

// ErrCorrupt is returned (wrapped) for input that does not decode.
var ErrCorrupt = errors.New("metadata: corrupt record batch")

// EncodeBatch encodes records as one batch.
func EncodeBatch(recs []Record) []byte {
	dst := make([]byte, 0, 64*len(recs)+8)
	return AppendBatch(dst, recs)
}

// AppendBatch appends the encoding of recs to dst.
func AppendBatch(dst []byte, recs []Record) []byte {
	dst = append(dst, batchVersion)
	dst = kbin.AppendUvarint(dst, uint32(len(recs)))
	var body []byte
	for _, r := range recs {
		body = r.appendBody(body[:0])
		dst = kbin.AppendUvarint(dst, uint32(r.Type()))
		dst = kbin.AppendUvarint(dst, uint32(r.version()))
		dst = kbin.AppendUvarint(dst, uint32(len(body)))
		dst = append(dst, body...)
	}
	return dst
}

// DecodeBatch decodes a batch. It never panics; any malformed input yields an
// error wrapping ErrCorrupt.
func DecodeBatch(data []byte) ([]Record, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty batch", ErrCorrupt)
	}
	if data[0] != batchVersion {
		return nil, fmt.Errorf("%w: unsupported batch version %d", ErrCorrupt, data[0])
	}
	r := kbin.Reader{Src: data[1:]}
	n := r.Uvarint()
	// Every record takes at least three bytes: bound the allocation.
	if !r.Ok() || uint64(n)*3 > uint64(len(r.Src)) {
		return nil, fmt.Errorf("%w: bad record count %d", ErrCorrupt, n)
	}
	recs := make([]Record, 0, n)
	for i := uint32(0); i < n; i++ {
		typ, ver, size := r.Uvarint(), r.Uvarint(), r.Uvarint()
		body := r.Span(int(size))
		if !r.Ok() {
			return nil, fmt.Errorf("%w: record %d truncated", ErrCorrupt, i)
		}
		rec, err := decodeRecord(RecordType(typ), ver, body)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		recs = append(recs, rec)
	}
	if len(r.Src) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(r.Src))
	}
	return recs, nil
}

func decodeRecord(typ RecordType, ver uint32, body []byte) (Record, error) {
	var rec Record
	switch typ {
	case ClusterIDRecordType:
		rec = new(ClusterIDRecord)
	case RegisterBrokerRecordType:
		rec = new(RegisterBrokerRecord)
	case TopicRecordType:
		rec = new(TopicRecord)
	case PartitionRecordType:
		rec = new(PartitionRecord)
	case PartitionChangeRecordType:
		rec = new(PartitionChangeRecord)
	case RemoveTopicRecordType:
		rec = new(RemoveTopicRecord)
	case ConfigRecordType:
		rec = new(ConfigRecord)
	case ProducerIdsRecordType:
		rec = new(ProducerIdsRecord)
	case ClientQuotaRecordType:
		rec = new(ClientQuotaRecord)
	case FenceBrokerRecordType:
		rec = new(FenceBrokerRecord)
	case UnregisterBrokerRecordType:
		rec = new(UnregisterBrokerRecord)
	case UnfenceBrokerRecordType:
		rec = new(UnfenceBrokerRecord)
	case BrokerRegistrationChangeRecordType:
		rec = new(BrokerRegistrationChangeRecord)
	default:
		if rec = newSecurityRecord(typ); rec == nil {
			return nil, fmt.Errorf("%w: unknown record type %d", ErrCorrupt, typ)
		}
	}
	if ver > uint32(rec.version()) {
		return nil, fmt.Errorf("%w: %s record version %d is newer than %d", ErrCorrupt, typ, ver, rec.version())
	}
	d := decoder{r: kbin.Reader{Src: body}, ver: uint16(ver)}
	d.record(rec)
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("%s record: %w", typ, err)
	}
	return rec, nil
}

// decoder wraps kbin.Reader with the few composite reads we need; after any
// failure every read returns a zero value and done reports the error.
type decoder struct {
	r   kbin.Reader
	ver uint16 // the record's encoding version
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, msg)
	}
	d.r.Src = nil
}

func (d *decoder) done() error {
	if d.err == nil && !d.r.Ok() {
		d.err = fmt.Errorf("%w: truncated body", ErrCorrupt)
	}
	if d.err == nil && len(d.r.Src) != 0 {
		d.err = fmt.Errorf("%w: %d unread body bytes", ErrCorrupt, len(d.r.Src))
	}
	return d.err
}

func (d *decoder) bool() bool {
	b := d.r.Int8()
	if b != 0 && b != 1 {
		d.fail("bad bool")
	}
	return b == 1
}

func (d *decoder) string() string {
	n := d.r.Uvarint()
	if n == 0 {
		d.fail("null string")
		return ""
	}
	return string(d.r.Span(int(n - 1)))
}

// bytes reads non-null compact bytes, copied out of the input.
func (d *decoder) bytes() []byte {
	n := d.r.Uvarint()
	if n == 0 {
		d.fail("null bytes")
		return nil
	}
	return slices.Clone(d.r.Span(int(n - 1)))
}

func (d *decoder) nullableString() *string {
	n := d.r.Uvarint()
	if n == 0 {
		return nil
	}
	s := string(d.r.Span(int(n - 1)))
	return &s
}

// arrayLen reads a compact nullable array length (-1 for nil) and checks
// that elemSize*len bytes remain.
func (d *decoder) arrayLen(elemSize int) int {
	n := d.r.Uvarint()
	if n == 0 {
		return -1
	}
	l := uint64(n - 1)
	if l*uint64(elemSize) > uint64(len(d.r.Src)) {
		d.fail("array longer than its input")
		return 0
	}
	return int(l)
}

func (d *decoder) int32s() []int32 {
	n := d.arrayLen(4)
	if n < 0 {
		return nil
	}
	s := make([]int32, n)
	for i := range s {
		s[i] = d.r.Int32()
	}
	return s
}

func appendString(dst []byte, s string) []byte { return kbin.AppendCompactString(dst, s) }

func appendInt32s(dst []byte, s []int32) []byte {
	dst = kbin.AppendCompactNullableArrayLen(dst, len(s), s == nil)
	for _, v := range s {
		dst = kbin.AppendInt32(dst, v)
	}
	return dst
}
