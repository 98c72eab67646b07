// Package metrics is Strom's operational surface: Prometheus metrics, a
// liveness and a readiness probe, served over HTTP on the admin listener
// (admin.listener, default 127.0.0.1:9644; empty disables it).
//
//	GET /metrics  Prometheus text exposition (promhttp) of a private registry
//	GET /health   200 "ok" while the process serves HTTP at all (liveness)
//	GET /ready    200 once the broker is registered with the controller,
//	              unfenced and caught up with the metadata log; 503 and the
//	              reason otherwise (readiness)
//
// Every metric is named strom_…, with Prometheus conventions: _total for
// counters, _seconds and _bytes base units, labels from bounded sets only
// (API names, Kafka error names, topics, partitions, log dirs, consumer
// groups coordinated here — never client ids). docs/metrics.md lists them.
//
// There are two kinds of metric, and they cost differently:
//
//   - Hot-path counters, updated as requests are served: Requests (one per
//     request, an Observer of internal/network) and Traffic (bytes and
//     records per topic, fed by the Produce and Fetch handlers). Both
//     resolve their label children once — per API key in a fixed array, per
//     topic in a sync.Map — so a request costs a few atomic adds and no
//     string building.
//   - State gauges, computed only when Prometheus scrapes: StateCollector
//     reads partition, log, controller, disk and consumer-group state
//     through the plain functions of Sources. Nothing on the request path
//     maintains them.
//
// Concurrency: everything here is safe for concurrent use. A Metrics is
// built once per broker (so an in-process test cluster keeps one per node)
// and never uses Prometheus' global registry.
package metrics
