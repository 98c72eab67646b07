// Package wire is the Kafka protocol's framing and request dispatch.
//
// A Kafka request on the wire is
//
//	+-----------+---------+---------+----------------+-----------+-------------+-------+
//	| size int32| key i16 | ver i16 | correlation i32| client id | [tags (v2)] | body  |
//	+-----------+---------+---------+----------------+-----------+-------------+-------+
//	             \------------- size bytes, checked against the cap before allocating -/
//
// and a response is size, correlation id, tags (flexible versions, except
// ApiVersions whose response header is always v0) and the body. Bodies are
// decoded and encoded by github.com/twmb/franz-go/pkg/kmsg; nothing here
// hand-writes request structs.
//
// Registry maps each API key to the version range Strom advertises and the
// handler serving it. A request whose key is unknown, whose version is
// outside the advertised range (ApiVersions aside, see KIP-511) or whose
// body does not parse is a protocol error: the connection is closed, as
// Kafka's SocketServer does.
package wire
