package main

import (
	"context"
	"runtime"
	"runtime/debug"
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
type gcTarget struct {
	mu     sync.Mutex
	inside map[int]int // percent -> callers inside that asked for it
	prev   int
}

// enter asks for percent and returns the function that leaves.
func (g *gcTarget) enter(percent int) (leave func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.inside) == 0 {
		g.inside = map[int]int{}
		g.prev = debug.SetGCPercent(percent)
	} else if percent < g.lowest() {
		debug.SetGCPercent(percent)
	}
	g.inside[percent]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.inside[percent]--; g.inside[percent] == 0 {
			delete(g.inside, percent)
		}
		if len(g.inside) > 0 {
			debug.SetGCPercent(g.lowest())
			return
		}
		debug.SetGCPercent(g.prev)
		// The window's features are garbage now; a target taken from
		// the heap that still held them would let the heap grow to
		// twice that before the next collection.
		runtime.GC()
	}
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
