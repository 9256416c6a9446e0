package main

import (
	"runtime"
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

// TestGCTarget_Floor: with a floor far above the live heap the target is
// raised (and a memory limit bounds the heap meanwhile), a caller inside
// gets at least the floor's target too, and stopping the floor puts back
// the target and the limit found.
func TestGCTarget_Floor(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	limit := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(limit)
	runtime.GC() // the live heap the floor reads
	g := &gcTarget{}
	stop := g.withFloor(1 << 30)
	if p := gcPercent(); p <= 100 {
		t.Errorf("floor far above the live heap: GOGC %d, want more than 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != (1<<30)*3/2 {
		t.Errorf("memory limit %d while the floor raises the target, want %d", l, (1<<30)*3/2)
	}
	leave := g.enter(10)
	if p := gcPercent(); p <= 10 {
		t.Errorf("inside, under the floor: GOGC %d, want more than 10", p)
	}
	leave()
	runtime.GC() // the floor's sentinel runs again
	stop()
	if p := gcPercent(); p != 100 {
		t.Errorf("floor stopped: GOGC %d, want 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != limit {
		t.Errorf("floor stopped: memory limit %d, want %d", l, limit)
	}

	// A floor below the live heap leaves the target alone.
	stop = g.withFloor(1)
	if p := gcPercent(); p != 100 {
		t.Errorf("floor below the live heap: GOGC %d, want 100", p)
	}
	stop()
}
