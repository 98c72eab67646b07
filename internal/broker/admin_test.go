package broker

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metrics/metricstest"
)

func TestAdminListenerServesProbesAndState(t *testing.T) {
	b, _ := startBroker(t, t.TempDir())
	defer b.Close()
	base := "http://" + b.AdminAddr().String()
	for _, path := range []string{"/health", "/ready"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s after Start: %s, want 200", path, resp.Status)
		}
	}
	cl := newClient(t, b.Addr("PLAINTEXT").String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil { // ApiVersions, then Metadata
		t.Fatal(err)
	}
	f, err := metricstest.Scrape(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Value("strom_controller_active"); v != 1 {
		t.Errorf("strom_controller_active = %v on a single node, want 1", v)
	}
	if v, _ := f.Value("strom_brokers", "state", "unfenced"); v != 1 {
		t.Errorf("strom_brokers{state=unfenced} = %v, want 1", v)
	}
	for _, api := range []string{"ApiVersions", "Metadata"} {
		if v, _ := f.Value("strom_requests_total", "api", api); v < 1 {
			t.Errorf("strom_requests_total{api=%s} = %v after a client ping, want >= 1", api, v)
		}
	}
}

// TestAdminListenerBindFailureFailsStart: a taken admin.listener is a start
// failure naming the listener, not a broker silently without metrics.
func TestAdminListenerBindFailureFailsStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg, err := config.Load("", []string{"log.dirs=" + t.TempDir(), "listeners=PLAINTEXT://127.0.0.1:0",
		"admin.listener=" + taken.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(cfg, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = b.Start(ctx)
	if err == nil {
		b.Close()
		t.Fatal("Start succeeded with admin.listener taken")
	}
	if !strings.Contains(err.Error(), "admin listener "+taken.Addr().String()) {
		t.Errorf("Start: %v, want an error naming the admin listener", err)
	}
}

func TestAdminListenerDisabled(t *testing.T) {
	b, _ := startBroker(t, t.TempDir(), "admin.listener=")
	defer b.Close()
	if a := b.AdminAddr(); a != nil {
		t.Errorf("admin.listener empty, but listening on %v", a)
	}
}
