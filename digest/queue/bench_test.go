package queue

import (
	"context"
	"testing"
	"time"
)

// BenchmarkQueue_Plan measures one planning pass over 10,000 due
// subscribers on SQLite: the first pass enqueues 10,000 deliver jobs, the
// later ones find them queued. It reports subscribers planned per second.
func BenchmarkQueue_Plan(b *testing.B) {
	const n = 10000
	e := newEnv(b, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{})
	e.addSubscribers(n, []string{"UTC", "Europe/Berlin", "Asia/Kathmandu"}, "06:00")
	r := e.replica("bench", Config{})
	ctx := context.Background()
	start := time.Now()
	res, err := r.q.Plan(ctx, false)
	if err != nil {
		b.Fatal(err)
	}
	if res.Enqueued != n {
		b.Fatalf("first plan enqueued %d, want %d", res.Enqueued, n)
	}
	first := float64(n) / time.Since(start).Seconds()
	b.ResetTimer()
	for b.Loop() {
		res, err := r.q.Plan(ctx, false)
		if err != nil {
			b.Fatal(err)
		}
		if res.Duplicate != n {
			b.Fatalf("repeat plan: %+v", res)
		}
	}
	b.ReportMetric(first, "first-plan-subs/s")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "repeat-plan-subs/s")
}
