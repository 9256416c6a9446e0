package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// synthetic returns n articles about n/3 invented events, each article
// mixing its event's names, figures and key words with filler words, spread
// over four days. It gives the clusterer realistic work: most pairs are
// unrelated, a few share an event.
func synthetic(n int, seed uint64) []digest.Article {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	word := func() string { return fmt.Sprintf("w%c%c%d", 'a'+rng.IntN(26), 'a'+rng.IntN(26), rng.IntN(400)) }
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
		e.at = base.Add(time.Duration(rng.IntN(96*60)) * time.Minute)
	}
	arts := make([]digest.Article, n)
	for i := range arts {
		e := events[rng.IntN(len(events))]
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
			URL: fmt.Sprintf("https://example.com/%d", i), SourceID: fmt.Sprint(i % 17),
			Title: strings.Join(title, " "), Text: text.String(),
			Published: e.at.Add(time.Duration(rng.IntN(600)) * time.Minute),
		}
		arts[i].ContentHash = digest.ContentHash(arts[i].Text)
	}
	return arts
}

// BenchmarkCluster clusters 1,000 synthetic articles and reports articles
// per second (go test -run - -bench Cluster ./digest/cluster).
func BenchmarkCluster(b *testing.B) {
	arts := synthetic(1000, 7)
	c := New(Config{})
	ctx := context.Background()
	b.ResetTimer()
	var stories int
	for b.Loop() {
		st, err := c.Cluster(ctx, arts)
		if err != nil {
			b.Fatal(err)
		}
		stories = len(st)
	}
	b.ReportMetric(float64(len(arts))*float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64(stories), "stories")
}
