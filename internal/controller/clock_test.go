package controller

import "github.com/strom-project/strom/internal/testutil"

// fakeClock is the shared test clock.
type fakeClock = testutil.Clock

func newFakeClock() *fakeClock { return testutil.NewClock() }
