package digest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitWaiters blocks until n callers wait on key's call.
func waitWaiters[T any](t *testing.T, g *flight[T], key string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		g.mu.Lock()
		c := g.calls[key]
		w := 0
		if c != nil {
			w = c.waiters
		}
		g.mu.Unlock()
		if w == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("waiters on %q never reached %d", key, n)
}

func TestFlight_Do_OneCallOneFirst(t *testing.T) {
	var g flight[int]
	release := make(chan struct{})
	var calls atomic.Int32
	fn := func(ctx context.Context) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	}
	const n = 6
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, first, err := g.do(context.Background(), "k", fn)
			if err != nil || v != 42 {
				t.Errorf("do = %d, %v; want 42, nil", v, err)
			}
			if first {
				firsts.Add(1)
			}
		}()
	}
	waitWaiters(t, &g, "k", n)
	close(release)
	wg.Wait()
	if c := calls.Load(); c != 1 {
		t.Errorf("fn called %d times, want 1", c)
	}
	if f := firsts.Load(); f != 1 {
		t.Errorf("%d callers told they were first, want exactly 1", f)
	}
}

func TestFlight_Do_CancelledCallerDoesNotFailOthers(t *testing.T) {
	var g flight[string]
	release := make(chan struct{})
	fn := func(ctx context.Context) (string, error) {
		select {
		case <-release:
			return "made", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	starter, cancelStarter := context.WithCancel(context.Background())
	starterErr := make(chan error, 1)
	go func() {
		_, _, err := g.do(starter, "k", fn)
		starterErr <- err
	}()
	waitWaiters(t, &g, "k", 1)
	other := make(chan error, 1)
	var otherFirst bool
	var otherVal string
	go func() {
		var err error
		otherVal, otherFirst, err = g.do(context.Background(), "k", fn)
		other <- err
	}()
	waitWaiters(t, &g, "k", 2)
	cancelStarter()
	if err := <-starterErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v, want context.Canceled", err)
	}
	close(release)
	if err := <-other; err != nil {
		t.Fatalf("the caller still waiting got %v: the first caller's cancellation failed it", err)
	}
	if otherVal != "made" || !otherFirst {
		t.Errorf("remaining caller got %q first=%v, want the new value, first", otherVal, otherFirst)
	}
}

func TestFlight_Do_LastCallerGoneCancelsCall(t *testing.T) {
	var g flight[int]
	var sawCancel atomic.Bool
	fn := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		sawCancel.Store(true)
		return 0, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := g.do(ctx, "k", fn)
		done <- err
	}()
	waitWaiters(t, &g, "k", 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	// do waits for fn once the last caller is gone: no call outlives them.
	if !sawCancel.Load() {
		t.Error("do returned before the abandoned call saw its context end")
	}
	// A new caller starts a new call rather than joining the cancelled one.
	v, first, err := g.do(context.Background(), "k", func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 || !first {
		t.Errorf("new call = %d, %v, %v; want 7, true, nil", v, first, err)
	}
}
