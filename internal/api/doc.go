// Package api serves Kafka requests: one file per API key (00_produce.go,
// 01_fetch.go, ...), each opening with the version range it registers and
// per-version notes. A handler decodes nothing itself (kmsg did), calls the
// owning subsystem (replica, controller, ...) and builds the response; it
// never reaches into another subsystem's state.
//
// Errors cross into Kafka error codes only here (errors.go).
package api
