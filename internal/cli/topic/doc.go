// Package topic is `strom topic`: create, list, describe, delete and grow
// topics, as kafka-topics.sh and rpk topic do.
package topic
