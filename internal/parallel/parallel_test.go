package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestEach checks that every index is called exactly once, by a worker
// numbered below Workers(n), for sizes around the per-worker minimum.
func TestEach(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, n := range []int{0, 1, MinPerWorker - 1, MinPerWorker, 3*MinPerWorker + 5, 10000} {
		calls := make([]atomic.Int32, n)
		var badWorker atomic.Bool
		Each(n, func(w, i int) {
			if w < 0 || w >= Workers(n) {
				badWorker.Store(true)
			}
			calls[i].Add(1)
		})
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, c)
			}
		}
		if badWorker.Load() {
			t.Errorf("n=%d: a worker numbered outside [0, %d)", n, Workers(n))
		}
	}
	if Workers(1) != 1 || Workers(MinPerWorker+1) != 2 || Workers(1<<20) != 4 {
		t.Errorf("workers: %d, %d, %d; want 1, 2 and GOMAXPROCS (4)", Workers(1), Workers(MinPerWorker+1), Workers(1<<20))
	}
}
