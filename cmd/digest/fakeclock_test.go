//go:build digesttest

package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The process tests drive their replicas' clocks through a file: held at
// DIGEST_FAKE_NOW until it appears, then running, paused and resumed by
// rewriting it, never backwards.
func TestFileClock(t *testing.T) {
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "clock")
	now := fileClock(start, path, 3600)
	if got := now(); !got.Equal(start) {
		t.Fatalf("before the file exists: %s, want %s", got, start)
	}
	write := func(epoch, base time.Time, speed string) {
		t.Helper()
		line := epoch.Format(time.RFC3339Nano) + " " + base.Format(time.RFC3339Nano) + " " + speed
		if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // past the clock's re-read interval
	}
	// Started a second ago at an hour a second: about an hour in.
	write(time.Now().Add(-time.Second), start, "3600")
	if got := now().Sub(start); got < time.Hour || got > 2*time.Hour {
		t.Fatalf("running clock is %s past start, want about an hour", got)
	}
	// Paused at 10:00: stands still.
	paused := start.Add(10 * time.Hour)
	write(time.Now(), paused, "0")
	a := now()
	time.Sleep(20 * time.Millisecond)
	if b := now(); !a.Equal(paused) || !b.Equal(paused) {
		t.Fatalf("paused clock read %s then %s, want %s both times", a, b, paused)
	}
	// A file that would take it back is not followed backwards.
	write(time.Now(), start.Add(time.Hour), "0")
	if got := now(); got.Before(paused) {
		t.Fatalf("clock ran backwards to %s", got)
	}
	// Resumed: runs again from where it stood.
	write(time.Now().Add(-time.Second), paused, "3600")
	if got := now().Sub(paused); got < time.Hour || got > 2*time.Hour {
		t.Fatalf("resumed clock is %s past the pause, want about an hour", got)
	}
	// A malformed file changes nothing.
	before := now()
	if err := os.WriteFile(path, []byte("not a time"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if got := now(); got.Before(before) || got.Sub(before) > 2*time.Hour {
		t.Fatalf("after a malformed file: %s (was %s)", got, before)
	}
}
