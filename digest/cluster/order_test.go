package cluster

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// storiesByURL describes stories by their articles' URLs, the lead first
// and the others in story order, each with how it joined, one story a
// line, sorted: what a reader of the digest sees of the grouping,
// whatever order the stories come in.
func storiesByURL(stories []digest.Story) string {
	lines := make([]string, 0, len(stories))
	for _, st := range stories {
		var b strings.Builder
		for k, a := range st.Articles {
			if k > 0 {
				b.WriteString(" ")
			}
			b.WriteString(a.URL + "<" + st.Joins[k].Via)
		}
		lines = append(lines, b.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestCluster_InputOrder checks that the stories depend on the articles,
// not on the order they come in: a store numbers the articles of a run in
// the order its concurrent gather workers commit them, and the farm gives
// the k-th item of every feed the same publication time, so the window's
// order among equal times differed from run to run, and with it one or
// two stories of ~9,600 (7 Dec 2026). Each path is tried: texts
// (Cluster), kept features (ClusterFeatures) and encoded ones (ClusterKept).
func TestCluster_InputOrder(t *testing.T) {
	c := New(DefaultConfig())
	ctx := context.Background()
	articles := farmArticles(60, 20)
	want, err := c.Cluster(ctx, articles)
	if err != nil {
		t.Fatal(err)
	}
	wantDesc := storiesByURL(want)
	if n := len(want); n == len(articles) || n < len(articles)/2 {
		t.Fatalf("%d stories of %d articles: the farm should give some joins and many single stories", n, len(articles))
	}
	rng := rand.New(rand.NewPCG(7, 12))
	for round := range 4 {
		shuffled := slices.Clone(articles)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		before := slices.Clone(shuffled)
		got, err := c.Cluster(ctx, shuffled)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(before, shuffled, func(a, b digest.Article) bool { return a.URL == b.URL }) {
			t.Fatalf("round %d: Cluster reordered its input", round)
		}
		if d := storiesByURL(got); d != wantDesc {
			t.Errorf("round %d: texts in another order give other stories:\n%s", round, firstDiff(wantDesc, d))
		}
		// Stories still come in the order of their first article in the
		// input.
		seen := map[string]int{}
		for k, a := range shuffled {
			seen[a.URL] = k
		}
		first := func(st digest.Story) int {
			return slices.Min(mapSlice(st.Articles, func(a digest.Article) int { return seen[a.URL] }))
		}
		if !slices.IsSortedFunc(got, func(a, b digest.Story) int { return first(a) - first(b) }) {
			t.Errorf("round %d: stories are not in the order of their first article in the input", round)
		}
		feats := mapSlice(shuffled, c.Features)
		got, err = c.ClusterFeatures(ctx, shuffled, feats, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := storiesByURL(got); d != wantDesc {
			t.Errorf("round %d: features in another order give other stories:\n%s", round, firstDiff(wantDesc, d))
		}
		encoded := mapSlice(shuffled, c.EncodeFeatures)
		got, _, err = c.ClusterKept(ctx, shuffled, encoded, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := storiesByURL(got); d != wantDesc {
			t.Errorf("round %d: kept features in another order give other stories:\n%s", round, firstDiff(wantDesc, d))
		}
	}
}

func mapSlice[T, U any](s []T, f func(T) U) []U {
	out := make([]U, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// firstDiff returns the first lines where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "want " + la[i] + "\n got " + lb[i]
		}
	}
	return "line counts differ"
}
