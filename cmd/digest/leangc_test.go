package main

import (
	"runtime/debug"
	"sync"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
)

// gcPercent returns the collector's current target.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestGCTarget: the target is the lowest one asked for while any caller
// is inside, also when calls of two targets overlap (serve clustering for
// one job while it ranks for another), and the one found is back once the
// last leaves.
func TestGCTarget(t *testing.T) {
	orig := debug.SetGCPercent(137)
	defer debug.SetGCPercent(orig)
	g := &gcTarget{}
	want := func(what string, percent int) {
		t.Helper()
		if p := gcPercent(); p != percent {
			t.Fatalf("%s: GOGC %d, want %d", what, p, percent)
		}
	}
	leaveA := g.enter(7)
	want("inside", 7)
	leaveB := g.enter(7)
	leaveA()
	want("one caller left, one inside", 7)
	leaveB()
	want("after", 137)

	leaveRank := g.enter(50)
	want("ranking", 50)
	leaveCluster := g.enter(7)
	want("clustering while ranking", 7)
	leaveRank()
	want("ranking left, clustering inside", 7)
	leaveRank = g.enter(50)
	leaveCluster()
	want("clustering left, ranking inside", 50)
	leaveRank()
	want("after both", 137)

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { g.enter(10 + 40*(i%2))() })
	}
	wg.Wait()
	want("after concurrent calls", 137)
}

// TestNewLeanClusterer: the clusterer keeps its stories' features
// (KeepingClusterer) when wrapped, and GOGC in the environment leaves the
// collector alone.
func TestNewLeanClusterer(t *testing.T) {
	c := cluster.New(cluster.Config{})
	if _, ok := newLeanClusterer(c, func(string) (string, bool) { return "", false }).(digest.KeepingClusterer); !ok {
		t.Error("the wrapped clusterer is not a KeepingClusterer")
	}
	env := func(k string) (string, bool) { return "200", k == "GOGC" }
	if got := newLeanClusterer(c, env); got != digest.Clusterer(c) {
		t.Errorf("GOGC set: got %T, want the clusterer itself", got)
	}
}
