//go:build digesttest

// The process and fault tests build the binary with -tags digesttest to
// run it on a simulated clock. A production build has only clock.go's
// processClock, so no environment variable can move its time.

package main

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// testBuild is true in a binary built with -tags digesttest.
const testBuild = true

// processClock returns time.Now, or a simulated clock: DIGEST_FAKE_NOW (RFC 3339) is the time at DIGEST_FAKE_EPOCH (RFC
// 3339, default the process start; replicas given the same epoch agree),
// running DIGEST_FAKE_SPEED times faster than real time (default 1).
// DIGEST_FAKE_EPOCH_FILE instead names a file that drives the clock (see
// fileClock): the clock stands still at DIGEST_FAKE_NOW until the file
// appears, so a test can start several processes on a loaded machine before
// time moves, and can pause it while the processes catch up.
func processClock(env envLookup) func() time.Time {
	v, _ := env("DIGEST_FAKE_NOW")
	start, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Now
	}
	epoch := time.Now()
	if v, ok := env("DIGEST_FAKE_EPOCH"); ok {
		if e, err := time.Parse(time.RFC3339Nano, v); err == nil {
			epoch = e
		}
	}
	if path, ok := env("DIGEST_FAKE_EPOCH_FILE"); ok && path != "" {
		return fileClock(start, path, fakeSpeed(env))
	}
	speed := fakeSpeed(env)
	return func() time.Time { return start.Add(time.Duration(float64(time.Since(epoch)) * speed)) }
}

// fileClock is processClock's clock driven by a file of up to three fields:
// the real instant (RFC 3339) at which the simulated clock reads the second
// field (default start), and its speed from then on (default speed; 0
// stands still). The file is read again whenever it changes (looked at
// every few milliseconds), and the clock never runs backwards, so a test
// can pause simulated time while its processes catch up on a slow machine
// and resume it where it stood.
func fileClock(start time.Time, path string, speed float64) func() time.Time {
	var (
		mu      sync.Mutex
		checked time.Time // when the file was last looked at
		stamp   time.Time // its modification time then
		size    int64
		epoch   time.Time // zero until the file holds a valid epoch
		base    = start
		rate    = speed
		last    time.Time
	)
	reload := func() {
		fi, err := os.Stat(path)
		if err != nil || (fi.ModTime().Equal(stamp) && fi.Size() == size) {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return
		}
		e, err := time.Parse(time.RFC3339Nano, f[0])
		if err != nil {
			return
		}
		nb, ns := start, speed
		if len(f) > 1 {
			if nb, err = time.Parse(time.RFC3339Nano, f[1]); err != nil {
				return
			}
		}
		if len(f) > 2 {
			if ns, err = strconv.ParseFloat(f[2], 64); err != nil || ns < 0 {
				return
			}
		}
		stamp, size = fi.ModTime(), fi.Size()
		epoch, base, rate = e, nb, ns
	}
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		if real := time.Now(); real.Sub(checked) >= 5*time.Millisecond {
			checked = real
			reload()
		}
		now := base
		if !epoch.IsZero() {
			now = base.Add(time.Duration(float64(max(time.Since(epoch), 0)) * rate))
		}
		if now.Before(last) {
			now = last
		}
		last = now
		return now
	}
}

// fakeSpeed is DIGEST_FAKE_SPEED, default 1.
func fakeSpeed(env envLookup) float64 {
	speed := 1.0
	if v, ok := env("DIGEST_FAKE_SPEED"); ok {
		if x, err := strconv.ParseFloat(v, 64); err == nil && x > 0 {
			speed = x
		}
	}
	return speed
}
