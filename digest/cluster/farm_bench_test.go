package cluster

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// BenchmarkCluster_Farm clusters the loopback farm's templated wire texts
// (farmArticles), where nearly every pair is a near-duplicate whose titles
// conflict, at 100, 200 and 800 feeds of 50 items, and reports articles per
// second (go test -run - -bench Cluster_Farm ./digest/cluster).
func BenchmarkCluster_Farm(b *testing.B) {
	for _, feeds := range []int{100, 200, 800} {
		b.Run(fmt.Sprintf("articles=%d", feeds*50), func(b *testing.B) {
			benchClusterOnce(b, farmArticles(feeds, 50))
		})
	}
}

// BenchmarkClusterKept_Farm clusters the 200-feed farm's 10,000 articles
// from kept features, as a run's cluster stage does: the window's heads
// in hand, the whole features read from a store (here a map, so the
// figure is the clusterer's work, not SQLite's) a batch at a time. With
// the term counts held between the two passes (heldTerms, the default)
// and without (every feature read twice, as before); it reports the
// features read per article, the window's bytes of term counts and the
// encoded features' bytes per article
// (go test -run - -bench ClusterKept_Farm -benchtime 3x ./digest/cluster).
func BenchmarkClusterKept_Farm(b *testing.B) {
	arts := farmArticles(200, 50)
	c := New(Config{})
	kept := map[int64][]byte{}
	heads := make([][]byte, len(arts))
	termBytes, featureBytes := 0, 0
	for i := range arts {
		arts[i].ID = int64(i + 1)
		f := c.EncodeFeatures(arts[i])
		kept[arts[i].ID], heads[i] = f, f[:digest.KeptHead]
		terms, _ := c.keptTerms(f)
		termBytes += len(terms)
		featureBytes += len(f)
		arts[i].Text = "" // a window's articles come without their texts
	}
	for _, run := range []struct {
		name string
		held int64
	}{{"held", heldTerms}, {"reread", 0}} {
		b.Run(run.name, func(b *testing.B) {
			defer func(n int64) { heldTerms = n }(heldTerms)
			heldTerms = run.held
			reads := 0
			again := func(_ context.Context, ids []int64) (map[int64][]byte, error) {
				reads += len(ids)
				out := make(map[int64][]byte, len(ids))
				for _, id := range ids {
					out[id] = kept[id]
				}
				return out, nil
			}
			var stories int
			cpu0 := cpuTime()
			for b.Loop() {
				st, _, err := c.ClusterKept(context.Background(), arts, slices.Clone(heads), nil, again)
				if err != nil {
					b.Fatal(err)
				}
				stories = len(st)
			}
			reportRate(b, len(arts), cpu0)
			b.ReportMetric(float64(stories), "stories")
			b.ReportMetric(float64(reads)/float64(b.N*len(arts)), "reads/article")
			b.ReportMetric(float64(termBytes)/(1<<20), "term-MB")
			b.ReportMetric(float64(featureBytes)/float64(len(arts)), "feature-B/article")
		})
	}
}
