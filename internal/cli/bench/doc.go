// Package bench is the `strom bench` command: produce, consume and
// end-to-end load against any Kafka-wire broker, driven by
// internal/bench. Its flags follow kafka-producer-perf-test.sh and the
// OpenMessaging Benchmark where those have a name for the knob.
//
// Wire it under the root command with
//
//	root.AddCommand(bench.NewCommand())
//
// Commands return errors and never exit; Ctrl-C stops a run early and still
// prints what was measured. Results go to stdout (text, or one JSON object
// with --format json); live progress goes to stderr.
package bench
