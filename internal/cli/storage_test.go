package cli

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/broker"
	"github.com/strom-project/strom/internal/config"
)

// TestStorageFormatAddScram: a cluster formatted with --add-scram starts
// with SASL on and its admin can log in at once; a second format is
// refused unless --ignore-formatted.
func TestStorageFormatAddScram(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "", "storage", "format", "--override", "log.dirs="+dir, "--cluster-id", "MkU3OEVBNTcwNTJENDM2Qk",
		"--add-scram", "SCRAM-SHA-512=[name=admin,password=admin-secret,iterations=8192]")
	if !strings.Contains(out, "cluster.id=MkU3OEVBNTcwNTJENDM2Qk") || !strings.Contains(out, "1 SCRAM credential") {
		t.Errorf("format output: %s", out)
	}
	if _, err := run(t, "", "storage", "format", "--override", "log.dirs="+dir); err == nil {
		t.Error("formatting twice succeeded")
	}
	mustRun(t, "", "storage", "format", "--override", "log.dirs="+dir, "--ignore-formatted")

	cfg, err := config.Load("", []string{"log.dirs=" + dir, "admin.listener=127.0.0.1:0",
		"listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0", "inter.broker.listener.name=PLAINTEXT",
		"sasl.enabled.mechanisms=SCRAM-SHA-512"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr("SASL_PLAINTEXT").String()
	got := mustRun(t, "", "cluster", "info", "-b", addr, "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", "admin", "--sasl-password", "admin-secret")
	if !strings.Contains(got, "MkU3OEVBNTcwNTJENDM2Qk") {
		t.Errorf("cluster info as the bootstrapped admin:\n%s", got)
	}
	if _, err := run(t, "", "storage", "format", "--override", "log.dirs="+t.TempDir(), "--add-scram", "SCRAM-SHA-256=[name=a]"); err == nil {
		t.Error("--add-scram without a password accepted")
	}
}
