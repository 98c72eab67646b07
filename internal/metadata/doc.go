// Package metadata holds the cluster metadata of Strom: the records of the
// metadata log (KRaft's __cluster_metadata) and the Image they build.
//
// The log is a sequence of raft entries; each entry is one batch of Records
// applied atomically:
//
//	recs := []metadata.Record{
//		&metadata.TopicRecord{Name: "orders", ID: id},
//		&metadata.PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
//	}
//	data := metadata.EncodeBatch(recs)          // the raft entry's payload
//	recs, err := metadata.DecodeBatch(data)     // never panics on garbage
//	next, err := prev.Apply(offset, recs)       // prev is left untouched
//
// An Image is immutable once published: Apply copies only the maps, topics
// and partitions a batch changes and shares the rest with the previous
// image, so readers may hold an Image as long as they like without locks.
// Apply is deterministic (no clocks, randomness or map-order dependence),
// so every node that applies the same log builds the same image. Randomness
// (topic ids, replica placement) lives in the controller and is recorded in
// the records.
//
// A snapshot is just the batch Image.Records() returns: applying it to
// NewImage() rebuilds the image.
//
// Batch encoding (all integers big-endian; strings and arrays in Kafka's
// compact form, uvarint length+1, 0 for null):
//
//	+---------+--------------+-------------------------------------------+
//	| version | count        | record × count                            |
//	| u8 = 1  | uvarint      |                                           |
//	+---------+--------------+-------------------------------------------+
//	record: | type uvarint | version uvarint | length uvarint | body[length] |
//
// Record type numbers follow Kafka's metadata record apiKeys where Kafka has
// the record (TopicRecord = 2, PartitionRecord = 3, …); Strom-only records
// start at 100. A decoder accepts record versions up to the one it knows and
// rejects newer ones, so a new field means a new version.
package metadata
