// Package testcluster runs an N-node Strom cluster inside the test process:
// N broker.Broker values, each broker and controller, configured as package
// internal/cli/dev/layout describes (the contract `strom dev cluster` and
// internal/teststrom use too) on loopback ports picked up front, since every
// node must know the quorum's voters before the first one starts.
//
//	c := testcluster.Start(t, testcluster.Options{Nodes: 3})
//	cl, _ := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...))
//	// ...
//	c.Stop(2)    // node index 2 (node.id 3): a clean shutdown
//	c.Restart(2) // the same ports, the same directories
//
// It is quicker than internal/teststrom and lets a test reach into a
// broker, but a crash (SIGKILL) needs real processes: use teststrom for that.
// Each node logs to <t.TempDir()>/node-N/strom.log; when the test fails, the
// tail of every node's log is printed. t.Cleanup closes every node.
package testcluster
