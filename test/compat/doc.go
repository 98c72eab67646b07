// Package compat is Strom's black-box wire-compatibility suite.
//
// TestMain builds ./cmd/strom once, starts a real `strom serve` process on a free
// loopback port with a temporary log directory, and each Test drives it over TCP
// with one real, unmodified Kafka client:
//
//	kcat (librdkafka)         kcat_test.go     exec of the kcat binary
//	confluent-kafka-python    python_test.go   py/confluent_roundtrip.py under /usr/bin/python3
//	kafka-python              python_test.go   py/kafkapython_roundtrip.py under /usr/bin/python3
//	kafkajs                   kafkajs_test.go  js/roundtrip.js under node
//	franz-go (kgo, kadm)      franz_test.go    in-process
//	IBM/sarama                sarama_test.go   in-process
//	segmentio/kafka-go        kafkago_test.go  in-process
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
//
// Run it with:
//
//	go test -race -count=1 ./test/compat/ -v
//
// The broker's log is kept in the temporary directory and its tail is printed when a
// scenario failed.
package compat
