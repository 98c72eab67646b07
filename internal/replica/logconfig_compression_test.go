package replica

import (
	"testing"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/storage"
)

// compression.type (topic override, else the broker's compression.type)
// and the KIP-390 levels reach storage.
func TestResolveLogConfigCompression(t *testing.T) {
	b, err := config.Load("", []string{"compression.type=gzip"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		overrides map[string]string
		want      storage.CompressionConfig
	}{
		{"broker default", nil, storage.CompressionConfig{Type: storage.CompressionGzip, GzipLevel: -1, LZ4Level: 9, ZstdLevel: 3}},
		{"topic override with level", map[string]string{"compression.type": "zstd", "compression.zstd.level": "-5"},
			storage.CompressionConfig{Type: storage.CompressionZstd, GzipLevel: -1, LZ4Level: 9, ZstdLevel: -5}},
		{"producer", map[string]string{"compression.type": "producer", "compression.lz4.level": "12"},
			storage.CompressionConfig{Type: storage.CompressionProducer, GzipLevel: -1, LZ4Level: 12, ZstdLevel: 3}},
		{"uncompressed", map[string]string{"compression.type": "uncompressed", "compression.gzip.level": "9"},
			storage.CompressionConfig{Type: storage.CompressionUncompressed, GzipLevel: 9, LZ4Level: 9, ZstdLevel: 3}},
	}
	for _, tc := range tests {
		if got := ResolveLogConfig(b, tc.overrides).Compression; got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	for name, bad := range map[string]string{"compression.gzip.level": "0", "compression.lz4.level": "18", "compression.zstd.level": "23"} {
		if err := config.ValidateTopicConfig(name, bad); err == nil {
			t.Errorf("%s=%s accepted", name, bad)
		}
	}
}
