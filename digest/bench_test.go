package digest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/internal/testutil"
	"github.com/tradedigest/tradedigest/summarize"
	"github.com/tradedigest/tradedigest/templates"
)

// topicClusterer makes each article a story and gives it one of the
// default topics in turn, so that subscribers' topic filters matter.
type topicClusterer struct{ topics []string }

func (c topicClusterer) Cluster(_ context.Context, as []digest.Article) ([]digest.Story, error) {
	out := make([]digest.Story, 0, len(as))
	for i, a := range as {
		out = append(out, digest.Story{Key: a.ContentHash, Articles: []digest.Article{a}, Topics: []string{c.topics[i%len(c.topics)]}})
	}
	return out, nil
}

// TestMain lets the test binary serve as the SMTP sink process of
// BenchmarkDeliver (mailtest.StartSinkProcess).
func TestMain(m *testing.M) {
	mailtest.ServeSinkProcessIfAsked()
	os.Exit(m.Run())
}

// BenchmarkDeliver renders and sends personalised 20-story editions to N
// subscribers over the pooled SMTP sender to an SMTP sink on loopback,
// through the engine and the ledger (SQLite always; Postgres when
// DIGEST_TEST_POSTGRES_DSN is set): the path of `digest now` and of the
// scheduled deliver jobs. The sink is a child process (this test binary
// re-executed, mailtest.StartSinkProcess), as a relay would be.
//
// cpu-µs/msg is this process's CPU time (user+system, getrusage) per
// message during the run: engine, rendering, message encoding, the SMTP
// client and the store's Go side. It does not include the sink
// (sink-cpu-µs/msg, the child's own getrusage over the same interval) nor,
// on PostgreSQL, the server's backends. CPU time is what machine load does
// not inflate the way it does wall time. rerun-ms is a second run right
// after (nothing new, everyone served: no stories made), outside the timed
// part. stmts/msg and tx/msg are the store's statements outside a
// transaction (each its own commit) and its transactions per message over
// the timed run (store.DB.Stats).
//
// DIGEST_BENCH_DELIVER_SUBSCRIBERS adds one larger size (e.g. 100000), to
// show that the peak heap does not grow with the list: a size that long is
// not run by default.
func BenchmarkDeliver(b *testing.B) {
	sizes := []int{2000, 10000}
	if v := os.Getenv("DIGEST_BENCH_DELIVER_SUBSCRIBERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("DIGEST_BENCH_DELIVER_SUBSCRIBERS=%q: want a positive number of subscribers", v)
		}
		sizes = append(sizes, n)
	}
	for _, o := range storetest.Openers() {
		for _, n := range sizes {
			name := fmt.Sprintf("subscribers=%d", n)
			if o.Name != store.SQLite {
				name = o.Name + "/" + name // keeps the SQLite names of earlier runs
			}
			b.Run(name, func(b *testing.B) {
				for range b.N {
					benchDeliver(b, o.Open(b), n)
				}
			})
		}
	}
}

func benchDeliver(b *testing.B, db *store.DB, n int) {
	b.StopTimer()
	ctx := context.Background()
	topics := rank.TopicNames(rank.DefaultTopics())
	subs := make([]digest.Subscriber, n)
	for i := range subs {
		subs[i] = digest.Subscriber{
			Email: fmt.Sprintf("reader%05d@example.com", i), Name: fmt.Sprintf("Reader %d", i),
			TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive,
		}
		if i%2 == 1 { // half choose three topics, half take everything
			subs[i].Topics = []string{topics[i%len(topics)], topics[(i+1)%len(topics)], topics[(i+2)%len(topics)]}
		}
	}
	if _, _, err := db.UpsertSubscribers(ctx, subs); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var articles []digest.Article
	for i := range 60 {
		text := strings.Repeat(fmt.Sprintf("Officials in capital %d said tariffs on steel and aluminium would rise by %d percent next year. ", i, i%25), 12)
		articles = append(articles, digest.Article{
			URL: fmt.Sprintf("https://news.example.com/%d", i), Title: fmt.Sprintf("Tariff decision number %d reshapes metal trade", i),
			Text: text, Published: now.Add(-time.Duration(i) * time.Minute), ContentHash: digest.ContentHash(text), SourceName: "Bench Wire",
		})
	}
	sink := mailtest.StartSinkProcess(b)
	sink0, err := sink.Stats()
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := mail.ParseURL("smtp://" + sink.Addr + "?tls=none")
	if err != nil {
		b.Fatal(err)
	}
	sender, err := mail.NewSender(cfg, mail.SenderOptions{Connections: 4})
	if err != nil {
		b.Fatal(err)
	}
	if err := sender.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	r, err := templates.New(templates.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ec := digest.DefaultConfig()
	ec.SendConcurrency = 8
	e := &digest.Engine{
		Store: db, Clusterer: topicClusterer{topics}, Summarizer: summarize.NewExtractive(), Renderer: r,
		Mailer: sender, Config: ec,
	}
	src := staticSource("bench", articles...)

	runtime.GC()
	stop := testutil.PeakHeap()
	b.StartTimer()
	start, cpu, stats := time.Now(), mailtest.CPUTime(), db.Stats()
	rep, err := e.Run(ctx, digest.RunOptions{Sources: []digest.Source{src}, Since: 24 * time.Hour})
	elapsed, cpu := time.Since(start), mailtest.CPUTime()-cpu
	b.StopTimer()
	after := db.Stats()
	peak := stop()
	if err != nil {
		b.Fatal(err)
	}
	got, serr := sink.Stats()
	if serr != nil {
		b.Fatal(serr)
	}
	if rep.Sent != n || got.Total != n || got.Distinct != n {
		b.Fatalf("sent %d, sink has %d (%d distinct), want %d (report errors %v)", rep.Sent, got.Total, got.Distinct, n, rep.Errors)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/msg")
	b.ReportMetric(float64((got.CPU()-sink0.CPU()).Microseconds())/float64(n), "sink-cpu-µs/msg")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(got.Bytes)/float64(n)/1024, "KB/msg")
	// The store's statements outside transactions (each its own commit)
	// and its transactions, per message, over the whole run (the gather's
	// and the stories' included).
	b.ReportMetric(float64(after.Statements-stats.Statements)/float64(n), "stmts/msg")
	b.ReportMetric(float64(after.Transactions-stats.Transactions)/float64(n), "tx/msg")

	// The same run again: nothing new, every subscriber served, so no
	// stories are made; what is left is the gather and the ledger check.
	start = time.Now()
	rep, err = e.Run(ctx, digest.RunOptions{Sources: []digest.Source{src}, Since: 24 * time.Hour})
	rerun := time.Since(start)
	if err != nil || rep.Sent != 0 || rep.AlreadySent != n || rep.Stories != 0 {
		b.Fatalf("second run: sent %d, already %d, stories %d, want 0, %d, 0 (%v)", rep.Sent, rep.AlreadySent, rep.Stories, n, err)
	}
	b.ReportMetric(float64(rerun.Milliseconds()), "rerun-ms")
}

// BenchmarkRun_Examples measures gather + summarise + render on the example
// articles: the work of `digest now --dry-run` on a laptop.
func BenchmarkRun_Examples(b *testing.B) {
	root, _ := filepath.Abs("..")
	src := filepath.Join(root, "examples", "articles")
	r, err := templates.New(templates.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var articles int
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		db := storetest.Open(b)
		// Fresh modification times keep the files inside the window.
		dir := b.TempDir()
		entries, _ := os.ReadDir(src)
		for _, en := range entries {
			data, _ := os.ReadFile(filepath.Join(src, en.Name()))
			os.WriteFile(filepath.Join(dir, en.Name()), data, 0o644)
		}
		sources, err := feed.Open(context.Background(), dir, feed.Options{})
		if err != nil {
			b.Fatal(err)
		}
		e := &digest.Engine{
			Store: db, Clusterer: cluster.New(cluster.DefaultConfig()), Ranker: rank.New(rank.DefaultConfig()),
			Summarizer: summarize.NewExtractive(), Renderer: r, Config: digest.DefaultConfig(),
		}
		b.StartTimer()
		start := time.Now()
		rep, err := e.Run(context.Background(), digest.RunOptions{Sources: sources, DryRun: true})
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		articles += rep.ArticlesFetched
	}
	b.ReportMetric(float64(articles)/elapsed.Seconds(), "articles/s")
}
