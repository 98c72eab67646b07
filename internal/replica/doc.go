// Package replica holds this broker's partitions: which it leads, their
// logs, and the high watermark.
//
// Manager follows the metadata image (it is a metadata subscriber): when a
// partition lists this node as a replica it opens the partition's log, when
// the topic goes away it deletes it, and when topic configs change it pushes
// the new log config down. Request handlers ask Manager for a Partition and
// call Append / Read on it; they never touch storage directly.
//
// With one replica the high watermark is the log end offset after each
// append. The cluster issue adds followers, the ISR and acks=all waiting on
// it; the Partition API is shaped so that arrives without touching handlers.
package replica
