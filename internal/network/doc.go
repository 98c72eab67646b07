// Package network accepts Kafka client connections and runs one read loop
// and one write loop per connection.
//
// Requests on a connection are handled one at a time, in arrival order,
// like Kafka's muted-channel processing: that keeps responses in order
// without a reorder buffer, and a long-polling Fetch only delays requests
// on its own connection (clients use a separate connection for fetching).
// One goroutine per connection reads, handles, encodes and writes;
// responses are flushed when no further request is already buffered, so
// pipelined requests share write syscalls. Request and response buffers
// are reused (wire.GetBuf), which matters for megabyte Fetch responses.
//
// Every frame's size is checked against socket.request.max.bytes before the
// body is allocated. Protocol errors (unknown key, unsupported version,
// undecodable body) close the connection and nothing else.
package network
