package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
)

// clusteringGC is the collector's target (GOGC, percent of the live heap
// allowed to grow before a collection) while a window is clustered. The
// features of every article of the window are a run's largest live heap
// (~50 MB at 10,000 articles, the rest of a run 10-20 MB), and linking
// them allocates little more (~60 MB in all at 10,000 articles), so a low
// target there costs a few extra collections and keeps the heap near what
// is live instead of at twice it (a first run at 200 feeds: peak heap
// ~92 -> ~58 MB); the rest of the run keeps Go's default. A target,
// unlike a memory limit, never makes the collector run back to back when
// the window is larger than expected.
const clusteringGC = 10

// rankingGC is the collector's target while a window's stories are
// ranked. Ranking reads the lead texts a batch at a time and assesses each
// story: it allocates much and holds little beyond the stories, so Go's
// default target let the heap grow to twice the stories' heap, the peak
// of a run at 800 feeds once clustering was held low (first run ~164 MB
// RSS). A moderate target keeps it to 1.25 times for a few more
// collections; 10 made ranking ~3x slower. At 50 (1.5 times) it was the
// peak again (~100 MB of heap at 800 feeds) once the window's features
// were read a batch at a time.
const rankingGC = 25

// leanClusterer is a cluster.Clusterer whose calls run with the collector
// at a lower target (gcTarget).
type leanClusterer struct {
	*cluster.Clusterer
	gc *gcTarget
}

var _ digest.KeepingClusterer = leanClusterer{}

// newLeanClusterer returns c whose clustering runs at clusteringGC (and
// the ranking of its stories at rankingGC), unless the environment sets
// GOGC (the user's choice is kept).
func newLeanClusterer(c *cluster.Clusterer, env func(string) (string, bool)) digest.Clusterer {
	if _, set := env("GOGC"); set {
		return c
	}
	return leanClusterer{Clusterer: c, gc: &gcTarget{}}
}

var _ digest.WindowLoader = leanClusterer{}

// LoadingWindow lowers the target from before a window is loaded until it
// is clustered: the loaded articles and their encoded features (~1.4 KB an
// article) are most of the heap until ClusterKept has read them.
func (l leanClusterer) LoadingWindow() (done func()) { return l.gc.enter(clusteringGC) }

// gcFloor is a clusterer whose process may let the heap grow more
// between collections outside its clustering (leanClusterer).
type gcFloor interface {
	Floor() (stop func())
}

var _ gcFloor = leanClusterer{}

// Floor sets the heap floor (heapFloor) until stop is called.
func (l leanClusterer) Floor() (stop func()) { return l.gc.withFloor(heapFloor) }

// Ranking holds the target at rankingGC while the window's stories are
// ranked.
func (l leanClusterer) Ranking() (done func()) { return l.gc.enter(rankingGC) }

func (l leanClusterer) Cluster(ctx context.Context, articles []digest.Article) ([]digest.Story, error) {
	defer l.gc.enter(clusteringGC)()
	return l.Clusterer.Cluster(ctx, articles)
}

func (l leanClusterer) ClusterKept(ctx context.Context, articles []digest.Article, features [][]byte, prior []int64, again digest.KeptReader) ([]digest.Story, [][]byte, error) {
	defer l.gc.enter(clusteringGC)()
	return l.Clusterer.ClusterKept(ctx, articles, features, prior, again)
}

// gcTarget sets the collector's target to the lowest percent any caller
// inside asked for (serve may cluster for one job while it ranks for
// another) and puts the target it found back when the last one leaves,
// after a collection.
//
// While a floor is set (withFloor: `digest now`), the target is raised,
// after each collection and whenever it changes, so that no collection
// starts before the heap reaches the floor: with little live, Go's
// targets collect every few MB (see heapFloor). A heap larger than the
// floor collects at the target asked for: the floor raises no run's peak
// heap above itself (about 1.5 times it at worst, see apply).
type gcTarget struct {
	mu     sync.Mutex
	inside map[int]int // percent -> callers inside that asked for it
	prev   int         // the target found before the callers and the floor came

	floor int64 // bytes; 0: no floor
	limit int64 // the memory limit found when the floor was set
	gen   int   // which floor the armed sentinel serves
}

// enter asks for percent and returns the function that leaves.
func (g *gcTarget) enter(percent int) (leave func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.inside) == 0 {
		g.inside = map[int]int{}
		if g.floor == 0 {
			g.prev = g.current()
		}
	}
	g.inside[percent]++
	g.apply()
	return func() {
		g.mu.Lock()
		if g.inside[percent]--; g.inside[percent] == 0 {
			delete(g.inside, percent)
		}
		g.apply()
		last := len(g.inside) == 0
		g.mu.Unlock()
		if last {
			// The window's features are garbage now; a target taken
			// from the heap that still held them would let the heap
			// grow to twice that before the next collection.
			runtime.GC()
		}
	}
}

// current returns the collector's target as set now.
func (g *gcTarget) current() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// want is the target asked for: the lowest of the callers inside, else
// the one found before they came. g.mu is held.
func (g *gcTarget) want() int {
	if len(g.inside) > 0 {
		return g.lowest()
	}
	return g.prev
}

// apply sets the target asked for, raised to the floor. g.mu is held.
//
// The target is set after a collection, from what it left live, and the
// heap may have grown meanwhile (the cleanup that sets it runs when it is
// scheduled): while the floor raises the target, a memory limit of half
// as much again as the floor bounds the heap in between. Once the live
// heap reaches the floor, the limit found is back, so a large heap never
// runs into the limit.
func (g *gcTarget) apply() {
	p, limit := g.want(), g.limit
	if g.floor > 0 && p > 0 {
		if fp := floorPercent(g.floor); fp > p {
			p, limit = fp, min(limit, g.floor*3/2)
		}
	}
	debug.SetGCPercent(p)
	if g.floor > 0 || limit != g.limit {
		debug.SetMemoryLimit(limit)
	}
}

// floorPercent returns the target under which the next collection starts
// when the heap reaches floor bytes, from what the last one left: Go's
// heap goal is live + (live + stacks + globals) * percent / 100.
func floorPercent(floor int64) int {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(s)
	var live, scanned int64 // scanned: live + stacks + globals
	for i, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			return 0
		}
		if i == 0 {
			live = int64(v.Value.Uint64())
		}
		scanned += int64(v.Value.Uint64())
	}
	if live >= floor || scanned == 0 {
		return 0
	}
	// Nor is any goal below 4 MB * percent / 100 (Go's heap minimum,
	// the goal before the first collection).
	return int(min(100*(floor-live)/scanned, 100*floor/(4<<20)))
}

// heapFloor is the heap `digest now` lets grow before any collection
// (gcTarget's floor). A gather's live heap is small (5-10 MB at 200 feeds:
// a feed's parse at a time per worker, the account lines) and it
// allocates much (every feed's XML, text, features and the store's
// statements), and clustering and ranking at their low targets start
// with little live too: Go's targets collected every few MB, ~270 times in
// a first run at 200 feeds (GODEBUG=gctrace=1). A run whose heap is
// larger (800 feeds) collects as before once it is past the floor.
const heapFloor = 32 << 20

// withFloor sets a floor of bytes (see gcTarget) until the returned
// function is called.
func (g *gcTarget) withFloor(bytes int64) (stop func()) {
	g.mu.Lock()
	if g.floor == 0 {
		if len(g.inside) == 0 {
			g.prev = g.current()
		}
		g.limit = debug.SetMemoryLimit(-1)
	}
	g.floor, g.gen = bytes, g.gen+1
	gen := g.gen
	g.apply()
	g.mu.Unlock()
	g.arm(gen)
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.gen == gen {
			g.floor, g.gen = 0, g.gen+1
			g.apply()
			debug.SetMemoryLimit(g.limit)
		}
	}
}

// gcSentinel is an object whose cleanup tells that a collection ran.
type gcSentinel struct{ _ *int }

// arm has the next collection raise the target to the floor again (a
// cleanup runs after the collection that found its object unreachable).
func (g *gcTarget) arm(gen int) {
	runtime.AddCleanup(new(gcSentinel), func(gen int) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.gen == gen {
			g.apply()
			g.arm(gen)
		}
	}, gen)
}

// lowest is the lowest percent asked for by the callers inside.
func (g *gcTarget) lowest() int {
	low := -1
	for p := range g.inside {
		if low < 0 || p < low {
			low = p
		}
	}
	return low
}
