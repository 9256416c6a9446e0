package cluster

import (
	"context"
	"fmt"
	mathrand "math/rand"
	"math/rand/v2"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// synthetic returns n articles about n/3 invented events, each article
// mixing its event's names, figures and key words with filler words drawn
// from a 20,000-word vocabulary with Zipf frequencies (as words are in
// news text), spread over four days. It gives the clusterer realistic work:
// most pairs are unrelated, a few share an event.
func synthetic(n int, seed uint64) []digest.Article {
	return syntheticOver(n, seed, 96*time.Hour)
}

// syntheticOver is synthetic with the events spread over span.
func syntheticOver(n int, seed uint64, span time.Duration) []digest.Article {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	zipf := mathrand.NewZipf(mathrand.New(mathrand.NewSource(int64(seed))), 1.1, 2, 19999)
	word := func() string { return fmt.Sprintf("w%d", zipf.Uint64()) }
	name := func() string { return fmt.Sprintf("N%c%c%dx", 'a'+rng.IntN(26), 'a'+rng.IntN(26), rng.IntN(90)) }
	type event struct {
		keys, names, figures []string
		at                   time.Time
	}
	events := make([]event, max(1, n/3))
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for i := range events {
		e := &events[i]
		for k := 0; k < 10; k++ {
			e.keys = append(e.keys, word())
		}
		for k := 0; k < 4; k++ {
			e.names = append(e.names, name()+" "+name())
		}
		for k := 0; k < 3; k++ {
			e.figures = append(e.figures, fmt.Sprintf("%d.%d%%", rng.IntN(90), rng.IntN(10)))
		}
		e.at = base.Add(time.Duration(rng.Int64N(int64(span/time.Minute))) * time.Minute)
	}
	arts := make([]digest.Article, n)
	for i := range arts {
		ev := rng.IntN(len(events))
		e := events[ev]
		pick := func(s []string) string { return s[rng.IntN(len(s))] }
		var title []string
		for k := 0; k < 6; k++ {
			title = append(title, pick(e.keys))
		}
		var text strings.Builder
		for s := 0; s < 10; s++ {
			fmt.Fprintf(&text, "The %s %s said %s and %s rose by %s, ", pick(e.keys), pick(e.names), pick(e.keys), word(), pick(e.figures))
			for k := 0; k < 12; k++ {
				text.WriteString(word() + " ")
			}
			text.WriteString("in the end.\n\n")
		}
		arts[i] = digest.Article{
			GUID: fmt.Sprint(ev), // the gold story, for TestClusterer_ClusterSynthetic
			URL:  fmt.Sprintf("https://example.com/%d", i), SourceID: fmt.Sprint(i % 17),
			Title: strings.Join(title, " "), Text: text.String(),
			Published: e.at.Add(time.Duration(rng.IntN(600)) * time.Minute),
		}
		arts[i].ContentHash = digest.ContentHash(arts[i].Text)
	}
	return arts
}

// TestClusterer_ClusterSynthetic checks that a large batch, where common
// entities stop making candidates, still finds the invented events.
func TestClusterer_ClusterSynthetic(t *testing.T) {
	arts := synthetic(3000, 11)
	stories, err := New(Config{}).Cluster(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	checkPartition(t, arts, stories)
	gold := make([]string, len(arts))
	for i, a := range arts {
		gold[i] = a.GUID
	}
	s := comparePairs(predictedLabels(t, arts, stories), gold)
	t.Logf("synthetic: %d articles, %d stories; pairwise precision %.3f recall %.3f", len(arts), len(stories), s.precision(), s.recall())
	if s.precision() < 0.95 || s.recall() < 0.95 {
		t.Errorf("synthetic events not recovered: precision %.3f recall %.3f", s.precision(), s.recall())
	}
}

// BenchmarkCluster clusters 1,000 synthetic articles (and 5,000, to show
// how it scales) and reports articles per second
// (go test -run - -bench Cluster ./digest/cluster).
func BenchmarkCluster(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("articles=%d", n), func(b *testing.B) {
			benchClusterOnce(b, synthetic(n, 7))
		})
	}
}

// benchClusterOnce clusters arts in one batch per iteration with the default
// configuration and reports articles per second and the stories made.
func benchClusterOnce(b *testing.B, arts []digest.Article) {
	c := New(Config{})
	ctx := context.Background()
	var stories int
	cpu0 := cpuTime()
	for b.Loop() {
		st, err := c.Cluster(ctx, arts)
		if err != nil {
			b.Fatal(err)
		}
		stories = len(st)
	}
	reportRate(b, len(arts), cpu0)
	b.ReportMetric(float64(stories), "stories")
}

// BenchmarkClusterWindow clusters 5,000 synthetic articles published within
// one day, so that every pair is inside the time window and every shared
// name makes a candidate (go test -run - -bench ClusterWindow ./digest/cluster).
func BenchmarkClusterWindow(b *testing.B) {
	arts := syntheticOver(5000, 7, 14*time.Hour) // plus up to 10 h per article: within 24 h
	benchClusterOnce(b, arts)
}

// BenchmarkClusterRecurring clusters 5,000 copies of one templated text
// published three days apart (a weekly calendar over decades, or a feed
// that repeats its boilerplate): every copy falls in the same SimHash
// buckets, and none is within the window of another
// (go test -run - -bench ClusterRecurring ./digest/cluster).
func BenchmarkClusterRecurring(b *testing.B) {
	text := strings.Repeat("The ministry said the new tariff on steel imports from the region would take effect next month. ", 5)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	arts := make([]digest.Article, 5000)
	for i := range arts {
		arts[i] = digest.Article{Title: fmt.Sprintf("Calendar %d", i), Text: text + fmt.Sprint(i), Published: base.Add(time.Duration(i) * 72 * time.Hour)}
	}
	benchClusterOnce(b, arts)
}

// reportRate reports articles per second of wall time and per second of
// the process's CPU time since cpu0: on a loaded machine the first
// stretches and the second stays put.
func reportRate(b *testing.B, articles int, cpu0 time.Duration) {
	n := float64(articles) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "articles/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "articles/cpu-s")
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClusterFarm clusters the loopback feed farm's 200 feeds × 50
// wire texts (farmArticles): 10,000 near-duplicates of one template told
// apart by their titles, about ten million near-duplicate pairs that
// clash. It also reports the heap the articles' features hold while they
// are clustered (go test -run - -bench ClusterFarm ./digest/cluster).
func BenchmarkClusterFarm(b *testing.B) {
	arts := farmArticles(200, 50)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	docs := analyse(arts, DefaultConfig().LeadSentences)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(docs)
	docs = nil
	c := New(Config{})
	var stories int
	cpu0 := cpuTime()
	for b.Loop() {
		st, err := c.Cluster(context.Background(), arts)
		if err != nil {
			b.Fatal(err)
		}
		stories = len(st)
	}
	reportRate(b, len(arts), cpu0)
	b.ReportMetric(float64(stories), "stories")
	b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/float64(len(arts)), "feature-B/article")
}
