package controller

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// metaPropertiesName is Kafka's per-directory identity file:
//
//	cluster.id=<22-char base64url uuid>
//	node.id=<int>
//	version=1
const metaPropertiesName = "meta.properties"

type metaProperties struct {
	ClusterID string
	NodeID    int32
}

// NewClusterID returns a random cluster id in Kafka's format: base64url
// (no padding) of 16 random bytes, 22 characters.
func NewClusterID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("controller: crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// readMetaProperties reads dir/meta.properties if it exists (found) and
// checks it against this node's id and the requested cluster id (if any).
// A missing file is written by Start once the metadata log has a cluster id.
func readMetaProperties(dir string, nodeID int32, clusterID string) (mp metaProperties, found bool, err error) {
	path := filepath.Join(dir, metaPropertiesName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return metaProperties{}, false, nil
	}
	if err != nil {
		return mp, false, fmt.Errorf("controller: read %s: %w", path, err)
	}
	mp, err = parseMetaProperties(data)
	if err != nil {
		return mp, false, fmt.Errorf("controller: %s: %w", path, err)
	}
	if mp.NodeID != nodeID {
		return mp, false, fmt.Errorf("controller: %s has node.id=%d but this node is configured with node.id=%d", path, mp.NodeID, nodeID)
	}
	if clusterID != "" && clusterID != mp.ClusterID {
		return mp, false, fmt.Errorf("controller: %s has cluster.id=%s but %s was requested", path, mp.ClusterID, clusterID)
	}
	return mp, true, nil
}

func parseMetaProperties(data []byte) (metaProperties, error) {
	var mp metaProperties
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return mp, fmt.Errorf("malformed line %q", line)
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if v := props["version"]; v != "1" {
		return mp, fmt.Errorf("unsupported meta.properties version %q (want 1, KRaft)", v)
	}
	mp.ClusterID = props["cluster.id"]
	if mp.ClusterID == "" {
		return mp, errors.New("no cluster.id")
	}
	id, err := strconv.ParseInt(props["node.id"], 10, 32)
	if err != nil || id < 0 {
		return mp, fmt.Errorf("bad node.id %q", props["node.id"])
	}
	mp.NodeID = int32(id)
	return mp, nil
}

func writeMetaProperties(path string, mp metaProperties, now time.Time) error {
	content := fmt.Sprintf("#\n#%s\ncluster.id=%s\nnode.id=%d\nversion=1\n",
		now.UTC().Format("Mon Jan 02 15:04:05 MST 2006"), mp.ClusterID, mp.NodeID)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("controller: create metadata dir: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err == nil {
		_, err = f.WriteString(content)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(filepath.Dir(path)); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("controller: write %s: %w", path, err)
	}
	return nil
}
