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
	for _, run := range []struct {
		name    string
		each    func(int, func(w, i int))
		workers func(int) int
	}{{"Each", Each, Workers}, {"EachLarge", EachLarge, LargeWorkers}} {
		for _, n := range []int{0, 1, 3, MinPerWorker - 1, MinPerWorker, 3*MinPerWorker + 5, 10000} {
			calls := make([]atomic.Int32, n)
			var badWorker atomic.Bool
			run.each(n, func(w, i int) {
				if w < 0 || w >= run.workers(n) {
					badWorker.Store(true)
				}
				calls[i].Add(1)
			})
			for i := range calls {
				if c := calls[i].Load(); c != 1 {
					t.Fatalf("%s: n=%d: index %d called %d times", run.name, n, i, c)
				}
			}
			if badWorker.Load() {
				t.Errorf("%s: n=%d: a worker numbered outside [0, %d)", run.name, n, run.workers(n))
			}
		}
	}
	if Workers(1) != 1 || Workers(MinPerWorker+1) != 2 || Workers(1<<20) != 4 {
		t.Errorf("workers: %d, %d, %d; want 1, 2 and GOMAXPROCS (4)", Workers(1), Workers(MinPerWorker+1), Workers(1<<20))
	}
	if LargeWorkers(1) != 1 || LargeWorkers(3) != 3 || LargeWorkers(20) != 4 {
		t.Errorf("large workers: %d, %d, %d; want 1, 3 and GOMAXPROCS (4)", LargeWorkers(1), LargeWorkers(3), LargeWorkers(20))
	}
}
