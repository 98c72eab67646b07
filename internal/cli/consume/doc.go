// Package consume is `strom consume`: read records from a topic from any
// offset or time, printed with a format string or as JSON lines.
package consume
