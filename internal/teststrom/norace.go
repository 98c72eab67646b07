//go:build !race

package teststrom

// raceEnabled is true when this package, hence the test binary, is built with -race.
const raceEnabled = false
