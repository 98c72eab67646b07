// Package cli is the strom command line: `strom serve` runs a node, and
// the other commands talk to a cluster as a client. Commands return errors;
// only main exits.
package cli
