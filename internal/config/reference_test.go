package config

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the registry")

// TestConfigDoc fails when docs/configuration.md is not what the registry
// generates, so the reference cannot drift from the code.
func TestConfigDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	want := Reference()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; generate it with: go test ./internal/config -run TestConfigDoc -update", err)
	}
	if string(got) != want {
		t.Fatalf("docs/configuration.md is out of date with the config registry; regenerate it with:\n\tgo test ./internal/config -run TestConfigDoc -update")
	}
}
