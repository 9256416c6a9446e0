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

// TestGCTarget: the target is lowered while any caller is inside, also
// when calls overlap, and the one found is back once the last leaves.
func TestGCTarget(t *testing.T) {
	orig := debug.SetGCPercent(137)
	defer debug.SetGCPercent(orig)
	g := &gcTarget{percent: 7}
	leaveA := g.enter()
	if p := gcPercent(); p != 7 {
		t.Fatalf("inside: GOGC %d, want 7", p)
	}
	leaveB := g.enter()
	leaveA()
	if p := gcPercent(); p != 7 {
		t.Fatalf("one caller left, one inside: GOGC %d, want 7", p)
	}
	leaveB()
	if p := gcPercent(); p != 137 {
		t.Fatalf("after: GOGC %d, want 137", p)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { g.enter()() })
	}
	wg.Wait()
	if p := gcPercent(); p != 137 {
		t.Fatalf("after concurrent calls: GOGC %d, want 137", p)
	}
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
