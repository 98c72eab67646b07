package metrics

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"
)

// FreeRatioAlert is the documented alert threshold for
// strom_log_dir_free_ratio: below it a log dir is close enough to full
// that retention or more disk is needed before appends fail.
const FreeRatioAlert = 0.10

// collectDisk reports each log dir's filesystem space. A dir that cannot
// be examined is left out (DescribeLogDirs reports it as
// KAFKA_STORAGE_ERROR).
func (c *StateCollector) collectDisk(ch chan<- prometheus.Metric) {
	d := &c.descs
	for _, dir := range c.src.LogDirs {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		total, free, err := fsSpace(dir)
		if err != nil {
			continue
		}
		ch <- gauge(d.dirFree, float64(free), dir)
		ch <- gauge(d.dirTotal, float64(total), dir)
		if total > 0 {
			ch <- gauge(d.dirFreeRatio, float64(free)/float64(total), dir)
		}
	}
}

// fsSpace is the size of the filesystem holding dir and what an
// unprivileged writer may still use of it, as DescribeLogDirs reports.
func fsSpace(dir string) (total, free uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	bs := uint64(st.Frsize)
	return st.Blocks * bs, st.Bavail * bs, nil
}

// collectLag reports consumer-group lag. Its cardinality is bounded by the
// groups this broker coordinates times the partitions they committed that
// are hosted here, and capped at Sources.MaxLagSeries per scrape; a
// partition whose high watermark is unknown here (not hosted on this
// broker) is left out rather than reported as a guess.
func (c *StateCollector) collectLag(ch chan<- prometheus.Metric) {
	if c.src.GroupLag == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.src.LagTimeout)
	defer cancel()
	lags, err := c.src.GroupLag(ctx)
	if err != nil {
		return // loading or closing: the next scrape tries again
	}
	d := &c.descs
	n := 0
	for _, l := range lags {
		if l.Lag < 0 {
			continue
		}
		if n++; n > c.src.MaxLagSeries {
			return
		}
		labels := []string{l.Group, l.Topic, strconv.Itoa(int(l.Partition))}
		ch <- gauge(d.groupLag, float64(l.Lag), labels...)
		ch <- gauge(d.groupCommitted, float64(l.Committed), labels...)
	}
}
