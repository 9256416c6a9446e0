package rank

import (
	"fmt"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// BenchmarkRank scores and orders 1,000 stories of about 150 words and
// reports stories per second (go test -run - -bench Rank ./digest/rank).
func BenchmarkRank(b *testing.B) {
	texts := []string{tariffText, footballText, recipeText}
	stories := make([]digest.Story, 1000)
	for i := range stories {
		text := texts[i%3] + "\n\n" + texts[(i+1)%3] + "\n\n" + texts[(i+2)%3]
		stories[i] = story(fmt.Sprint(i), "Story", text, now.Add(-time.Duration(i)*time.Minute))
	}
	r := New(Config{})
	for b.Loop() {
		r.Rank(stories, now)
	}
	b.ReportMetric(float64(len(stories))*float64(b.N)/b.Elapsed().Seconds(), "stories/s")
}

// BenchmarkAssess assesses articles of about 150 words one by one, as a
// gather does each article it stores (go test -run - -bench Assess
// -benchmem ./digest/rank).
func BenchmarkAssess(b *testing.B) {
	texts := []string{tariffText, footballText, recipeText}
	r := New(Config{})
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r.Assess("Story", texts[n%3])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

// windowStories is a first run's window at 200 feeds: 10,000 stories of
// one to three articles from 200 outlets over a day, each with its
// relevance, as the cluster stage's ranking meets them (no summary yet).
func windowStories(n int) ([]digest.Story, []digest.Assessment) {
	stories := make([]digest.Story, n)
	assessed := make([]digest.Assessment, n)
	for i := range stories {
		st := digest.Story{Key: fmt.Sprintf("%064x", i*7919)}
		for k := range 1 + i%3/2*(1+i%2) {
			src := fmt.Sprintf("Wire %03d", (i+k*37)%200)
			st.Articles = append(st.Articles, digest.Article{
				ID: int64(i*3 + k), SourceID: "id:" + src, SourceName: src, Title: "Story",
				Published: now.Add(-time.Duration(i*8+k) * time.Second),
			})
		}
		stories[i] = st
		assessed[i] = digest.Assessment{Relevance: 0.2 + float64(i%10)/10, Topics: []string{"tariffs"}}
	}
	return stories, assessed
}

// BenchmarkRankWindow ranks a first run's window by its kept assessments
// (RankAssessed, the cluster stage's ranking) and ranks it again once its
// summaries arrived (Rerank, the summarise stage's; a run summarises the
// few its editions need, 30 here): neither reads a text, so this is the
// scoring and the ordering alone.
//
//	go test -run - -bench RankWindow ./digest/rank
func BenchmarkRankWindow(b *testing.B) {
	stories, assessed := windowStories(10000)
	r := New(Config{})
	b.Run("assessed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.RankAssessed(stories, assessed, now)
		}
		b.ReportMetric(float64(len(stories))*float64(b.N)/b.Elapsed().Seconds(), "stories/s")
	})
	kept, _ := r.RankAssessed(stories, assessed, now)
	for i := range kept[:30] {
		kept[i].Summary = digest.Summary{Headline: "Story", Text: "A summary of the story.", Topics: []string{"trade"}, Importance: 1 + i%5}
	}
	b.Run("rerank", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Rerank(kept, now)
		}
		b.ReportMetric(float64(len(kept))*float64(b.N)/b.Elapsed().Seconds(), "stories/s")
	})
}
