// Package kafka is how CLI commands reach a cluster: the shared --brokers
// flag (default from STROM_BROKERS), client construction, and turning
// client errors into one line a person can act on.
package kafka
