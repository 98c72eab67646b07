package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProperties(t *testing.T) {
	in := `# comment
! also a comment
node.id=3
listeners = PLAINTEXT://127.0.0.1:9092
log.dirs: /tmp/a,\
   /tmp/b
key\=with\:escapes value with spaces  
empty=
`
	got, err := ParseProperties(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"node.id":          "3",
		"listeners":        "PLAINTEXT://127.0.0.1:9092",
		"log.dirs":         "/tmp/a,/tmp/b",
		"key=with:escapes": "value with spaces",
		"empty":            "",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
}

func TestLoadOverridesAndDerivedValues(t *testing.T) {
	b, err := Load("", []string{"log.dirs=/d1,/d2", "listeners=PLAINTEXT://127.0.0.1:19092", "node.id=7", "log.retention.hours=1"})
	if err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 7 || len(b.LogDirs) != 2 || b.MetadataLogDir != "/d1" {
		t.Fatalf("node %d dirs %v meta %s", b.NodeID, b.LogDirs, b.MetadataLogDir)
	}
	if got := b.AdvertisedListeners; len(got) != 1 || got[0].String() != "PLAINTEXT://127.0.0.1:19092" {
		t.Fatalf("advertised listeners derived wrongly: %v", got)
	}
	// Kafka derives the value from log.retention.hours but, as its
	// ConfigHelper does, reports no synonym not named log.retention.ms.
	v, src, syns := b.TopicValue("retention.ms", nil)
	if v != "3600000" || src != SourceDefault || len(syns) != 0 {
		t.Fatalf("retention.ms = %s (%d) %v", v, src, syns)
	}
	v, src, _ = b.TopicValue("retention.ms", map[string]string{"retention.ms": "5"})
	if v != "5" || src != SourceDynamicTopic {
		t.Fatalf("topic override not preferred: %s %d", v, src)
	}
	if v, src, _ := b.TopicValue("segment.bytes", nil); v != "1073741824" || src != SourceDefault {
		t.Fatalf("segment.bytes default: %s %d", v, src)
	}
}

func TestLoadRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		override string
		want     string
	}{
		{"unknown name", "no.such.config=1", "unknown configuration"},
		{"bad int", "num.partitions=many", "expected a 32-bit integer"},
		{"below minimum", "num.partitions=0", "at least 1"},
		{"listener without protocol", "listeners=FOO://127.0.0.1:1", "listener.security.protocol.map"},
		{"not key=value", "justakey", "want key=value"},
		{"bad boolean", "auto.create.topics.enable=yes", "true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", []string{tc.override})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestValidateTopicConfig(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"retention.ms", "-1", true},
		{"retention.ms", "-2", false},
		{"cleanup.policy", "compact,delete", true},
		{"cleanup.policy", "forever", false},
		{"compression.type", "zstd", true},
		{"compression.type", "brotli", false},
		{"min.cleanable.dirty.ratio", "1.5", false},
		{"no.such.topic.config", "1", false},
	} {
		err := ValidateTopicConfig(tc.name, tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("%s=%s: err %v, want ok=%v", tc.name, tc.value, err, tc.ok)
		}
	}
}

func TestLoadFileThenOverrides(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.properties")
	props := "# as kafka-server-start.sh reads it\nnode.id=4\nnum.partitions=6\nlog.dirs=/data/a\n"
	if err := os.WriteFile(path, []byte(props), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Load(path, []string{"num.partitions=8"})
	if err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 4 || b.NumPartitions != 8 || b.LogDirs[0] != "/data/a" {
		t.Fatalf("node.id %d num.partitions %d log.dirs %v: want 4, 8 (override wins), /data/a", b.NodeID, b.NumPartitions, b.LogDirs)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.properties"), nil); err == nil {
		t.Fatal("a missing properties file must be an error")
	}
}
