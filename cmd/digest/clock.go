//go:build !digesttest

package main

import "time"

// testBuild is true in a binary built with -tags digesttest, whose clock
// the process tests set through DIGEST_FAKE_* (fakeclock.go).
const testBuild = false

// processClock is the clock of a production build: the real one, whatever
// the environment says.
func processClock(envLookup) func() time.Time { return time.Now }
