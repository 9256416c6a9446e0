package summarize

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/summarize/openaitest"
)

// benchStories returns stories stories made of articles articles: each
// story has a lead, and the extra articles are other outlets' versions of
// the first stories, as the clusterer would group them.
func benchStories(articles, stories int) []digest.Story {
	out := make([]digest.Story, stories)
	ports := []string{"Rotterdam", "Shanghai", "Singapore", "Hamburg", "Los Angeles", "Busan", "Antwerp"}
	goods := []string{"steel", "soybeans", "semiconductors", "aluminium", "electric vehicles", "rice", "solar panels"}
	for i := range articles {
		s := i % stories
		port, good := ports[s%len(ports)], goods[(s/len(ports))%len(goods)]
		var b strings.Builder
		fmt.Fprintf(&b, "Officials in %s said on Monday that shipments of %s rose %d.%d%% in story %d, the largest rise since %d.\n\n",
			port, good, s%40, s%10, s, 1990+s%30)
		for p := range 12 {
			fmt.Fprintf(&b, "Paragraph %d of report %d notes that exporters of %s expect duties of %d%% to change by %d points, "+
				"according to the ministry. Analysts at Example Bank said the measure would affect $%d.%dbn of trade a year. ",
				p, s, good, 5+p, p%4, s%90+1, p)
			b.WriteString("\n\n")
		}
		text := b.String()
		if i >= stories {
			text = "From another outlet. " + text
		}
		a := digest.Article{SourceName: "Outlet " + strconv.Itoa(i%9), Title: fmt.Sprintf("%s %s shipments, story %d", port, good, s),
			Text: text, ContentHash: digest.ContentHash(text)}
		out[s].Key = strconv.Itoa(s)
		out[s].Articles = append(out[s].Articles, a)
	}
	return out
}

// summariseAll does what the engine does: per story, a cache lookup by
// (lead content hash, version) and on a miss one Summarize call whose
// result is saved, from workers goroutines.
func summariseAll(tb testing.TB, sum digest.Summarizer, stories []digest.Story, cache digest.SummaryStore, workers int) (fallbacks int64) {
	ctx := context.Background()
	version := sum.Version()
	jobs := make(chan digest.Story)
	var wg sync.WaitGroup
	var fb atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for st := range jobs {
				lead := st.Lead()
				if _, err := cache.Summary(ctx, lead.ContentHash, version); err == nil {
					continue
				} else if !errors.Is(err, digest.ErrNotFound) {
					tb.Error(err)
					continue
				}
				req := digest.SummaryRequest{Title: lead.Title, Text: lead.Text, ContentHash: lead.ContentHash}
				for _, a := range st.Articles {
					req.Sources = append(req.Sources, a.SourceName)
				}
				s, err := sum.Summarize(ctx, req)
				if err != nil {
					tb.Error(err)
					continue
				}
				if s.Fallback {
					fb.Add(1)
				}
				s.ContentHash, s.CreatedAt = lead.ContentHash, time.Now()
				if err := cache.SaveSummary(ctx, s); err != nil {
					tb.Error(err)
				}
			}
		}()
	}
	for _, st := range stories {
		jobs <- st
	}
	close(jobs)
	wg.Wait()
	return fb.Load()
}

// BenchmarkOpenAI_Run summarises 1,000 articles forming 700 stories against
// the fake server at 200 ms a call and concurrency 16, then runs again at
// once, with the summary cache in memory and in a real SQLite store. Run
// with -benchtime 1x: one iteration takes about 9 s.
func BenchmarkOpenAI_Run(b *testing.B) {
	caches := []struct {
		name string
		open func(testing.TB) digest.SummaryStore
	}{
		{"cache=memory", func(testing.TB) digest.SummaryStore { return &memSummaries{m: map[[2]string]digest.Summary{}} }},
		{"cache=sqlite", func(tb testing.TB) digest.SummaryStore { return storetest.Open(tb) }},
	}
	for _, c := range caches {
		b.Run(c.name, func(b *testing.B) { benchRun(b, c.open) })
	}
}

func benchRun(b *testing.B, open func(testing.TB) digest.SummaryStore) {
	const (
		articles, nStories, workers = 1000, 700, 16
		latency                     = 200 * time.Millisecond
	)
	srv := openaitest.New(b)
	srv.SetLatency(latency)
	cfg := DefaultOpenAIConfig()
	cfg.APIKey, cfg.BaseURL, cfg.Model = "sk-bench", srv.URL, "bench-model"
	cfg.Concurrency = workers
	cfg.Topics = []string{"tariffs", "supply chains"}
	o, err := NewOpenAI(cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	stories := benchStories(articles, nStories)
	var wall time.Duration
	var calls, rerun int
	var fallbacks int64
	var peak uint64
	var cpu time.Duration
	for b.Loop() {
		cache := open(b)
		srv.Reset()
		stop := sampleHeap(&peak)
		cpu0 := cpuTime()
		start := time.Now()
		fallbacks = summariseAll(b, o.ForRun(), stories, cache, workers)
		wall = time.Since(start)
		cpu = cpuTime() - cpu0
		calls = srv.Count()
		srv.Reset()
		summariseAll(b, o.ForRun(), stories, cache, workers)
		rerun = srv.Count()
		stop()
	}
	ideal := float64(calls) * latency.Seconds() / workers
	b.ReportMetric(wall.Seconds(), "wall_s")
	b.ReportMetric(ideal, "ideal_s")
	b.ReportMetric(wall.Seconds()/ideal, "wall/ideal")
	// CPU time of the whole process (client and fake server) during the
	// first run: when wall/ideal is high on a loaded machine, this shows
	// whether the summariser or the machine is to blame.
	b.ReportMetric(cpu.Seconds(), "cpu_s")
	b.ReportMetric(float64(calls), "llm_calls")
	b.ReportMetric(float64(nStories), "stories")
	b.ReportMetric(float64(rerun), "rerun_calls")
	b.ReportMetric(float64(fallbacks), "fallbacks")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MB")
	b.ReportMetric(vmHWM()/1024, "VmHWM_MB")
}

// sampleHeap records the largest HeapInuse seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// cpuTime returns the user plus system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM returns the process's peak resident set in KiB (Linux), 0 elsewhere.
func vmHWM() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return n
		}
	}
	return 0
}
