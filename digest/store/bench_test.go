package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"syscall"
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
				saved, err := db.SaveArticles(b.Context(), arts)
				got := fresh(saved)
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
				commits := commitCounter(b, db)
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
				b.StopTimer() // reading the commit count waits for the statistics
				if n, ok := commits(); ok {
					// Two ledger writes (claim, mark sent) per cycle.
					b.ReportMetric(float64(n)/float64(2*b.N), "commits/write")
				}
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

// BenchmarkDB_DeliveryPath runs the store calls that Engine.Deliver makes
// for one new recipient (DeliveryFor, LastSent, EnsureDelivery,
// ClaimDelivery, MarkSent) from 8 goroutines, as the engine's senders do,
// and reports deliveries per second and the process's CPU time per
// delivery, which machine load inflates less than wall time.
func BenchmarkDB_DeliveryPath(b *testing.B) {
	for _, o := range storetest.Openers() {
		b.Run(o.Name, func(b *testing.B) {
			db := o.Open(b)
			var next atomic.Int64
			b.SetParallelism(4) // × GOMAXPROCS 2 = the benchmark's 8 senders
			cpu := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					email := fmt.Sprintf("path%d@example.com", next.Add(1))
					if _, err := db.DeliveryFor(b.Context(), email, "2026-03-29"); !errors.Is(err, digest.ErrNotFound) {
						b.Errorf("delivery for a new address: %v", err)
						return
					}
					if _, err := db.LastSent(b.Context(), email); err != nil {
						b.Error(err)
						return
					}
					d, err := db.EnsureDelivery(b.Context(), digest.Delivery{Email: email, EditionDate: "2026-03-29", MessageID: email})
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := db.ClaimDelivery(b.Context(), d.ID, t0, time.Minute); err != nil {
						b.Error(err)
						return
					}
					if err := db.MarkSent(b.Context(), d.ID, t0, 20); err != nil {
						b.Error(err)
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/delivery")
		})
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDB_UpsertSubscribers imports a list of 100,000 new subscribers
// in 40 time zones (one UpsertSubscribers call, one transaction), then the
// same list again (all updates), and reports rows per second of each.
func BenchmarkDB_UpsertSubscribers(b *testing.B) {
	const n = 100000
	for _, o := range storetest.Openers() {
		b.Run(o.Name, func(b *testing.B) {
			var insert, update time.Duration
			for range b.N {
				b.StopTimer()
				db := o.Open(b)
				subs := make([]digest.Subscriber, n)
				for i := range subs {
					subs[i] = digest.Subscriber{Email: fmt.Sprintf("reader%06d@example.com", i), Name: fmt.Sprintf("Reader %d", i),
						TimeZone: benchZones[i%len(benchZones)], SendTime: "07:00", Topics: []string{"tariffs", "shipping"}}
				}
				b.StartTimer()
				start := time.Now()
				ins, _, err := db.UpsertSubscribers(b.Context(), subs)
				insert += time.Since(start)
				if err != nil || ins != n {
					b.Fatalf("imported %d: %v", ins, err)
				}
				start = time.Now()
				_, upd, err := db.UpsertSubscribers(b.Context(), subs)
				update += time.Since(start)
				if err != nil || upd != n {
					b.Fatalf("updated %d: %v", upd, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/insert.Seconds(), "inserted-rows/s")
			b.ReportMetric(float64(n*b.N)/update.Seconds(), "updated-rows/s")
		})
	}
}

// benchZones are 40 time zones, from UTC-10 to UTC+13 with the half and
// quarter hours.
var benchZones = []string{
	"UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw",
	"Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow", "Africa/Lagos", "Africa/Cairo",
	"Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu",
	"Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul",
	"Australia/Adelaide", "Australia/Sydney", "Pacific/Auckland", "Pacific/Tongatapu", "Pacific/Honolulu",
	"America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
	"America/Halifax", "America/St_Johns", "America/Sao_Paulo", "America/Mexico_City", "America/Bogota",
}

// commitCounter starts counting the transactions committed in db's
// database (Postgres only: pg_stat_database.xact_commit, flushed before
// each read); the returned func gives the count since and whether it
// could be read.
func commitCounter(b *testing.B, db *store.DB) func() (int64, bool) {
	if db.Dialect() != store.Postgres {
		return func() (int64, bool) { return 0, false }
	}
	read := func() (int64, bool) {
		ctx := context.Background()
		// Statistics reach pg_stat_database when a backend flushes them;
		// force that for this connection and read a fresh snapshot.
		var n int64
		if _, err := db.SQL().ExecContext(ctx, "SELECT pg_stat_force_next_flush()"); err != nil {
			return 0, false
		}
		time.Sleep(1100 * time.Millisecond) // the other connections flush within a second
		if _, err := db.SQL().ExecContext(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
			return 0, false
		}
		if err := db.SQL().QueryRowContext(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
			return 0, false
		}
		return n, true
	}
	start, ok := read()
	return func() (int64, bool) {
		end, ok2 := read()
		return end - start, ok && ok2
	}
}

// BenchmarkDB_SaveKeptStories sets the story of each of a window's 10,000
// kept articles, as a first run does once it has clustered them (SaveKept
// with no features: many rows a statement), and reports rows per second.
func BenchmarkDB_SaveKeptStories(b *testing.B) {
	for _, o := range storetest.Openers() {
		b.Run(o.Name, func(b *testing.B) {
			db := o.Open(b)
			const window = 10000
			kept := keptWindow(b, db, window, 1400)
			for i := range kept {
				kept[i].Features = nil
			}
			b.ResetTimer()
			for i := range b.N {
				for j := range kept {
					kept[j].Story = kept[(j+i+1)%window].Article.ID
				}
				if err := db.SaveKept(b.Context(), kept); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*window)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// keptWindow saves window articles and features of featureBytes bytes
// for each, with its own story, as a first run's gather and clustering
// leave them, and returns what it kept.
func keptWindow(b *testing.B, db *store.DB, window, featureBytes int) []digest.KeptArticle {
	b.Helper()
	var kept []digest.KeptArticle
	for start := 0; start < window; start += 500 {
		arts := make([]digest.Article, 500)
		for j := range arts {
			key := fmt.Sprintf("k%d", start+j)
			arts[j] = digest.Article{SourceID: "https://feed.example/rss", GUID: key, URL: "https://news.example/" + key,
				Title: "Steel tariffs " + key, Text: "The ministry raised tariffs on steel coil. " + key, Published: t0, FetchedAt: t0}
		}
		saved, err := db.SaveArticles(b.Context(), arts)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range fresh(saved) {
			kept = append(kept, digest.KeptArticle{Article: a, Features: make([]byte, featureBytes), Story: a.ID})
		}
	}
	if len(kept) != window {
		b.Fatalf("kept %d articles, want %d", len(kept), window)
	}
	if err := db.SaveKept(b.Context(), kept); err != nil {
		b.Fatal(err)
	}
	return kept
}

// BenchmarkDB_KeptFeatures reads the kept features of a 200-feed first
// run's window (10,000 articles, 1,150 bytes each: the farm's features
// without the lead text) by ID, 512 at a time, as one pass of the
// clusterer over the window does (ClusterKept's KeptReader, in ID order),
// and reports the milliseconds of a pass: what a window whose term counts
// are held saves by reading its features once rather than twice.
func BenchmarkDB_KeptFeatures(b *testing.B) {
	for _, o := range storetest.Openers() {
		b.Run(o.Name, func(b *testing.B) {
			db := o.Open(b)
			kept := keptWindow(b, db, 10000, 1150)
			ids := make([]int64, len(kept))
			for i, k := range kept {
				ids[i] = k.Article.ID
			}
			slices.Sort(ids)
			for b.Loop() {
				for batch := range slices.Chunk(ids, 512) {
					got, err := db.KeptFeatures(b.Context(), batch)
					if err != nil || len(got) != len(batch) {
						b.Fatalf("read %d features of %d: %v", len(got), len(batch), err)
					}
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/pass")
		})
	}
}

// BenchmarkDB_KeptArticlesSince reads a 200-feed first run's window
// (10,000 articles with kept features and stories), as the cluster stage
// does before it clusters, and reports the milliseconds of a read.
func BenchmarkDB_KeptArticlesSince(b *testing.B) {
	for _, o := range storetest.Openers() {
		b.Run(o.Name, func(b *testing.B) {
			db := o.Open(b)
			keptWindow(b, db, 10000, 1150)
			b.ReportAllocs()
			for b.Loop() {
				got, err := db.KeptArticlesSince(b.Context(), t0.Add(-time.Hour))
				if err != nil || len(got) != 10000 {
					b.Fatalf("read %d of 10000: %v", len(got), err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/read")
		})
	}
}

// BenchmarkDB_SaveRun saves the report of a first run at 200 feeds: the
// account of 10,000 articles, encoded a chunk at a time (run_account).
// Reports lines per second.
func BenchmarkDB_SaveRun(b *testing.B) {
	lines := make([]digest.ArticleFate, 10000)
	for i := range lines {
		lines[i] = digest.ArticleFate{ArticleID: int64(i + 1), Source: fmt.Sprintf("Farm wire %03d", i%200),
			Title: fmt.Sprintf("Japan weighs new duties on steel imports (%03d-%02d)", i%200, i/200), Published: t0,
			Fate: digest.FateAlsoReported, Story: fmt.Sprintf("%064x", i/3), StoryTitle: "Japan weighs new duties on steel imports",
			Join: &digest.Join{Via: digest.JoinSameEvent, With: i, Score: 0.31, Detail: "title and lead 0.40"}}
	}
	for _, o := range storetest.Openers() {
		b.Run(o.Name, func(b *testing.B) {
			db := o.Open(b)
			rep := digest.Report{ArticlesRead: len(lines), Articles: lines}
			for b.Loop() {
				if _, err := db.SaveRun(b.Context(), digest.RunRecord{Kind: "now", StartedAt: t0, FinishedAt: t0, Status: "ok", Report: rep}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(lines))/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
