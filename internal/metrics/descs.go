package metrics

import "github.com/prometheus/client_golang/prometheus"

// stateDescs are StateCollector's metric descriptions; docs/metrics.md
// documents each.
type stateDescs struct {
	partitions, leaders, underReplicated, underMinISR  *prometheus.Desc
	offline, metadataOffset, brokers, controllerActive *prometheus.Desc
	isrShrinks, isrExpands                             *prometheus.Desc
	logSize, logStart, logEnd, highWatermark           *prometheus.Desc
	dirFree, dirTotal, dirFreeRatio                    *prometheus.Desc
	groupLag, groupCommitted                           *prometheus.Desc
}

func newStateDescs() stateDescs {
	tp := []string{"topic", "partition"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return stateDescs{
		partitions:      d("strom_partitions", "Partitions with a replica on this broker."),
		leaders:         d("strom_partition_leaders", "Partitions this broker leads."),
		underReplicated: d("strom_under_replicated_partitions", "Partitions this broker leads whose ISR is smaller than the replication factor."),
		underMinISR:     d("strom_under_min_isr_partitions", "Partitions this broker leads whose ISR is smaller than min.insync.replicas: acks=all produces fail."),
		offline:         d("strom_offline_partitions", "Partitions without a leader (leader -1) in this broker's metadata image; cluster-wide, aggregate with max()."),
		metadataOffset:  d("strom_metadata_offset", "Offset of the last metadata-log entry this broker applied."),
		brokers:         d("strom_brokers", "Registered brokers in this broker's metadata image, by state; cluster-wide, aggregate with max().", "state"),
		controllerActive: d("strom_controller_active",
			"1 if this node is the active controller (the metadata quorum leader), else 0; the sum over a cluster should be 1."),
		isrShrinks:    d("strom_isr_shrinks_total", "ISR shrinks this broker proposed as leader and the controller committed."),
		isrExpands:    d("strom_isr_expands_total", "ISR expansions this broker proposed as leader and the controller committed."),
		logSize:       d("strom_log_size_bytes", "Bytes of the partition's log segments on this broker.", tp...),
		logStart:      d("strom_log_start_offset", "First offset of the partition's log on this broker.", tp...),
		logEnd:        d("strom_log_end_offset", "Offset after the last record of the partition's log on this broker.", tp...),
		highWatermark: d("strom_log_high_watermark", "The partition's high watermark as this broker knows it.", tp...),
		dirFree:       d("strom_log_dir_free_bytes", "Bytes an unprivileged writer can still use on the filesystem holding the log dir.", "dir"),
		dirTotal:      d("strom_log_dir_total_bytes", "Size of the filesystem holding the log dir.", "dir"),
		dirFreeRatio:  d("strom_log_dir_free_ratio", "strom_log_dir_free_bytes / strom_log_dir_total_bytes; alert below 0.10.", "dir"),
		groupLag: d("strom_consumer_group_lag",
			"High watermark minus committed offset, for groups this broker coordinates and partitions hosted here.", "group", "topic", "partition"),
		groupCommitted: d("strom_consumer_group_committed_offset",
			"Committed offset, for groups this broker coordinates and partitions hosted here.", "group", "topic", "partition"),
	}
}

func (d *stateDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.partitions, d.leaders, d.underReplicated, d.underMinISR, d.offline, d.metadataOffset,
		d.brokers, d.controllerActive, d.isrShrinks, d.isrExpands, d.logSize, d.logStart, d.logEnd, d.highWatermark,
		d.dirFree, d.dirTotal, d.dirFreeRatio, d.groupLag, d.groupCommitted}
}
