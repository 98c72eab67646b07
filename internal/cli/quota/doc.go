// Package quota is `strom quota`: client quotas (producer_byte_rate,
// consumer_byte_rate, request_percentage) per user and client id, like
// kafka-client-quotas.sh / kafka-configs.sh --entity-type users|clients.
package quota
