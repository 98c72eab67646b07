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
// # Files
//
//	<Options.Dir>/data/        log.dirs (and the metadata log)
//	<Options.Dir>/strom.log    stdout and stderr of every run; Restart appends
//
// Readiness is a TCP connect plus a franz-go Ping (an ApiVersions/Metadata
// round trip), polled until Options.ReadyTimeout.
package teststrom
