package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
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
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	var notices []digest.Article
	for i := range 600 {
		n := notice{country: fmt.Sprint("Country", i%7), product: fmt.Sprint("goods", i%5), origin: fmt.Sprint("Origin", i%11), rate: 5 + i%9}
		at := base.Add(time.Duration(rng.IntN(96)) * time.Hour)
		if i%13 == 0 {
			at = time.Time{} // undated: scanned against every other
		}
		notices = append(notices, noticeArticle(n, i, fmt.Sprint("Outlet ", i%4), at))
	}
	sets["templated"] = notices
	for name, set := range sets {
		docs := analyse(set, DefaultConfig().LeadSentences)
		got := c.nearDuplicateLinks(docs, nil, nil)
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

// TestNearDuplicateLinksOnEveryCore checks that the scan cut into
// stretches on several goroutines makes the links, in the same order, and
// refuses and counts the same clashing pairs, whatever the number of
// cores and whether the classes keep their answers in the shared array
// or in each goroutine's map: on the farm's templated texts (buckets of
// thousands, some articles undated, some days apart), afresh and with a
// third of the articles new.
func TestNearDuplicateLinksOnEveryCore(t *testing.T) {
	c := New(Config{})
	arts := farmArticles(40, 50)
	for i := range arts {
		if i%37 == 0 {
			arts[i].Published = time.Time{}
		} else {
			arts[i].Published = arts[i].Published.Add(-time.Duration(i%5) * 30 * time.Hour)
		}
	}
	docs := analyse(arts, c.cfg.LeadSentences)
	rng := rand.New(rand.NewPCG(5, 6))
	third := make([]bool, len(docs))
	for i := range third {
		third[i] = rng.IntN(3) == 0
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, fresh := range [][]bool{nil, third} {
		runtime.GOMAXPROCS(1)
		want := c.nearDuplicateLinks(docs, fresh, nil)
		g := newGrouping(&c.cfg, docs)
		g.fresh = fresh
		wantLinks, err := c.links(context.Background(), g, true)
		if err != nil {
			t.Fatal(err)
		}
		wantRefused := g.conflicting
		if len(want) < 10000 || wantRefused < len(want)/2 {
			t.Fatalf("%d near-duplicate pairs, %d refused: the case must fill buckets with pairs that clash", len(want), wantRefused)
		}
		for _, procs := range []int{2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			if got := c.nearDuplicateLinks(docs, fresh, nil); !slices.Equal(got, want) {
				t.Fatalf("%d cores, new %v: %d links, on one core %d (or another order)", procs, fresh != nil, len(got), len(want))
			}
			for _, dense := range []bool{true, false} {
				g := newGrouping(&c.cfg, docs)
				g.fresh = fresh
				if !dense {
					g.facts.dense, g.facts.memo = nil, map[uint64]bool{}
				}
				got, err := c.links(context.Background(), g, true)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, wantLinks) || g.conflicting != wantRefused {
					t.Fatalf("%d cores, new %v, dense %v: %d links, %d refused; on one core %d, %d", procs, fresh != nil, dense, len(got), g.conflicting, len(wantLinks), wantRefused)
				}
				if !dense && len(g.facts.memo) == 0 {
					t.Fatalf("%d cores: the goroutines' answers were not kept", procs)
				}
			}
		}
		t.Logf("new %v: %d near-duplicate pairs, %d links, %d clashing pairs refused, alike on 1 to 8 cores", fresh != nil, len(want), len(wantLinks), wantRefused)
	}
}
