package cluster

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// TestNearDuplicateLinksFirstBand checks that deciding a pair's first
// shared band by computation gives exactly the links, in the same order,
// that remembering every emitted pair in a set gave: on templated notices
// (many pairs per bucket, some undated, some outside the window), on the
// labelled set and on a synthetic day.
func TestNearDuplicateLinksFirstBand(t *testing.T) {
	c := New(Config{})
	arts, _, _ := loadLabelled(t)
	sets := map[string][]digest.Article{"labelled": arts, "synthetic": syntheticOver(1500, 9, 14*time.Hour)}
	sets["templated"] = noticeBatch(600, 3, 96, 13)
	for name, set := range sets {
		docs := analyse(set, DefaultConfig().LeadSentences)
		got := c.nearDuplicateLinks(docs, nil, nil, nil)
		want := nearDuplicateLinksBySet(c, docs)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %d links, the set-based scan gives %d (or another order)", name, len(got), len(want))
		}
		t.Logf("%s: %d near-duplicate links identical", name, len(got))
		if name == "templated" && len(got) < 100 {
			t.Fatalf("templated: only %d links; the case must put many pairs in one bucket", len(got))
		}
	}
}

// nearDuplicateLinksBySet is the scan as it was: every emitted pair kept
// in a set, so that a later band does not emit it again.
func nearDuplicateLinksBySet(c *Clusterer, docs []doc) []link {
	k := c.cfg.NearDuplicateBits
	bands := k + 1
	var order []int
	for i := range docs {
		if docs[i].shingles >= minShingles {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpTime(docs[a].when, docs[b].when) })
	seen := map[[2]int]bool{}
	var out []link
	for band := range bands {
		lo, hi := 64*band/bands, 64*(band+1)/bands
		mask := uint64(1)<<uint(hi-lo) - 1
		buckets := map[uint64][]int{}
		var keys []uint64
		for _, i := range order {
			key := docs[i].simhash >> uint(lo) & mask
			if _, ok := buckets[key]; !ok {
				keys = append(keys, key)
			}
			buckets[key] = append(buckets[key], i)
		}
		for _, key := range keys {
			c.scanBucket(docs, buckets[key], nil, func(i, j int) {
				p := [2]int{min(i, j), max(i, j)}
				if d := hamming(docs[i].simhash, docs[j].simhash); d <= k && !seen[p] {
					seen[p] = true
					out = append(out, link{p[0], p[1], linkNearDuplicate, float64(64 - d)})
				}
			})
		}
	}
	return out
}

// TestNearDuplicateLinksParallel checks that the near-duplicate scan and
// the scoring of candidate pairs (similarLinks) on several processors give
// the links, in the same order, the refused pairs and the stories of the
// scans on one: on the farm's templated wire texts (one bucket a band,
// nearly every pair refused as clashing) and on a synthetic day, both
// large enough to be scanned in parallel; and that without a keep test the
// near-duplicate scan still gives the set-based scan's links.
func TestNearDuplicateLinksParallel(t *testing.T) {
	c := New(Config{})
	defer func(n int) { minParallelScan = n }(minParallelScan)
	minParallelScan = 300
	labelled, _, _ := loadLabelled(t)
	sets := map[string][]digest.Article{"farm": farmArticles(12, 50), "synthetic": syntheticOver(900, 5, 14*time.Hour), "labelled": labelled}
	type result struct {
		links       []link
		conflicting int
		stories     []digest.Story
	}
	run := func(arts []digest.Article, procs int) result {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		g := newGrouping(&c.cfg, analyse(arts, c.cfg.LeadSentences))
		links, err := c.links(context.Background(), g, true)
		if err != nil {
			t.Fatal(err)
		}
		r := result{links: links, conflicting: g.conflicting}
		g.joinAll(links)
		r.stories = g.stories(arts, nil)
		return r
	}
	for name, arts := range sets {
		if n := len(arts); n < minParallelScan {
			t.Fatalf("%s: %d articles, fewer than are scanned in parallel", name, n)
		}
		want := run(arts, 1)
		for range 2 {
			got := run(arts, 4)
			if !slices.Equal(got.links, want.links) {
				t.Fatalf("%s: %d links on 4 processors, %d on one (or another order)", name, len(got.links), len(want.links))
			}
			if got.conflicting != want.conflicting {
				t.Errorf("%s: %d clashing pairs left out on 4 processors, %d on one", name, got.conflicting, want.conflicting)
			}
			if !reflect.DeepEqual(got.stories, want.stories) {
				t.Errorf("%s: stories on 4 processors differ from those on one", name)
			}
		}
		scored := 0
		for _, l := range want.links {
			if l.kind == linkSameEvent {
				scored++
			}
		}
		if name != "farm" && scored == 0 {
			t.Errorf("%s: no same-event link; the case must test the scoring of candidate pairs", name)
		}
		if name == "labelled" && want.conflicting == 0 {
			t.Errorf("labelled: no clashing pair left out; the case must test the scoring workers' own class answers")
		}
		t.Logf("%s: %d links (%d same-event), %d clashing pairs left out, %d stories identical", name, len(want.links), scored, want.conflicting, len(want.stories))
		if name == "farm" && want.conflicting == 0 {
			t.Errorf("farm: no clashing pair left out; the case must test the workers' own class answers")
		}
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
			docs := analyse(arts, c.cfg.LeadSentences)
			workers := 0
			got := c.nearDuplicateLinks(docs, nil, func(n int) []func(i, j int) bool {
				workers = n
				return make([]func(i, j int) bool, n) // no test: every pair
			}, nil)
			if workers < 2 {
				t.Errorf("%s: scanned by %d workers on 4 processors; the case must be scanned in parallel", name, workers)
			}
			if all := nearDuplicateLinksBySet(c, docs); !slices.Equal(got, all) {
				t.Errorf("%s: %d links without a keep test on 4 processors, the set-based scan gives %d (or another order)", name, len(got), len(all))
			}
		}()
	}
}

// TestSimilarLinksParallelCanceled checks that scoring the candidate pairs
// on several processors stops with the context's error when it ends.
func TestSimilarLinksParallelCanceled(t *testing.T) {
	defer func(n int) { minParallelScan = n }(minParallelScan)
	minParallelScan = 300
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	c := New(Config{})
	g := newGrouping(&c.cfg, analyse(syntheticOver(900, 5, 14*time.Hour), c.cfg.LeadSentences))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	links, err := c.similarLinks(ctx, g, true, nil)
	if !errors.Is(err, context.Canceled) || links != nil {
		t.Fatalf("similarLinks after the context ended: %d links, error %v; want none and context.Canceled", len(links), err)
	}
}

// TestNearDuplicateLinksClasses checks that the near-duplicate scan that
// leaves out the pairs whose classes clash (pairClasses) links exactly
// the pairs of the set-based scan that the keep test keeps: on the farm's
// templated texts (grouped by class), with twins (same URL, another
// country) whose classes clash and which are kept as identical, on
// templated notices (some undated), on a synthetic day and on the
// labelled set; scanning every pair, on 4 processors, and the pairs with
// a new article.
func TestNearDuplicateLinksClasses(t *testing.T) {
	c := New(Config{})
	defer func(n int) { minParallelScan = n }(minParallelScan)
	minParallelScan = 300
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	labelled, _, _ := loadLabelled(t)
	farm := farmArticles(20, 50)
	// Twins: an item republished under its URL with another country in
	// its title and text, whose class clashes with the original's, and
	// items that another wire carries as they are (one class).
	for k := 0; k < len(farm); k += 97 {
		a := farm[k]
		if k%2 == 0 {
			b := a
			b.SourceID, b.SourceName = "farm-copy", "Farm copies"
			farm = append(farm, b)
		}
		country := strings.Fields(a.Title)[0]
		other := map[string]string{"Japan": "Kenya", "Kenya": "Japan"}[country]
		if other == "" {
			other = "Japan"
		}
		a.Title, a.Text = strings.ReplaceAll(a.Title, country, other), strings.ReplaceAll(a.Text, country, other)
		a.Published = a.Published.Add(time.Duration(k%5) * time.Hour)
		if k%3 == 0 {
			a.Published = time.Time{} // undated: paired with every member
		}
		farm = append(farm, a)
	}
	for k := 5; k < len(farm); k += 101 {
		farm[k].Published = time.Time{}
	}
	sets := map[string][]digest.Article{"farm": farm, "templated": noticeBatch(800, 5, 96, 13), "synthetic": syntheticOver(1500, 9, 14*time.Hour), "labelled": labelled}
	byPair := func(a, b link) int { return cmp.Or(cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j)) }
	for name, arts := range sets {
		docs := analyse(arts, c.cfg.LeadSentences)
		all := nearDuplicateLinksBySet(c, docs)
		for _, part := range []string{"all", "new"} {
			g := newGrouping(&c.cfg, slices.Clone(docs))
			if part == "new" {
				g.fresh = make([]bool, len(docs))
				for i := range g.fresh {
					g.fresh[i] = i%3 == 1
				}
			}
			var want []link
			identical := 0
			for _, l := range all {
				if (g.fresh == nil || g.fresh[l.i] || g.fresh[l.j]) && !g.clash(l.i, l.j) {
					want = append(want, l)
					if g.facts.clash(g.docs, l.i, l.j) {
						identical++ // kept only as identical
					}
				}
			}
			links, err := c.links(context.Background(), g, true)
			if err != nil {
				t.Fatal(err)
			}
			got := slices.DeleteFunc(links, func(l link) bool { return l.kind != linkNearDuplicate })
			slices.SortFunc(got, byPair)
			slices.SortFunc(want, byPair)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %s pairs: %d links, the set-based scan keeps %d (%d of them identical across clashing classes)", name, part, len(got), len(want), identical)
				continue
			}
			// The pairs the keep test is asked of, with the classes and
			// without, each worker with class answers of its own.
			tested := func(classes *pairClasses) int {
				var ns []int // by worker
				c.nearDuplicateLinks(g.docs, g.fresh, func(workers int) []func(i, j int) bool {
					ns = make([]int, workers)
					fs := make([]func(i, j int) bool, workers)
					for w := range fs {
						facts := g.facts.fork()
						fs[w] = func(i, j int) bool { ns[w]++; return !g.clashIn(facts, i, j) }
					}
					return fs
				}, classes)
				n := 0
				for _, k := range ns {
					n += k
				}
				return n
			}
			with, without := tested(g.pairClasses()), tested(nil)
			t.Logf("%s, %s pairs: %d links alike, %d of them identical across clashing classes; keep asked of %d pairs, %d without the classes", name, part, len(got), identical, with, without)
			if name == "farm" && with*2 > without {
				t.Errorf("farm, %s pairs: keep asked of %d pairs, %d without the classes; the case must be scanned by class", part, with, without)
			}
			if name == "farm" && identical == 0 {
				t.Errorf("farm, %s pairs: no identical link across clashing classes; the case must test the twins", part)
			}
		}
	}
}
