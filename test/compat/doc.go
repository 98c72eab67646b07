// Package compat is Strom's black-box wire-compatibility suite.
//
// TestMain builds ./cmd/strom once and starts a real `strom serve` process on a
// free loopback port with a temporary log directory (both through package
// internal/teststrom), and each Test drives it over TCP with one real,
// unmodified Kafka client:
//
//	kcat (librdkafka)         kcat_test.go     exec of the kcat binary
//	confluent-kafka-python    python_test.go   py/confluent_roundtrip.py under /usr/bin/python3
//	kafka-python              python_test.go   py/kafkapython_roundtrip.py under /usr/bin/python3
//	kafkajs                   kafkajs_test.go  js/roundtrip.js under node
//	franz-go (kgo, kadm)      franz_test.go    in-process
//	IBM/sarama                sarama_test.go   in-process
//	segmentio/kafka-go        kafkago_test.go  in-process
//
// The consumer-group scenarios (rows "group …") live in groups_*_test.go, with
// js/groups.js and py/*_group.py: each client's own group consumer joins,
// consumes, commits and resumes. TestMain reads the broker's ApiVersions
// first; while FindCoordinator v0 is not advertised they are skipped, and the
// librdkafka lz4 scenarios expect lz4 to be sent uncompressed (a known gap).
// The broker is started with group.initial.rebalance.delay.ms=0, or without
// it if its config registry does not know the name.
//
// Every scenario is a subtest registered through scenario(), which records its
// outcome under (client, scenario); after the run TestMain renders those outcomes as
// the matrix in docs/compatibility.md when STROM_WRITE_COMPAT_DOC=1 or CI=true.
//
// The external clients are installed by .ci/install-deps. A missing client skips
// its scenarios locally and fails them when CI=true.
//
// Environment knobs, all optional:
//
//	STROM_COMPAT_BINARY=path   use this strom binary instead of building ./cmd/strom
//	STROM_COMPAT_BROKER=h:p    use an already-running broker; nothing is built or started
//	STROM_WRITE_COMPAT_DOC=1   write docs/compatibility.md after the run
//	STROM_COMPAT_ALLOW_NO_GROUPS=1  skip, not fail, the group scenarios when
//	                           the broker does not advertise FindCoordinator
//
// Run it with:
//
//	go test -race -count=1 ./test/compat/ -v
//
// The broker's log is kept in the temporary directory and its tail is printed when a
// scenario failed.
package compat
