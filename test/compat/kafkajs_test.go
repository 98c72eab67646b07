package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// jsStep is one step of js/roundtrip.js.
type jsStep struct {
	OK     bool
	Result json.RawMessage
	Error  string
}

type jsRoundTrip struct {
	Version           string
	Error             string
	CreateTopics      jsStep
	Metadata          jsStep
	SendPartition     jsStep
	SendGzip          jsStep
	SendIdempotent    jsStep
	SendKeyed         jsStep
	FetchTopicOffsets jsStep
}

func needKafkaJS(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("node")
	if err == nil && kafkajsVersion() == "" {
		err = errors.New("test/compat/js/node_modules/kafkajs is missing (npm ci in test/compat/js)")
	}
	need(t, "kafkajs", err)
}

// ok fails t unless the step succeeded and decodes its result into v (if non-nil).
func (s jsStep) ok(t *testing.T, name string, v any) {
	t.Helper()
	if !s.OK {
		t.Fatalf("kafkajs %s failed: %s", name, s.Error)
	}
	if v != nil {
		if err := json.Unmarshal(s.Result, v); err != nil {
			t.Fatalf("kafkajs %s result %s: %v", name, s.Result, err)
		}
	}
}

func TestKafkaJS(t *testing.T) {
	needKafkaJS(t)
	topic := topicName(t)

	var rt jsRoundTrip
	out, errOut, err := runCmdErr("", "node", "js/roundtrip.js", brokerAddr, topic)
	if err == nil {
		err = json.Unmarshal([]byte(out), &rt)
	}
	if err == nil && rt.Error != "" {
		err = errors.New(rt.Error)
	}
	if err != nil {
		err = fmt.Errorf("node js/roundtrip.js: %w\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	ran := func(t *testing.T) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// What a Go client reads back is the ground truth for every scenario below.
	var perPartition map[int32][]*kgo.Record
	read := func(t *testing.T) map[int32][]*kgo.Record {
		t.Helper()
		ran(t)
		if perPartition == nil {
			perPartition = map[int32][]*kgo.Record{}
			for _, r := range readToEnd(t, topic) {
				perPartition[r.Partition] = append(perPartition[r.Partition], r)
			}
		}
		return perPartition
	}
	// firstValues returns the values of the first n records of partition p, which the
	// script wrote before its keyed records.
	firstValues := func(t *testing.T, p int32, n int) []string {
		t.Helper()
		var vs []string
		for _, r := range read(t)[p][:min(n, len(read(t)[p]))] {
			vs = append(vs, string(r.Value))
		}
		return vs
	}

	scenario(t, clientKafkaJS, "create topics", func(t *testing.T) {
		ran(t)
		var created bool
		rt.CreateTopics.ok(t, "admin.createTopics", &created)
		var md struct {
			Topics []struct{ Partitions []struct{ PartitionID int32 } }
		}
		rt.Metadata.ok(t, "admin.fetchTopicMetadata", &md)
		if !created || len(md.Topics) != 1 || len(md.Topics[0].Partitions) != 3 {
			t.Fatalf("createTopics = %v, metadata = %+v; want created with 3 partitions", created, md)
		}
	})

	scenario(t, clientKafkaJS, "produce to partition", func(t *testing.T) {
		ran(t)
		rt.SendPartition.ok(t, "producer.send({partition: 2})", nil)
		equalLines(t, "partition 2", firstValues(t, 2, 5), seq("p", 5))
	})

	scenario(t, clientKafkaJS, "compression gzip", func(t *testing.T) {
		ran(t)
		rt.SendGzip.ok(t, "producer.send({compression: GZIP})", nil)
		equalLines(t, "partition 1", firstValues(t, 1, 5), seq("z", 5))
		requireCodec(t, read(t)[1][:1], codecGzip)
	})

	scenario(t, clientKafkaJS, "produce idempotent", func(t *testing.T) {
		ran(t)
		rt.SendIdempotent.ok(t, "idempotent producer.send", nil)
		equalLines(t, "partition 0", firstValues(t, 0, 5), seq("i", 5))
		if r := read(t)[0][0]; r.ProducerID < 0 {
			t.Fatalf("idempotent batch stored with producer id %d", r.ProducerID)
		}
	})

	scenario(t, clientKafkaJS, "produce keyed", func(t *testing.T) {
		ran(t)
		rt.SendKeyed.ok(t, "producer.send(keyed)", nil)
		// kafkajs's DefaultPartitioner and franz-go's StickyKeyPartitioner both hash keys
		// with Kafka's murmur2, so each key must sit where franz-go would put it.
		part := kgo.StickyKeyPartitioner(nil).ForTopic(topic)
		got := read(t)
		for i := range 10 {
			key := fmt.Sprintf("k%d", i)
			p := int32(part.Partition(&kgo.Record{Key: []byte(key)}, 3))
			want := fmt.Sprintf("%s=v%d", key, i)
			found := false
			for _, r := range got[p] {
				found = found || string(r.Key)+"="+string(r.Value) == want
			}
			if !found {
				t.Fatalf("%s not in partition %d (murmur2)", want, p)
			}
		}
		if n := len(got[0]) + len(got[1]) + len(got[2]); n != 25 {
			t.Fatalf("read back %d records, want 15 unkeyed + 10 keyed", n)
		}
	})

	scenario(t, clientKafkaJS, "list offsets", func(t *testing.T) {
		var offs []struct {
			Partition         int32
			Offset, High, Low string
		}
		ran(t)
		rt.FetchTopicOffsets.ok(t, "admin.fetchTopicOffsets", &offs)
		got := read(t)
		if len(offs) != 3 {
			t.Fatalf("fetchTopicOffsets = %+v, want 3 partitions", offs)
		}
		for _, o := range offs {
			want := fmt.Sprint(len(got[o.Partition]))
			if o.High != want || o.Offset != want || o.Low != "0" {
				t.Fatalf("partition %d: offset=%s high=%s low=%s, want %s/%s/0", o.Partition, o.Offset, o.High, o.Low, want, want)
			}
		}
	})
}

// readToEnd reads every record of topic up to its current end offsets with franz-go.
func readToEnd(t *testing.T, topic string) []*kgo.Record {
	t.Helper()
	ctx := scenarioContext(t)
	ends, err := kadm.NewClient(newKgo(t)).ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("ListEndOffsets %s: %v", topic, err)
	}
	total, parts := 0, int32(0)
	ends.Each(func(o kadm.ListedOffset) {
		total += int(o.Offset)
		parts = max(parts, o.Partition+1)
	})
	return readPartitions(t, ctx, topic, parts, total)
}
