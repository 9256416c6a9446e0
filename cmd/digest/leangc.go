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

// leanClusterer is a cluster.Clusterer whose calls run with the collector
// at a lower target (gcTarget).
type leanClusterer struct {
	*cluster.Clusterer
	gc *gcTarget
}

var _ digest.KeepingClusterer = leanClusterer{}

// newLeanClusterer returns c whose clustering runs at clusteringGC, unless
// the environment sets GOGC (the user's choice is kept).
func newLeanClusterer(c *cluster.Clusterer, env func(string) (string, bool)) digest.Clusterer {
	if _, set := env("GOGC"); set {
		return c
	}
	return leanClusterer{Clusterer: c, gc: &gcTarget{percent: clusteringGC}}
}

var _ digest.WindowLoader = leanClusterer{}

// LoadingWindow lowers the target from before a window is loaded until it
// is clustered: the loaded articles and their encoded features (~1.4 KB an
// article) are most of the heap until ClusterKept has read them.
func (l leanClusterer) LoadingWindow() (done func()) { return l.gc.enter() }

func (l leanClusterer) Cluster(ctx context.Context, articles []digest.Article) ([]digest.Story, error) {
	defer l.gc.enter()()
	return l.Clusterer.Cluster(ctx, articles)
}

func (l leanClusterer) ClusterKept(ctx context.Context, articles []digest.Article, features [][]byte, prior []int64, again digest.KeptReader) ([]digest.Story, [][]byte, error) {
	defer l.gc.enter()()
	return l.Clusterer.ClusterKept(ctx, articles, features, prior, again)
}

// gcTarget sets the collector's target to percent while any caller is
// inside (serve may cluster for two jobs at once) and puts the target it
// found back when the last one leaves, after a collection.
type gcTarget struct {
	percent int
	mu      sync.Mutex
	inside  int
	prev    int
}

// enter lowers the target and returns the function that leaves.
func (g *gcTarget) enter() (leave func()) {
	g.mu.Lock()
	if g.inside == 0 {
		g.prev = debug.SetGCPercent(g.percent)
	}
	g.inside++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.inside--; g.inside == 0 {
			debug.SetGCPercent(g.prev)
			// The window's features are garbage now; a target taken from
			// the heap that still held them would let the heap grow to
			// twice that before the next collection.
			runtime.GC()
		}
	}
}
