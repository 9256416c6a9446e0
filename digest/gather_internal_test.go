package digest

import (
	"context"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

type idSource string

func (s idSource) ID() string   { return string(s) }
func (s idSource) Name() string { return string(s) }
func (s idSource) Fetch(context.Context, SourceState) (FetchResult, error) {
	return FetchResult{}, nil
}

// TestByHost: the gather takes one source of each host in turn, hosts in
// the order they first appear; files are hosts of their own, and a list
// with a host per source keeps its order.
func TestByHost(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in, out []string
	}{
		{"grouped by host",
			[]string{"http://a.example/1", "http://a.example/2", "http://a.example/3", "https://B.example/1", "https://b.example:8443/2", "http://c.example/1"},
			[]string{"http://a.example/1", "https://B.example/1", "http://c.example/1", "http://a.example/2", "https://b.example:8443/2", "http://a.example/3"}},
		{"files are hosts of their own",
			[]string{"/srv/feeds/a.xml", "http://a.example/1", "http://a.example/2", "/srv/feeds/b.xml"},
			[]string{"/srv/feeds/a.xml", "http://a.example/1", "/srv/feeds/b.xml", "http://a.example/2"}},
		{"a host each",
			[]string{"http://c.example/1", "http://a.example/1", "/srv/a.xml"},
			[]string{"http://c.example/1", "http://a.example/1", "/srv/a.xml"}},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in []Source
			for _, id := range tc.in {
				in = append(in, idSource(id))
			}
			var got []string
			for _, s := range byHost(in) {
				got = append(got, s.ID())
			}
			if !slices.Equal(got, tc.out) {
				t.Errorf("byHost = %q\nwant %q", got, tc.out)
			}
		})
	}
}

// TestSettler: later runs its functions on goroutines of their own, no
// more than the limit at once (the call for one more waits for a slot),
// and wait returns only when all have.
func TestSettler(t *testing.T) {
	s := newSettler(2)
	release := make(chan struct{})
	var running, most, done atomic.Int32
	work := func() {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		done.Add(1)
	}
	s.later(work)
	s.later(work) // both slots taken: later returned without waiting
	third := make(chan struct{})
	go func() {
		s.later(work)
		close(third)
	}()
	select {
	case <-third:
		t.Fatal("a third function was started while two held the slots")
	case <-time.After(50 * time.Millisecond):
	}
	waited := make(chan struct{})
	go func() {
		<-third
		s.wait()
		close(waited)
	}()
	close(release) // the first two finish, the third gets a slot and finishes
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("wait did not return once every function had")
	}
	if got := done.Load(); got != 3 {
		t.Errorf("wait returned with %d of 3 functions done", got)
	}
	if got := most.Load(); got > 2 {
		t.Errorf("%d functions ran at once; the limit is 2", got)
	}
}

// TestGatherWorkers: the gather works on more sources than it makes
// requests at once (four more a processor, at most 32 more), and on at
// least one when told to make none.
func TestGatherWorkers(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, c := range []struct{ procs, requests, want int }{
		{1, 16, 20}, {2, 16, 24}, {2, 1, 9}, {2, 0, 9}, {8, 16, 48}, {16, 16, 48},
	} {
		runtime.GOMAXPROCS(c.procs)
		if got := GatherWorkers(c.requests); got != c.want {
			t.Errorf("%d processors, %d requests: %d workers, want %d", c.procs, c.requests, got, c.want)
		}
	}
}
