package teststrom

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// buildTimeout bounds one `go build` when the caller's context has no earlier deadline.
const buildTimeout = 10 * time.Minute

// built caches the binary of this test binary's process; guarded by mu.
var built struct {
	mu  sync.Mutex
	dir string // temporary directory holding the binary; "" until built
	bin string
}

// Build builds ./cmd/strom once per test binary and returns its path; later
// calls return the same path. It builds with -race when the test binary is
// race-enabled. A failed build is not cached: the next call tries again.
// The binary lives in a temporary directory that RemoveBinary deletes.
// Build is safe for concurrent use.
func Build(ctx context.Context) (string, error) {
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.bin != "" {
		return built.bin, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "teststrom-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "strom")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/strom")
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	built.dir, built.bin = dir, bin
	return bin, nil
}

// RemoveBinary deletes the binary Build made, if any; call it from TestMain
// after m.Run. A later Build builds again.
func RemoveBinary() {
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	built.dir, built.bin = "", ""
}

// ModuleRoot walks up from the working directory (a package directory under
// go test) to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}
