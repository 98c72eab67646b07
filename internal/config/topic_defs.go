package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// TopicDefs are the per-topic configs, with the broker config that supplies
// each default. Values and defaults follow Kafka 4.1.
var TopicDefs = indexDefs([]Def{
	{Name: "cleanup.policy", Type: TypeList, Default: "delete", Synonym: "log.cleanup.policy", Valid: listOf("delete", "compact"),
		Doc: "delete: discard old segments past retention; compact: keep the latest record per key."},
	{Name: "compression.type", Type: TypeString, Default: "producer", Synonym: "compression.type",
		Valid: oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
		Doc:   "Final compression of the topic's data; producer keeps what the producer sent."},
	// KIP-390; the broker configs of the same names are their synonyms.
	{Name: "compression.gzip.level", Type: TypeInt, Default: "-1", Synonym: "compression.gzip.level", Valid: gzipLevel,
		Doc: "Level used when the broker compresses with gzip (compression.type=gzip); -1 is gzip's default (6)."},
	{Name: "compression.lz4.level", Type: TypeInt, Default: "9", Synonym: "compression.lz4.level", Valid: intBetween(1, 17),
		Doc: "Level used when the broker compresses with lz4 (compression.type=lz4); 9 is lz4's fast mode, others its high-compression mode (levels above 9 compress like 9)."},
	{Name: "compression.zstd.level", Type: TypeInt, Default: "3", Synonym: "compression.zstd.level", Valid: intBetween(-131072, 22),
		Doc: "Level used when the broker compresses with zstd (compression.type=zstd); mapped to the nearest of Strom's four zstd speeds."},
	{Name: "delete.retention.ms", Type: TypeLong, Default: "86400000", Synonym: "log.cleaner.delete.retention.ms", Valid: atLeast(0),
		Doc: "How long tombstones are kept on compacted topics."},
	{Name: "file.delete.delay.ms", Type: TypeLong, Default: "60000", Synonym: "log.segment.delete.delay.ms", Valid: atLeast(0),
		Doc: "Time to wait before deleting a file from the filesystem."},
	{Name: "flush.messages", Type: TypeLong, Default: maxLong, Synonym: "log.flush.interval.messages", Valid: atLeast(1),
		Doc: "Force an fsync after this many messages; 1 fsyncs before every acknowledgement (group commit)."},
	{Name: "flush.ms", Type: TypeLong, Default: maxLong, Synonym: "log.flush.interval.ms", Valid: atLeast(0),
		Doc: "Force an fsync after this much time."},
	{Name: "index.interval.bytes", Type: TypeInt, Default: "4096", Synonym: "log.index.interval.bytes", Valid: atLeast(0),
		Doc: "Bytes between entries of the offset index."},
	{Name: "follower.replication.throttled.replicas", Type: TypeList, Default: "", Valid: throttledReplicas,
		Doc: "Replicas whose fetching is throttled on the follower side by follower.replication.throttled.rate, as " +
			"partition:broker pairs (0:3,1:3), or * for every replica of the topic; during a reassignment, the replicas being added."},
	{Name: "leader.replication.throttled.replicas", Type: TypeList, Default: "", Valid: throttledReplicas,
		Doc: "Replicas whose leader-side traffic to out-of-sync followers is throttled by leader.replication.throttled.rate, as " +
			"partition:broker pairs (0:1,0:2), or * for every replica of the topic; during a reassignment, the current replicas."},
	{Name: "max.compaction.lag.ms", Type: TypeLong, Default: maxLong, Synonym: "log.cleaner.max.compaction.lag.ms", Valid: atLeast(1),
		Doc: "Longest time a message stays ineligible for compaction."},
	{Name: "max.message.bytes", Type: TypeInt, Default: "1048588", Synonym: "message.max.bytes", Valid: atLeast(0),
		Doc: "Largest record batch size allowed."},
	{Name: "message.timestamp.after.max.ms", Type: TypeLong, Default: "3600000", Synonym: "log.message.timestamp.after.max.ms", Valid: atLeast(0),
		Doc: "Largest allowed amount a CreateTime timestamp may be ahead of the broker's clock."},
	{Name: "message.timestamp.before.max.ms", Type: TypeLong, Default: maxLong, Synonym: "log.message.timestamp.before.max.ms", Valid: atLeast(0),
		Doc: "Largest allowed amount a CreateTime timestamp may be behind the broker's clock."},
	{Name: "message.timestamp.type", Type: TypeString, Default: "CreateTime", Synonym: "log.message.timestamp.type",
		Valid: oneOf("CreateTime", "LogAppendTime"), Doc: "Whether record timestamps are the producer's or the broker's append time."},
	{Name: "min.cleanable.dirty.ratio", Type: TypeDouble, Default: "0.5", Synonym: "log.cleaner.min.cleanable.ratio", Valid: ratio,
		Doc: "Minimum ratio of dirty log to total log before compaction."},
	{Name: "min.compaction.lag.ms", Type: TypeLong, Default: "0", Synonym: "log.cleaner.min.compaction.lag.ms", Valid: atLeast(0),
		Doc: "Minimum time a message stays uncompacted."},
	{Name: "min.insync.replicas", Type: TypeInt, Default: "1", Synonym: "min.insync.replicas", Valid: atLeast(1),
		Doc: "Minimum number of in-sync replicas for acks=all writes to succeed."},
	{Name: "preallocate", Type: TypeBoolean, Default: "true", Synonym: "log.preallocate",
		Doc: "Preallocate segment files when rolling (faster fsync)."},
	{Name: "retention.bytes", Type: TypeLong, Default: "-1", Synonym: "log.retention.bytes",
		Doc: "Maximum partition size before old segments are deleted; -1 for no limit."},
	{Name: "retention.ms", Type: TypeLong, Default: "604800000", Synonym: "log.retention.ms", Valid: atLeast(-1),
		Doc: "How long a log is kept before old segments are deleted; -1 for no limit."},
	{Name: "segment.bytes", Type: TypeInt, Default: "1073741824", Synonym: "log.segment.bytes", Valid: atLeast(14),
		Doc: "Segment file size."},
	{Name: "segment.index.bytes", Type: TypeInt, Default: "10485760", Synonym: "log.index.size.max.bytes", Valid: atLeast(4),
		Doc: "Size of a segment's offset index."},
	{Name: "segment.jitter.ms", Type: TypeLong, Default: "0", Synonym: "log.roll.jitter.ms", Valid: atLeast(0),
		Doc: "Maximum random jitter subtracted from segment.ms."},
	{Name: "segment.ms", Type: TypeLong, Default: "604800000", Synonym: "log.roll.ms", Valid: atLeast(1),
		Doc: "Time after which a segment is rolled even if not full."},
	{Name: "unclean.leader.election.enable", Type: TypeBoolean, Default: "false", Synonym: "unclean.leader.election.enable",
		Doc: "Whether an out-of-sync replica may become leader (may lose data)."},
})

// intBetween accepts integers in [lo, hi] (Kafka's ConfigDef.Range.between).
func intBetween(lo, hi int64) *Validator {
	return &Validator{Desc: fmt.Sprintf("[%d,...,%d]", lo, hi), Check: func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("value must be between %d and %d", lo, hi)
		}
		return nil
	}}
}

// gzipLevel is Kafka's GzipCompression.LevelValidator: 1-9, or -1.
var gzipLevel = &Validator{Desc: "[1,...,9] or -1", Check: func(v string) error {
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil || (n != -1 && (n < 1 || n > 9)) {
		return fmt.Errorf("value must be between 1 and 9, or -1")
	}
	return nil
}}

func indexDefs(defs []Def) map[string]*Def {
	m := make(map[string]*Def, len(defs))
	for i := range defs {
		m[defs[i].Name] = &defs[i]
	}
	return m
}

// ValidateTopicConfigSet checks the rules between a topic's configs that
// no single value breaks (Kafka's LogConfig.validateValues): configs is
// the topic's own set, each value already valid on its own.
func ValidateTopicConfigSet(configs map[string]string) error {
	minLag, okMin := configs["min.compaction.lag.ms"]
	maxLag, okMax := configs["max.compaction.lag.ms"]
	if okMin && okMax {
		lo, _ := strconv.ParseInt(strings.TrimSpace(minLag), 10, 64)
		hi, _ := strconv.ParseInt(strings.TrimSpace(maxLag), 10, 64)
		if lo > hi {
			return fmt.Errorf("conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", lo, hi)
		}
	}
	return nil
}

// ValidateTopicConfig checks one topic config; unknown names are errors.
func ValidateTopicConfig(name, value string) error {
	d, ok := TopicDefs[name]
	if !ok {
		return fmt.Errorf("unknown topic config name: %s", name)
	}
	return d.Validate(value)
}

// throttledReplica is one entry of a throttled replica list; like Kafka's
// ThrottledReplicaListValidator it also accepts an empty entry.
var throttledReplica = regexp.MustCompile(`^([0-9]+:[0-9]+)?$`)

// throttledReplicas validates leader/follower.replication.throttled.replicas:
// the single wildcard * or a list of partitionId:brokerId.
var throttledReplicas = &Validator{Desc: "[partitionId]:[brokerId],[partitionId]:[brokerId],... or *", Check: func(v string) error {
	if strings.TrimSpace(v) == "*" {
		return nil
	}
	for _, e := range strings.Split(v, ",") {
		if !throttledReplica.MatchString(strings.TrimSpace(e)) {
			return fmt.Errorf("must be the literal '*' or a list of replicas in the form [partitionId]:[brokerId],[partitionId]:[brokerId],...")
		}
	}
	return nil
}}
