// Package parallel runs independent pieces of work (one per index) on the
// processors: clustering's parsing and encoding, ranking's assessments,
// the re-encoding of stale features.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// MinPerWorker is how many items a worker gets at least: a few items'
// work costs less than starting a goroutine for them.
const MinPerWorker = 64

// maxWorkers bounds the goroutines of one call: beyond 8 the work
// measured here (parsing, assessing texts) gains no more.
const maxWorkers = 8

// Workers returns how many goroutines Each uses for n items: at most
// GOMAXPROCS and 8, one per MinPerWorker items, at least one.
func Workers(n int) int { return workers(n, MinPerWorker) }

// LargeWorkers returns how many goroutines EachLarge uses for n items: at
// most GOMAXPROCS, 8 and n, at least one.
func LargeWorkers(n int) int { return workers(n, 1) }

func workers(n, per int) int {
	return max(1, min(runtime.GOMAXPROCS(0), maxWorkers, (n+per-1)/per))
}

// Each calls fn(w, i) for every i below n on Workers(n) goroutines, w the
// number of the worker calling it (below Workers(n)), and returns once
// every call has. Items are handed out one at a time, so uneven ones
// balance; fn must not depend on which worker or in what order.
func Each(n int, fn func(w, i int)) { each(n, Workers(n), fn) }

// EachLarge is Each for items each worth a goroutine of its own (a chunk
// of hundreds of lines to encode), on LargeWorkers(n) goroutines.
func EachLarge(n int, fn func(w, i int)) { each(n, LargeWorkers(n), fn) }

func each(n, workers int, fn func(w, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
}
