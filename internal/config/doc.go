// Package config holds the process configuration of a Strom node and the
// registry of Kafka-visible configs.
//
// Configuration uses Kafka's names. A node reads a server.properties file
// (Java properties syntax) and then --override key=value pairs, later
// settings winning, exactly as kafka-server-start.sh does. Every name is
// looked up in the registry (Defs): unknown names are rejected at start-up
// rather than silently ignored, and each definition carries its type,
// default, validator, documentation and, for topic configs, the broker
// config that supplies its default (Kafka's "synonym").
//
// Two sets exist: BrokerDefs (server.properties) and TopicDefs (per-topic
// configs given to CreateTopics / AlterConfigs). Both feed DescribeConfigs,
// and Reference renders them as docs/configuration.md.
//
// Broker is the static configuration, fixed at start-up. Dynamic configs
// live in the metadata log (topic overrides, the cluster-wide broker
// default, per-broker values); Dynamic layers one image's values over a
// Broker in Kafka's order and resolves topic configs through that chain
// (TopicValue), with the sources and synonyms DescribeConfigs reports.
// ApplyOps and ValidateDynamic are the rules of AlterConfigs and
// IncrementalAlterConfigs: the controller applies them to the image's
// current values before it writes ConfigRecords.
package config
