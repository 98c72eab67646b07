// Package out prints command results as aligned text, JSON or YAML
// (--format), so every command offers the same choice.
package out
