// Package dev is `strom dev`: tools for running Strom locally while
// developing against it. `strom dev cluster` starts an N-node cluster in one
// directory, as child processes of the same binary, each configured by
// package layout (the files the test harnesses use too):
//
//	strom-dev/node-1/server.properties   rewritten on every start
//	strom-dev/node-1/data/               log.dirs, kept across runs
//	strom-dev/node-1/strom.log           the node's output, appended
//
// The command prefixes every child's output with [node-N] on stderr, prints
// its own progress and the bootstrap servers on stdout, and supervises the
// children until SIGINT or SIGTERM, when it stops them (SIGTERM, then SIGKILL
// after a bound). A child that dies meanwhile is reported and the others
// keep running. Children run in their own process group, so a terminal's
// Ctrl-C reaches only the supervisor, which then stops them in order. On
// Linux a child also gets SIGTERM if the supervisor itself dies; with
// nowhere left to write its output it may then end as if it had crashed,
// which Strom recovers from.
//
// Wire it under the root command with
//
//	root.AddCommand(dev.NewCommand())
package dev
