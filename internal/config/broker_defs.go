package config

// BrokerDefs are the server.properties configs Strom understands. Defaults
// follow Kafka 4.1 except where noted (localhost-friendly listeners and a
// local data directory, so `strom serve` works with no file at all).
var BrokerDefs = indexDefs([]Def{
	// Node and cluster.
	{Name: "node.id", Type: TypeInt, Default: "1", Valid: atLeast(0), Doc: "This node's id in the cluster."},
	{Name: "process.roles", Type: TypeList, Default: "broker,controller", Valid: listOf("broker", "controller"),
		Doc: "Roles this process plays. Strom runs both by default (KRaft combined mode)."},
	{Name: "controller.quorum.voters", Type: TypeList, Default: "", Doc: "Metadata quorum voters as id@host:port; empty means this node alone."},
	{Name: "controller.listener.names", Type: TypeList, Default: "CONTROLLER", Doc: "Listener names used by the controller."},
	{Name: "broker.rack", Type: TypeString, NoDef: true, Doc: "Rack of this broker, for replica placement."},
	{Name: "metadata.log.dir", Type: TypeString, NoDef: true, Doc: "Directory of the metadata log; defaults to the first log.dirs entry."},

	// Network.
	{Name: "listeners", Type: TypeList, Default: "PLAINTEXT://127.0.0.1:9092", Scope: PerBroker,
		Doc: "Comma-separated listener URIs NAME://host:port."},
	{Name: "advertised.listeners", Type: TypeList, NoDef: true, Scope: PerBroker,
		Doc: "Listeners given to clients in Metadata; derived from listeners when unset."},
	{Name: "listener.security.protocol.map", Type: TypeString, Default: "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
		Doc: "Map of listener names to security protocols."},
	{Name: "inter.broker.listener.name", Type: TypeString, NoDef: true, Doc: "Listener used between brokers."},
	{Name: "socket.request.max.bytes", Type: TypeInt, Default: "104857600", Valid: atLeast(1), Doc: "Largest request size accepted."},
	{Name: "socket.send.buffer.bytes", Type: TypeInt, Default: "102400", Doc: "SO_SNDBUF; -1 for the OS default."},
	{Name: "socket.receive.buffer.bytes", Type: TypeInt, Default: "102400", Doc: "SO_RCVBUF; -1 for the OS default."},
	{Name: "connections.max.idle.ms", Type: TypeLong, Default: "600000", Doc: "Idle connections are closed after this long."},
	{Name: "max.connections.per.ip", Type: TypeInt, Default: "2147483647", Valid: atLeast(0), Scope: ClusterWide, Doc: "Connections allowed from one IP address."},
	{Name: "num.network.threads", Type: TypeInt, Default: "3", Scope: ClusterWide, Doc: "Accepted for compatibility; Strom uses one goroutine pair per connection."},
	{Name: "num.io.threads", Type: TypeInt, Default: "8", Scope: ClusterWide, Doc: "Accepted for compatibility; Strom does not use a request thread pool."},

	// Topics.
	{Name: "num.partitions", Type: TypeInt, Default: "1", Valid: atLeast(1), Doc: "Default partitions for new topics."},
	{Name: "default.replication.factor", Type: TypeShort, Default: "1", Valid: atLeast(1), Doc: "Default replication factor for new topics."},
	{Name: "auto.create.topics.enable", Type: TypeBoolean, Default: "true", Doc: "Create topics on Metadata requests that name them."},
	{Name: "delete.topic.enable", Type: TypeBoolean, Default: "true", Doc: "Allow DeleteTopics."},
	{Name: "min.insync.replicas", Type: TypeInt, Default: "1", Valid: atLeast(1), Scope: ClusterWide, Doc: "Default min.insync.replicas."},
	{Name: "unclean.leader.election.enable", Type: TypeBoolean, Default: "false", Scope: ClusterWide, Doc: "Default unclean.leader.election.enable."},
	{Name: "compression.type", Type: TypeString, Default: "producer", Scope: ClusterWide,
		Valid: oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"), Doc: "Default compression.type."},
	{Name: "message.max.bytes", Type: TypeInt, Default: "1048588", Valid: atLeast(0), Scope: ClusterWide, Doc: "Largest record batch allowed (topic: max.message.bytes)."},

	// Log.
	{Name: "log.dirs", Type: TypeList, NoDef: true, Doc: "Data directories; defaults to log.dir."},
	{Name: "log.dir", Type: TypeString, Default: "./strom-data", Doc: "Data directory used when log.dirs is unset."},
	{Name: "log.segment.bytes", Type: TypeInt, Default: "1073741824", Valid: atLeast(14), Scope: ClusterWide, Doc: "Segment file size."},
	{Name: "log.roll.ms", Type: TypeLong, NoDef: true, Scope: ClusterWide, Doc: "Roll a segment after this long; defaults to log.roll.hours."},
	{Name: "log.roll.hours", Type: TypeInt, Default: "168", Valid: atLeast(1), Doc: "Roll a segment after this many hours."},
	{Name: "log.roll.jitter.ms", Type: TypeLong, NoDef: true, Scope: ClusterWide, Doc: "Maximum jitter subtracted from the roll time."},
	{Name: "log.retention.ms", Type: TypeLong, NoDef: true, Scope: ClusterWide, Doc: "Keep data this long; -1 forever. Overrides minutes and hours."},
	{Name: "log.retention.minutes", Type: TypeInt, NoDef: true, Doc: "Keep data this many minutes."},
	{Name: "log.retention.hours", Type: TypeInt, Default: "168", Doc: "Keep data this many hours."},
	{Name: "log.retention.bytes", Type: TypeLong, Default: "-1", Scope: ClusterWide, Doc: "Maximum partition size; -1 unlimited."},
	{Name: "log.retention.check.interval.ms", Type: TypeLong, Default: "300000", Valid: atLeast(1), Doc: "How often retention runs."},
	{Name: "log.flush.interval.messages", Type: TypeLong, Default: maxLong, Valid: atLeast(1), Scope: ClusterWide, Doc: "fsync after this many messages; 1 = before every ack."},
	{Name: "log.flush.interval.ms", Type: TypeLong, NoDef: true, Scope: ClusterWide, Doc: "fsync after this long."},
	{Name: "log.flush.scheduler.interval.ms", Type: TypeLong, Default: maxLong, Doc: "How often the time-based flusher checks logs."},
	{Name: "log.index.interval.bytes", Type: TypeInt, Default: "4096", Valid: atLeast(0), Scope: ClusterWide, Doc: "Bytes between offset-index entries."},
	{Name: "log.index.size.max.bytes", Type: TypeInt, Default: "10485760", Valid: atLeast(4), Scope: ClusterWide, Doc: "Maximum offset-index size."},
	{Name: "log.segment.delete.delay.ms", Type: TypeLong, Default: "60000", Valid: atLeast(0), Scope: ClusterWide, Doc: "Delay before deleted segment files are removed."},
	{Name: "log.preallocate", Type: TypeBoolean, Default: "true", Scope: ClusterWide, Doc: "Preallocate segment files (Kafka defaults to false; preallocated files fsync ~4x faster)."},
	{Name: "log.cleanup.policy", Type: TypeList, Default: "delete", Valid: listOf("delete", "compact"), Scope: ClusterWide, Doc: "Default cleanup.policy."},
	{Name: "log.cleaner.delete.retention.ms", Type: TypeLong, Default: "86400000", Scope: ClusterWide, Doc: "Default delete.retention.ms."},
	{Name: "log.cleaner.min.cleanable.ratio", Type: TypeDouble, Default: "0.5", Scope: ClusterWide, Doc: "Default min.cleanable.dirty.ratio."},
	{Name: "log.cleaner.min.compaction.lag.ms", Type: TypeLong, Default: "0", Scope: ClusterWide, Doc: "Default min.compaction.lag.ms."},
	{Name: "log.cleaner.max.compaction.lag.ms", Type: TypeLong, Default: maxLong, Scope: ClusterWide, Doc: "Default max.compaction.lag.ms."},
	{Name: "log.message.timestamp.type", Type: TypeString, Default: "CreateTime", Valid: oneOf("CreateTime", "LogAppendTime"), Scope: ClusterWide, Doc: "Default message.timestamp.type."},
	{Name: "log.message.timestamp.before.max.ms", Type: TypeLong, Default: maxLong, Scope: ClusterWide, Doc: "Default message.timestamp.before.max.ms."},
	{Name: "log.message.timestamp.after.max.ms", Type: TypeLong, Default: "3600000", Scope: ClusterWide, Doc: "Default message.timestamp.after.max.ms."},

	// Consumer groups.
	{Name: "offsets.topic.num.partitions", Type: TypeInt, Default: "50", Valid: atLeast(1), Doc: "Partitions of __consumer_offsets (fixed once the topic exists)."},
	{Name: "offsets.topic.replication.factor", Type: TypeShort, Default: "3", Valid: atLeast(1),
		Doc: "Replication factor of __consumer_offsets; capped at the live brokers when the topic is created (Kafka refuses instead)."},
	{Name: "offsets.topic.segment.bytes", Type: TypeInt, Default: "104857600", Valid: atLeast(1), Doc: "Segment size of __consumer_offsets."},
	{Name: "offsets.load.buffer.size", Type: TypeInt, Default: "5242880", Valid: atLeast(1), Doc: "Bytes read per step when loading __consumer_offsets."},
	{Name: "offsets.retention.minutes", Type: TypeInt, Default: "10080", Valid: atLeast(1),
		Doc: "How long an empty group (or a standalone consumer's commit) keeps its committed offsets."},
	{Name: "offsets.retention.check.interval.ms", Type: TypeLong, Default: "600000", Valid: atLeast(1), Doc: "How often expired offsets are removed."},
	{Name: "offsets.commit.timeout.ms", Type: TypeInt, Default: "5000", Valid: atLeast(1), Doc: "How long an offset commit waits for __consumer_offsets replicas."},
	{Name: "offset.metadata.max.bytes", Type: TypeInt, Default: "4096", Doc: "Largest metadata string of an offset commit."},
	{Name: "group.initial.rebalance.delay.ms", Type: TypeInt, Default: "3000", Valid: atLeast(0),
		Doc: "How long a new group waits for more members before its first rebalance."},
	{Name: "group.min.session.timeout.ms", Type: TypeInt, Default: "6000", Doc: "Smallest session timeout a member may ask for."},
	{Name: "group.max.session.timeout.ms", Type: TypeInt, Default: "1800000", Doc: "Largest session timeout a member may ask for."},
	{Name: "group.max.size", Type: TypeInt, Default: "2147483647", Valid: atLeast(1), Doc: "Most members a consumer group may have."},

	// Producers.
	{Name: "producer.id.expiration.ms", Type: TypeInt, Default: "86400000", Scope: ClusterWide, Doc: "Idle producer state expires after this long."},
})
