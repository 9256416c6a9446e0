package feed

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
	"github.com/tradedigest/tradedigest/digest/feed/internal/farm"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// benchFeeds and benchItems are the size of the gather benchmarks' farm.
const benchFeeds, benchItems = 200, 50

// startBenchFarm starts the gather benchmarks' farm, benchFeeds ×
// benchItems on 8 loopback hosts with 50 ms latency, closed when b ends;
// it skips b where those addresses cannot be bound.
func startBenchFarm(b *testing.B) *farm.Farm {
	fm, err := farm.Start(farm.Config{Hosts: farm.HostRange(2, 8), Feeds: benchFeeds, Items: benchItems, Latency: 50 * time.Millisecond})
	if err != nil {
		b.Skipf("cannot start the loopback feed farm (needs 127.0.0.2-9): %v", err)
	}
	b.Cleanup(fm.Close)
	return fm
}

// farmSources returns a fetcher at the default limits that may reach the
// loopback farm, and one feed source per farm feed through it.
func farmSources(fm *farm.Farm) (*Fetcher, []digest.Source) {
	cfg := DefaultFetcherConfig()
	cfg.AllowHosts = []string{"127.0.0.0/8:*"} // the farm is on loopback
	fetcher := NewFetcher(cfg)
	opts := Options{Fetcher: fetcher}
	sources := make([]digest.Source, len(fm.URLs))
	for i, u := range fm.URLs {
		sources[i] = NewFeed(u, opts)
	}
	return fetcher, sources
}

// timedGather runs eng's gather of sources and returns its report, wall
// and CPU time; it fails b on an error of the gather or of any source.
func timedGather(b *testing.B, eng *digest.Engine, sources []digest.Source) (digest.Report, time.Duration, time.Duration) {
	var rep digest.Report
	t0, c0 := time.Now(), cpuTime()
	if err := eng.Gather(context.Background(), sources, &rep); err != nil {
		b.Fatal(err)
	}
	wall, used := time.Since(t0), cpuTime()-c0
	if len(rep.Errors) > 0 {
		b.Fatalf("gather: %d errors, first: %s", len(rep.Errors), rep.Errors[0])
	}
	return rep, wall, used
}

// BenchmarkGather gathers 200 feeds × 50 items from 8 loopback hosts with
// 50 ms latency through (*digest.Engine).Gather at the default limits,
// then gathers again at once, when every feed should answer 304.
//
//	go test -run XXX -bench Gather -benchtime 3x ./digest/feed/
func BenchmarkGather(b *testing.B) {
	fm := startBenchFarm(b)
	ctx := context.Background()
	var (
		full, second                time.Duration
		notModified, bytes1, bytes2 int64
		articles, served1, served2  int64
		requests1                   int64
		cpu                         time.Duration
		runs                        int
	)
	for b.Loop() {
		fetcher, sources := farmSources(fm)
		store := farm.NewMemStore()
		eng := &digest.Engine{Store: store, Config: digest.DefaultConfig()}

		fm.ResetStats()
		rep, wall, used := timedGather(b, eng, sources)
		full += wall
		cpu += used
		for _, s := range rep.Sources {
			bytes1 += s.Bytes
		}
		articles += int64(rep.ArticlesNew)
		st1 := fm.Stats()
		served1 += st1.BodyBytes
		requests1 += st1.Requests

		fm.ResetStats()
		var rep2 digest.Report
		t1 := time.Now()
		if err := eng.Gather(ctx, sources, &rep2); err != nil {
			b.Fatal(err)
		}
		second += time.Since(t1)
		for _, s := range rep2.Sources {
			bytes2 += s.Bytes
			if s.NotModified {
				notModified++
			}
		}
		served2 += fm.Stats().BodyBytes
		fetcher.Close()
		runs++
	}
	n := float64(runs)
	b.ReportMetric(full.Seconds()/n, "full_s")
	b.ReportMetric(second.Seconds()/n, "second_s")
	b.ReportMetric(cpu.Seconds()/n, "full_cpu_s")
	b.ReportMetric(100*float64(notModified)/(n*benchFeeds), "304_%")
	b.ReportMetric(float64(bytes1)/n, "full_bytes")
	b.ReportMetric(float64(bytes2)/n, "second_bytes")
	b.ReportMetric(float64(articles)/n, "articles")
	b.ReportMetric(float64(requests1)/n, "full_requests")
	b.ReportMetric(float64(articles)/full.Seconds(), "articles/s")
	if served1 != bytes1 || served2 != bytes2 {
		b.Logf("bytes seen by the farm %d/%d vs by the fetcher %d/%d", served1, served2, bytes1, bytes2)
	}
}

// BenchmarkGatherStore is BenchmarkGather as `digest now` gathers: into
// a new SQLite store, keeping each new article's clustering features. It
// reports the first gather's wall and CPU time (which include the
// in-process farm) and the store's transactions and statements.
//
//	go test -run XXX -bench GatherStore -benchtime 3x ./digest/feed/
func BenchmarkGatherStore(b *testing.B) {
	fm := startBenchFarm(b)
	var (
		full, cpu     time.Duration
		articles, txs int64
		runs          int
	)
	for b.Loop() {
		fetcher, sources := farmSources(fm)
		b.StopTimer()
		db := storetest.Open(b)
		b.StartTimer()
		eng := &digest.Engine{Store: db, Clusterer: cluster.New(cluster.DefaultConfig()), Config: digest.DefaultConfig()}
		tx0 := db.Stats().Transactions
		rep, wall, used := timedGather(b, eng, sources)
		full += wall
		cpu += used
		articles += int64(rep.ArticlesNew)
		txs += db.Stats().Transactions - tx0
		fetcher.Close()
		runs++
	}
	n := float64(runs)
	b.ReportMetric(full.Seconds()/n, "full_s")
	b.ReportMetric(cpu.Seconds()/n, "full_cpu_s")
	b.ReportMetric(float64(articles)/n, "articles")
	b.ReportMetric(float64(txs)/n, "transactions")
}

// BenchmarkExtract measures main-text extraction (go-trafilatura, the
// page-level pre- and post-processing, Clean) over every evaluation page:
// the 60 scrapinghub pages and the 130 of extraction-realworld, one page
// at a time, so pages/s is per core. cpu_ms/page is CPU time, steadier than
// wall time on a loaded machine. It logs the slowest pages (their fastest
// run across iterations).
//
//	go test -run XXX -bench Extract -benchtime 3x ./digest/feed
func BenchmarkExtract(b *testing.B) {
	pages := evalPages(b)
	var total int64
	for _, p := range pages {
		total += int64(len(p.HTML))
	}
	// The first extraction pays one-off set-up (regex compilation).
	if _, err := extractEvalPage(pages[0], Clean); err != nil {
		b.Fatal(err)
	}
	fastest := make([]time.Duration, len(pages))
	b.SetBytes(total)
	b.ResetTimer()
	c0 := cpuTime()
	done := 0
	for b.Loop() {
		for i, p := range pages {
			t0 := time.Now()
			if _, err := extractEvalPage(p, Clean); err != nil {
				b.Logf("%s: %v", p.ID, err)
			}
			if d := time.Since(t0); fastest[i] == 0 || d < fastest[i] {
				fastest[i] = d
			}
			done++
		}
	}
	cpu := cpuTime() - c0
	b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(done), "cpu_ms/page")
	order := make([]int, len(pages))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return fastest[order[i]] > fastest[order[j]] })
	var slow []string
	for _, i := range order[:min(5, len(order))] {
		slow = append(slow, fmt.Sprintf("%s %s (%d KB): %v", pages[i].Set, pages[i].ID, len(pages[i].HTML)>>10, fastest[i].Round(time.Millisecond)))
	}
	b.ReportMetric(float64(fastest[order[0]].Milliseconds()), "slowest_ms")
	b.Logf("%d pages; slowest:\n%s", len(pages), strings.Join(slow, "\n"))
}

// cpuTime is the CPU time (user + system) this process has used; on a
// shared machine it says more about our cost than wall time does. It
// includes the in-process feed farm.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFeedItems measures the CPU side of one farm feed (50 items):
// parse, HTML to text, Clean, canonical URLs, hashes, languages. No
// network. cpu_us/item is CPU time, steadier than wall time on a loaded
// machine.
func BenchmarkFeedItems(b *testing.B) {
	body := []byte(farm.FeedXML(1, 50, "http://127.0.0.2:8080", time.Now()))
	src := NewFeed("http://127.0.0.2:8080/feeds/001.xml", Options{ShortText: -1})
	b.SetBytes(int64(len(body)))
	items := 0
	c0 := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(max(1, items)), "cpu_us/item") }()
	for b.Loop() {
		fd, _, err := parseFeed(body, "")
		if err != nil {
			b.Fatal(err)
		}
		arts, _, _ := src.articles(context.Background(), fd, src.loc, &hostTally{}, nil)
		items += len(arts)
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkArticles measures (*Feed).articles alone (HTML to text,
// Clean, titles, canonical URLs, content hashes, languages) on the
// farm's 200 feeds, parsed once beforehand; BenchmarkParseFarm measures
// their parse. cpu_us/item is CPU time per item.
//
//	go test -run XXX -bench 'Articles|ParseFarm' -benchtime 5x ./digest/feed
func BenchmarkArticles(b *testing.B) {
	bodies := farmBodies()
	now := time.Now()
	src := NewFeed("http://127.0.0.2:8080/feeds/001.xml", Options{ShortText: -1, Now: func() time.Time { return now }})
	fds := make([]*gofeed.Feed, len(bodies))
	for i, body := range bodies {
		fd, _, err := parseFeed(body, "")
		if err != nil {
			b.Fatal(err)
		}
		fds[i] = fd
	}
	items := 0
	c0 := cpuTime()
	for b.Loop() {
		for _, fd := range fds {
			arts, _, _ := src.articles(context.Background(), fd, src.loc, &hostTally{}, nil)
			items += len(arts)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(max(1, items)), "cpu_us/item")
}

// BenchmarkParseFarm is parseFeed of the farm's 200 feeds.
func BenchmarkParseFarm(b *testing.B) {
	bodies := farmBodies()
	items := 0
	c0 := cpuTime()
	for b.Loop() {
		for _, body := range bodies {
			fd, _, err := parseFeed(body, "")
			if err != nil {
				b.Fatal(err)
			}
			items += len(fd.Items)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(max(1, items)), "cpu_us/item")
}

// farmBodies is the farm's feeds, benchFeeds × benchItems.
func farmBodies() [][]byte {
	now := time.Now()
	bodies := make([][]byte, benchFeeds)
	for i := range bodies {
		bodies[i] = []byte(farm.FeedXML(i+1, benchItems, "http://127.0.0.2:8080", now))
	}
	return bodies
}
