// Package testutil holds the one way tests wait for something: poll a
// condition with a deadline instead of sleeping a guessed amount of time.
package testutil
