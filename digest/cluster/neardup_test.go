package cluster

import (
	"fmt"
	"math/rand/v2"
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
