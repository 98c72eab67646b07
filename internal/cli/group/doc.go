// Package group is `strom group`: list and describe consumer groups with
// their lag, reset or delete their committed offsets, delete groups — as
// kafka-consumer-groups.sh and rpk group do.
package group
