// Package quota enforces client quotas (KIP-13 byte rates, KIP-124 request
// percentage) on one broker.
//
// Quotas live in the metadata image (metadata.Image.ClientQuotas, written
// by AlterClientQuotas). For each request the Manager finds the quota that
// applies to the client's (user, client id) in Kafka's order (Resolve),
// adds the request's bytes or handling time to a rate sampled over
// quota.window.num windows of quota.window.size.seconds, and, when the
// rate is above the quota, returns the time needed for it to fall back to
// the quota. The API layer puts that in the response's throttle_time_ms
// and internal/network mutes the connection for as long (KIP-219).
//
// Request time is approximated by the wall time of the handler (Strom has
// no request thread pool whose thread time could be measured); a Fetch's
// long-poll wait is subtracted (Waited), and JoinGroup and SyncGroup,
// which wait for the rest of their group, record no time.
//
// A Manager is safe for concurrent use: one mutex guards its rates.
package quota
