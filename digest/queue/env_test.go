package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/metrics"
	"github.com/tradedigest/tradedigest/digest/queue/internal/pgtest"
	"github.com/tradedigest/tradedigest/digest/store"
)

// clock is the injected clock: tests move it, nothing else does.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newsSource is a source that reports one new article per fetch, published
// at the injected clock's time, so every simulated day has news to send.
type newsSource struct {
	id    string
	now   func() time.Time
	calls atomic.Int64
	// same makes every fetch report the article of the first one.
	same atomic.Bool
}

func (s *newsSource) ID() string   { return s.id }
func (s *newsSource) Name() string { return "Test Trade Wire" }

func (s *newsSource) Fetch(ctx context.Context, prev digest.SourceState) (digest.FetchResult, error) {
	n := s.calls.Add(1)
	if s.same.Load() {
		n = 1
	}
	now := s.now()
	text := fmt.Sprintf("Tariff update number %d issued on %s. Ministers agreed new export quotas for steel and grain.",
		n, now.Format(time.RFC3339))
	return digest.FetchResult{Articles: []digest.Article{{
		GUID: fmt.Sprintf("%s-%d", s.id, n), URL: fmt.Sprintf("https://news.example/%d", n),
		Title: fmt.Sprintf("Tariff update %d", n), Text: text, Published: now,
	}}}, nil
}

// oneStoryEach is a deterministic clusterer double: each article its own
// story. It counts calls so tests can see the story cache at work.
type oneStoryEach struct{ calls atomic.Int64 }

func (c *oneStoryEach) Cluster(_ context.Context, articles []digest.Article) ([]digest.Story, error) {
	c.calls.Add(1)
	out := make([]digest.Story, 0, len(articles))
	for _, a := range articles {
		out = append(out, digest.Story{Key: a.ContentHash, Articles: []digest.Article{a}, Score: float64(a.Published.Unix())})
	}
	return out, nil
}

// firstSentence is a deterministic summariser double that counts calls.
type firstSentence struct{ calls atomic.Int64 }

func (s *firstSentence) Version() string { return "first-sentence/1" }

func (s *firstSentence) Summarize(_ context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	s.calls.Add(1)
	text, _, _ := strings.Cut(req.Text, ". ")
	return digest.Summary{Backend: "stub", Text: text, PromptTokens: 10, CompletionTokens: 3}, nil
}

// plainRenderer renders an edition as a short text message.
type plainRenderer struct{}

func (plainRenderer) Render(ed digest.Edition) (digest.Message, error) {
	var b strings.Builder
	for _, st := range ed.Stories {
		fmt.Fprintf(&b, "- %s: %s\n", st.Lead().Title, st.Summary.Text)
	}
	return digest.Message{Subject: "Trade digest " + ed.Date, Text: b.String()}, nil
}

// env is one test database with an SMTP sink; replicas are queues on it.
type env struct {
	t      testing.TB
	clock  *clock
	sink   *mailtest.Sink
	dsn    string // SQLite path or Postgres URL
	source *newsSource
	sum    *firstSentence
	clus   *oneStoryEach
	// admin is the store the test itself uses.
	admin *store.DB
	log   *slog.Logger
}

type envOptions struct {
	postgres bool
	sink     mailtest.SinkOptions
}

func newEnv(t testing.TB, start time.Time, opts envOptions) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(start), sum: &firstSentence{}, clus: &oneStoryEach{}}
	e.log = testLogger(t)
	e.source = &newsSource{id: "test://wire", now: e.clock.Now}
	if opts.postgres {
		e.dsn = freshPostgres(t)
	} else {
		e.dsn = filepath.Join(t.TempDir(), "digest.db")
	}
	opts.sink.DiscardBodies = true
	e.sink = mailtest.StartSink(t, opts.sink)
	e.admin = e.openStore()
	if err := e.admin.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate store: %v", err)
	}
	return e
}

func (e *env) openStore() *store.DB {
	e.t.Helper()
	db, err := store.Open(context.Background(), e.dsn, e.log)
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	db.Now = e.clock.Now
	e.t.Cleanup(func() { _ = db.Close() })
	return db
}

// replica is one simulated process: its own store pool, engine, SMTP
// sender and queue.
type replica struct {
	q       *Queue
	store   *store.DB
	engine  *digest.Engine
	metrics *metrics.Metrics
}

func (e *env) replica(name string, cfg Config) *replica {
	e.t.Helper()
	ctx := context.Background()
	db := e.openStore()
	host, port, _ := net.SplitHostPort(e.sink.Addr)
	p, _ := strconv.Atoi(port)
	sender, err := mail.NewSender(mail.SMTPConfig{Host: host, Port: p, TLS: mail.TLSNone},
		mail.SenderOptions{Connections: 4, MessageTimeout: 10 * time.Second, Logger: e.log})
	if err != nil {
		e.t.Fatalf("new sender: %v", err)
	}
	if err := sender.Start(ctx); err != nil {
		e.t.Fatalf("start sender: %v", err)
	}
	e.t.Cleanup(func() { _ = sender.Close() })
	ecfg := digest.DefaultConfig()
	ecfg.RetryBase = 2 * time.Minute
	eng := &digest.Engine{
		Store: db, Clusterer: e.clus, Summarizer: e.sum, Renderer: plainRenderer{},
		Mailer: sender, Logger: e.log.With("replica", name), Now: e.clock.Now, Config: ecfg,
	}
	m := metrics.New(metrics.Options{NoRuntime: true})
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	if cfg.GatherSchedule == "" {
		cfg.GatherSchedule = ScheduleOff
	}
	if cfg.PlanSchedule == "" {
		cfg.PlanSchedule = ScheduleOff
	}
	cfg.ReplicaID = name
	q, err := New(cfg, Deps{
		Engine: eng, DB: db,
		Sources: func(context.Context) ([]digest.Source, error) { return []digest.Source{e.source}, nil },
		Logger:  e.log.With("replica", name), Now: e.clock.Now, Metrics: m,
	})
	if err != nil {
		e.t.Fatalf("new queue: %v", err)
	}
	if err := q.Migrate(ctx); err != nil {
		e.t.Fatalf("migrate queue: %v", err)
	}
	e.t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	})
	return &replica{q: q, store: db, engine: eng, metrics: m}
}

func (r *replica) start(t testing.TB) {
	t.Helper()
	if err := r.q.Start(context.Background()); err != nil {
		t.Fatalf("start queue: %v", err)
	}
}

// addSubscribers inserts n active subscribers spread over zones.
func (e *env) addSubscribers(n int, zones []string, sendTime string) []digest.Subscriber {
	e.t.Helper()
	subs := make([]digest.Subscriber, 0, n)
	for i := range n {
		subs = append(subs, digest.Subscriber{
			Email: fmt.Sprintf("reader%04d@example.com", i), TimeZone: zones[i%len(zones)],
			SendTime: sendTime, Status: digest.StatusActive,
		})
	}
	if _, _, err := e.admin.UpsertSubscribers(context.Background(), subs); err != nil {
		e.t.Fatalf("add subscribers: %v", err)
	}
	return subs
}

// waitIdle waits until no job is available, running or retrying: what was
// enqueued so far has been worked (snoozed jobs are not waited for).
func waitIdle(t testing.TB, db *sql.DB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM river_job WHERE state IN ('available','running','retryable','pending')`).Scan(&n)
		if err != nil {
			t.Fatalf("count jobs: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not idle after %s: %d jobs left", timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ledger returns every ledger row.
func (e *env) ledger() []digest.Delivery {
	e.t.Helper()
	rows, err := e.admin.Deliveries(context.Background(), "", 100000)
	if err != nil {
		e.t.Fatalf("list deliveries: %v", err)
	}
	return rows
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("DIGEST_TEST_VERBOSE") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// freshPostgres creates a database with a random name for one test and
// drops it at the end; it skips without DIGEST_TEST_POSTGRES_DSN.
func freshPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("DIGEST_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("set DIGEST_TEST_POSTGRES_DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the Postgres queue tests")
	}
	dsn, drop, err := createDatabase(base)
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(drop)
	return dsn
}

func createDatabase(base string) (string, func(), error) { return pgtest.CreateDatabase(base) }
