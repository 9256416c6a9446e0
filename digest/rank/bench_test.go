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
