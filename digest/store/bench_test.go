package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// BenchmarkDB_SaveArticles stores batches of 100 new articles (one
// transaction each) and reports rows per second.
func BenchmarkDB_SaveArticles(b *testing.B) {
	for _, o := range storetest.Openers() {
		b.Run(o.Name, func(b *testing.B) {
			db := o.Open(b)
			const batch = 100
			text := "The ministry raised tariffs on imported steel coil by 12 percent from Monday, citing a surge in shipments. "
			b.ResetTimer()
			for i := range b.N {
				arts := make([]digest.Article, batch)
				for j := range arts {
					key := fmt.Sprintf("%d-%d", i, j)
					arts[j] = digest.Article{SourceID: "https://feed.example/rss", GUID: key, URL: "https://news.example/" + key,
						Title: "Steel tariffs " + key, Text: text + key, Published: t0, FetchedAt: t0}
				}
				got, err := db.SaveArticles(b.Context(), arts)
				if err != nil || len(got) != batch {
					b.Fatalf("saved %d: %v", len(got), err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkDB_ClaimMarkSent runs the ledger's hot path, ClaimDelivery then
// MarkSent on a due row, serially and from 8 goroutines, and reports cycles
// per second.
func BenchmarkDB_ClaimMarkSent(b *testing.B) {
	for _, o := range storetest.Openers() {
		for _, workers := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/workers=%d", o.Name, workers), func(b *testing.B) {
				db := o.Open(b)
				ids := pendingRows(b, db, b.N)
				var next atomic.Int64
				b.SetParallelism(workers)
				b.ResetTimer()
				run := func() {
					id := ids[next.Add(1)-1]
					if _, err := db.ClaimDelivery(b.Context(), id, t0, time.Minute); err != nil {
						b.Error(err)
						return
					}
					if err := db.MarkSent(b.Context(), id, t0, 5); err != nil {
						b.Error(err)
					}
				}
				if workers == 1 {
					for range b.N {
						run()
					}
				} else {
					// RunParallel starts GOMAXPROCS×parallelism goroutines.
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							run()
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cycles/s")
			})
		}
	}
}

// pendingRows creates n due ledger rows and returns their ids.
func pendingRows(b *testing.B, db *store.DB, n int) []int64 {
	b.Helper()
	ids := make([]int64, n)
	for i := range ids {
		d, err := db.EnsureDelivery(b.Context(), digest.Delivery{Email: fmt.Sprintf("r%d@example.com", i), EditionDate: "2026-03-29"})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = d.ID
	}
	return ids
}
