package api

// Traffic counts client data per topic for metrics (internal/metrics
// implements it): Produce reports each partition it appended, Fetch each
// partition it served records from. Calls happen on the request path, so
// implementations must be cheap and safe for concurrent use.
type Traffic interface {
	// Produced: bytes of record batches holding records records were
	// appended to topic (idempotent duplicates are not reported).
	Produced(topic string, bytes, records int64)
	// Fetched: bytes of record batches from topic were served, to a
	// follower replica or to a consumer.
	Fetched(topic string, bytes int64, follower bool)
}
