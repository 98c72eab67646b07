package controller

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/strom-project/strom/internal/metadata"
)

// bootstrapName holds records the first active controller of a new
// cluster commits with the cluster id: what `strom storage format`
// prepares, like Kafka's bootstrap.checkpoint (SCRAM users, so that a
// cluster with SASL on from its first start has someone to log in as).
const bootstrapName = "bootstrap.records"

// ErrFormatted is returned by Format for a directory already formatted.
var ErrFormatted = errors.New("controller: metadata directory already formatted")

// Format prepares a node's metadata directory before its first start
// (Kafka's kafka-storage format): meta.properties with the cluster and
// node ids, and the bootstrap records. A directory with meta.properties
// is left alone (ErrFormatted).
func Format(dir string, nodeID int32, clusterID string, bootstrap []metadata.Record, now time.Time) error {
	if clusterID == "" {
		return errors.New("controller: format needs a cluster id")
	}
	path := filepath.Join(dir, metaPropertiesName)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%w: %s exists", ErrFormatted, path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("controller: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("controller: create metadata dir: %w", err)
	}
	if len(bootstrap) > 0 {
		// Written before meta.properties, whose presence means "formatted".
		if err := os.WriteFile(filepath.Join(dir, bootstrapName), metadata.EncodeBatch(bootstrap), 0o600); err != nil {
			return fmt.Errorf("controller: write bootstrap records: %w", err)
		}
	}
	return writeMetaProperties(path, metaProperties{ClusterID: clusterID, NodeID: nodeID}, now)
}

// readBootstrap returns the records Format left in dir, if any.
func readBootstrap(dir string) ([]metadata.Record, error) {
	data, err := os.ReadFile(filepath.Join(dir, bootstrapName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	recs, err := metadata.DecodeBatch(data)
	if err != nil {
		return nil, fmt.Errorf("controller: %s: %w", bootstrapName, err)
	}
	return recs, nil
}
