// Package teststrom runs real `strom serve` processes for black-box tests.
//
// It is test support: only _test.go files and TestMain functions import it.
// A test builds ./cmd/strom once per test binary and starts brokers on free
// loopback ports, each with its own data directory and log file:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		teststrom.RemoveBinary()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		b, err := teststrom.Start(teststrom.Options{
//			Dir:       t.TempDir(),
//			Overrides: []string{"log.flush.interval.messages=1"},
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//		t.Cleanup(func() { _ = b.Kill() })
//		// ... talk to b.Addr() with any Kafka client ...
//		// ... scrape http://b.AdminAddr()/metrics (internal/metrics/metricstest) ...
//		if err := b.Kill(); err != nil { // SIGKILL: a crash
//			t.Fatal(err)
//		}
//		if err := b.Restart(); err != nil { // same data directory, same port
//			t.Fatalf("%v\n%s", err, b.LogTail(40))
//		}
//		if err := b.Stop(); err != nil { // SIGTERM: exit status 0 required
//			t.Fatal(err)
//		}
//	}
//
// The binary is built with -race when the test binary is, so every client
// workload doubles as a race workload for the broker; the race detector makes
// the broker exit with status 66, which Stop reports, and prints
// "WARNING: DATA RACE" into the broker's log (see LogContains).
//
// # Clusters
//
// StartCluster runs N nodes, each broker and controller, configured as
// package internal/cli/dev/layout describes (the same files `strom dev
// cluster` writes), on free loopback ports:
//
//	c, err := teststrom.StartCluster(teststrom.ClusterOptions{
//		Nodes: 3, Dir: t.TempDir(),
//		Overrides: []string{"broker.session.timeout.ms=2500", "broker.heartbeat.interval.ms=250"},
//	})
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(c.Close)
//	leader, err := c.LeaderOf(ctx, "orders", 0) // poll: an error while nodes disagree
//	_ = c.Node(leader).Kill()
//	// ... wait for another leader, then:
//	_ = c.Node(leader).Restart() // same ports, same data
//
// Every node is a Broker. The metadata helpers (Partition, LeaderOf,
// ActiveController, Brokers) ask every running node for its own view and
// fail while the views differ, so a test polls them (internal/testutil)
// until the cluster has settled on what it waits for.
//
// # Files
//
//	<Options.Dir>/data/        log.dirs (and the metadata log)
//	<Options.Dir>/strom.log    stdout and stderr of every run; Restart appends
//
//	<ClusterOptions.Dir>/node-N/server.properties
//	<ClusterOptions.Dir>/node-N/data/       log.dirs
//	<ClusterOptions.Dir>/node-N/strom.log   as for a single broker
//
// Readiness is a TCP connect plus a franz-go Ping (an ApiVersions/Metadata
// round trip), polled until Options.ReadyTimeout. A cluster node answers only
// once the quorum has formed, so StartCluster starts every node before it
// waits; it then also waits until every node's metadata lists every broker.
package teststrom
