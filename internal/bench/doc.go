// Package bench is the engine behind `strom bench`: it drives a Kafka-wire
// broker (Strom, Kafka, kfake, …) with franz-go clients and measures
// throughput and latency the way kafka-producer-perf-test.sh and the
// OpenMessaging Benchmark do.
//
// Three runs are offered, each returning a [Result]:
//
//   - [Produce] sends records from one or more independent kgo clients and
//     records, per record, the produce latency: the time from handing the
//     record to the client until its promise reports the broker's ack.
//     With Sync set it instead produces one record at a time (ProduceSync),
//     the "one record at a time" latency figure.
//   - [Consume] reads a topic with one or more kgo clients, each assigned a
//     subset of the partitions with kgo.ConsumePartitions (no consumer
//     groups), and measures read throughput.
//   - [EndToEnd] produces at a fixed rate with a send timestamp inside each
//     payload while consuming concurrently, and records produce→consume
//     latency. Producer and consumer share one process and so one monotonic
//     clock: no clock skew enters the figure.
//
// For example, a million unthrottled 1 KiB records with acks=all:
//
//	res, err := bench.Produce(ctx, bench.ProduceConfig{
//		Brokers:          []string{"127.0.0.1:9092"},
//		Topic:            "strom-bench",
//		Records:          1_000_000,
//		RecordSize:       1024,
//		Throughput:       -1, // unthrottled
//		ProducerSettings: bench.ProducerSettings{Acks: "all", Linger: 10 * time.Millisecond, Idempotent: true},
//	})
//
// Topic creation is separate ([EnsureTopic]); runs never create topics.
//
// Latencies go into a [Histogram], a fixed-size log-bucketed histogram in the
// spirit of HdrHistogram (≤ 0.8 % relative error, lock-free recording).
// Target rates are paced by a [Limiter], which schedules the i-th event at
// start + i/rate like OpenMessaging Benchmark's UniformRateLimiter, so a
// stalled client catches up and the average rate holds.
//
// Throughput is reported in records/s, MB/s (10^6 bytes, the unit of
// design/PERFORMANCE.md) and MiB/s (2^20 bytes, what kafka-producer-perf-test
// prints as "MB/sec"); bytes are key + value bytes, not wire bytes.
package bench
