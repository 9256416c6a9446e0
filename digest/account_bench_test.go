package digest

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkFinishAccount makes the account of a first run's window at 200
// feeds, as the cluster stage does once the stories are ranked (fatesOf,
// then finishAccount): 10,000 articles in 9,600 stories, in rank order,
// none in the gather's account any more (settleLater).
//
//	go test -run - -bench FinishAccount ./digest
func BenchmarkFinishAccount(b *testing.B) {
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var stories []Story
	id := 0
	for len(stories) < 9600 {
		var st Story
		for k := range 1 + len(stories)%24/23 { // one story in 24 has a second article
			id++
			src := fmt.Sprintf("Farm wire %03d", (id*37)%200)
			st.Articles = append(st.Articles, Article{
				ID: int64((id * 7919) % 100003), SourceID: src, SourceName: src, URL: fmt.Sprintf("http://127.0.0.2/%d", id),
				Title: fmt.Sprintf("Country %d weighs new duties on goods %d (%d)", id%50, id%30, id), Published: at.Add(-time.Duration(id+k) * time.Second),
			})
		}
		st.Key = fmt.Sprintf("%064x", id)
		stories = append(stories, st)
	}
	b.ReportAllocs()
	lines := 0
	for b.Loop() {
		r := &Report{}
		r.finishAccount(fatesOf(stories, nil, nil, nil), "")
		lines += len(r.Articles)
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
