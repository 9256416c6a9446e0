package digest_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/internal/memstore"
	"github.com/tradedigest/tradedigest/summarize"
)

// Hand-written doubles with function fields (docs/architecture.md, Conventions).

type fakeSource struct {
	id    string
	fetch func(ctx context.Context, prev digest.SourceState) (digest.FetchResult, error)
}

func (s *fakeSource) ID() string   { return s.id }
func (s *fakeSource) Name() string { return "Fake " + s.id }
func (s *fakeSource) Fetch(ctx context.Context, prev digest.SourceState) (digest.FetchResult, error) {
	return s.fetch(ctx, prev)
}

// oneStoryEach makes each article its own story, in input order.
type oneStoryEach struct{}

func (oneStoryEach) Cluster(_ context.Context, as []digest.Article) ([]digest.Story, error) {
	out := make([]digest.Story, 0, len(as))
	for _, a := range as {
		out = append(out, digest.Story{Key: a.ContentHash, Articles: []digest.Article{a}})
	}
	return out, nil
}

type countingSummarizer struct{ calls atomic.Int64 }

func (s *countingSummarizer) Version() string { return "count-v1" }
func (s *countingSummarizer) Summarize(_ context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	s.calls.Add(1)
	first, _, _ := strings.Cut(req.Text, ".")
	return digest.Summary{Backend: "count", Text: first + "."}, nil
}

type textRenderer struct{}

func (textRenderer) Render(ed digest.Edition) (digest.Message, error) {
	var b strings.Builder
	if ed.Lead != "" {
		fmt.Fprintf(&b, "%s\n", ed.Lead)
	}
	for _, s := range ed.Stories {
		fmt.Fprintf(&b, "- %s: %s\n", s.Lead().Title, s.Summary.Text)
	}
	return digest.Message{Subject: "Digest " + ed.Date, Text: b.String(), HTML: "<p>" + ed.Date + "</p>"}, nil
}

type recordingMailer struct {
	mu   sync.Mutex
	sent []digest.Message
	send func(msg digest.Message) error // nil: accept
}

func (m *recordingMailer) Send(_ context.Context, msg digest.Message) error {
	if m.send != nil {
		if err := m.send(msg); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

func (m *recordingMailer) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func article(n int, published time.Time) digest.Article {
	text := fmt.Sprintf("Tariff story number %d was announced by the ministry. It raises duties by %d percent.", n, n)
	return digest.Article{
		URL: fmt.Sprintf("https://news.example.com/story/%d", n), Title: fmt.Sprintf("Story %d", n),
		Text: text, Published: published, ContentHash: digest.ContentHash(text),
	}
}

func staticSource(id string, articles ...digest.Article) *fakeSource {
	return &fakeSource{id: id, fetch: func(context.Context, digest.SourceState) (digest.FetchResult, error) {
		return digest.FetchResult{Articles: append([]digest.Article(nil), articles...)}, nil
	}}
}

func newEngine(t *testing.T, db digest.EngineStore, now *time.Time) (*digest.Engine, *countingSummarizer, *recordingMailer) {
	t.Helper()
	sum := &countingSummarizer{}
	m := &recordingMailer{}
	cfg := digest.DefaultConfig()
	cfg.RetryBase = time.Minute
	return &digest.Engine{
		Store: db, Clusterer: oneStoryEach{}, Summarizer: sum, Renderer: textRenderer{}, Mailer: m,
		Now: func() time.Time { return *now }, Config: cfg,
	}, sum, m
}

func TestEngine_Run_LedgerAndCache(t *testing.T) {
	db := memstore.New()
	now := t0
	e, sum, m := newEngine(t, db, &now)
	ctx := context.Background()
	src := staticSource("src-a", article(1, t0.Add(-time.Hour)), article(2, t0.Add(-2*time.Hour)), article(3, t0.Add(-50*time.Hour)))
	opts := digest.RunOptions{Sources: []digest.Source{src}, Since: 24 * time.Hour, To: []string{"ana@example.com"}}

	rep, err := e.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || m.count() != 1 {
		t.Fatalf("first run sent %d (mailer saw %d), want 1; report %+v", rep.Sent, m.count(), rep)
	}
	// Two stored and in stories, the 50-hour-old one left out of the
	// first gather: every article read has its line.
	if err := rep.CheckAccount(); err != nil || rep.ArticlesRead != 3 || rep.Fates[digest.FateLead] != 2 || rep.Fates[digest.FateOutsideWindow] != 1 {
		t.Fatalf("first run account: %v, read %d, fates %v", err, rep.ArticlesRead, rep.Fates)
	}
	// The 50-hour-old item is outside the first gather's recency window.
	if rep.ArticlesNew != 2 || rep.Stories != 2 || rep.SummariesNew != 2 {
		t.Fatalf("first run: new=%d stories=%d summaries=%d, want 2/2/2", rep.ArticlesNew, rep.Stories, rep.SummariesNew)
	}
	first := m.sent[0]
	if first.To != "ana@example.com" || !strings.Contains(first.Text, "Story 1") || !strings.Contains(first.Text, "Story 2") {
		t.Fatalf("message = %+v", first)
	}
	wantID := e.MessageID("ana@example.com", "2026-11-27", 0)
	if first.MessageID != wantID {
		t.Fatalf("Message-ID %q, want deterministic %q", first.MessageID, wantID)
	}

	// Same day again: nothing sent, the ledger says why, no new summaries.
	now = t0.Add(time.Hour)
	rep, err = e.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 0 || rep.AlreadySent != 1 || m.count() != 1 {
		t.Fatalf("second run: sent=%d already=%d mailer=%d, want 0/1/1", rep.Sent, rep.AlreadySent, m.count())
	}
	if err := rep.CheckAccount(); err != nil {
		t.Fatal(err)
	}
	// Nothing new and Ana has today's edition: no stories made at all
	// (TestEngine_Run_NothingNewNobodyDue).
	if rep.SummariesNew != 0 || rep.SummariesCached != 0 || sum.calls.Load() != 2 {
		t.Fatalf("second run summaries new=%d cached=%d calls=%d, want 0/0/2", rep.SummariesNew, rep.SummariesCached, sum.calls.Load())
	}

	// --force sends again with a new Message-ID.
	opts.Force = true
	rep, err = e.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 || m.count() != 2 {
		t.Fatalf("forced run sent %d, want 1", rep.Sent)
	}
	if m.sent[1].MessageID == first.MessageID || !strings.Contains(m.sent[1].MessageID, ".r1@") {
		t.Fatalf("forced resend reused Message-ID %q", m.sent[1].MessageID)
	}
	d, err := db.DeliveryFor(ctx, "ana@example.com", "2026-11-27")
	if err != nil || d.Status != digest.DeliverySent || d.Generation != 1 {
		t.Fatalf("ledger row = %+v, %v", d, err)
	}
}

func TestEngine_Run_NothingNew(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, m := newEngine(t, db, &now)
	rep, err := e.Run(context.Background(), digest.RunOptions{
		Sources: []digest.Source{staticSource("empty")}, To: []string{"ana@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.count() != 0 || rep.Sent != 0 {
		t.Fatalf("sent %d messages with no articles", m.count())
	}
	if len(rep.Notes) == 0 || !strings.HasPrefix(rep.Notes[0], "nothing new since") {
		t.Fatalf("notes = %v, want 'nothing new since …'", rep.Notes)
	}
}

// countingClusterer is oneStoryEach counting its calls.
type countingClusterer struct {
	oneStoryEach
	calls atomic.Int64
}

func (c *countingClusterer) Cluster(ctx context.Context, as []digest.Article) ([]digest.Story, error) {
	c.calls.Add(1)
	return c.oneStoryEach.Cluster(ctx, as)
}

// TestEngine_Run_NothingNewNobodyDue: a run that gathers nothing new when
// every subscriber has today's edition clusters and summarises nothing;
// a new subscriber, a new article or --force brings the work back.
func TestEngine_Run_NothingNewNobodyDue(t *testing.T) {
	db := memstore.New()
	now := t0
	e, sum, m := newEngine(t, db, &now)
	cl := &countingClusterer{}
	e.Clusterer = cl
	ctx := context.Background()
	for _, sub := range []digest.Subscriber{
		{Email: "ana@example.com", TimeZone: "UTC", SendTime: "07:00"},
		{Email: "bo@example.com", TimeZone: "Asia/Tokyo", SendTime: "07:00", Frequency: digest.FrequencyWeekdays},
		// 27 November 2026 is a Friday: no weekly edition on Mondays.
		{Email: "cy@example.com", TimeZone: "UTC", SendTime: "07:00", Frequency: "weekly:mon"},
	} {
		sub.Status = digest.StatusActive
		if _, err := db.AddSubscriber(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	articles := []digest.Article{article(1, t0.Add(-time.Hour)), article(2, t0.Add(-2*time.Hour))}
	src := &fakeSource{id: "src", fetch: func(context.Context, digest.SourceState) (digest.FetchResult, error) {
		return digest.FetchResult{Articles: append([]digest.Article(nil), articles...)}, nil
	}}
	run := func(force bool) digest.Report {
		t.Helper()
		rep, err := e.Run(ctx, digest.RunOptions{Sources: []digest.Source{src}, Since: 24 * time.Hour, Force: force})
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.CheckAccount(); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	calls := func() (int64, int64) { return cl.calls.Load(), sum.calls.Load() }

	rep := run(false)
	if rep.Sent != 2 || rep.NotToday != 1 {
		t.Fatalf("first run: sent %d, not today %d, want 2 and 1", rep.Sent, rep.NotToday)
	}
	if c, s := calls(); c != 1 || s != 2 {
		t.Fatalf("first run: %d clusterings, %d summaries, want 1 and 2", c, s)
	}

	// Again an hour later: nothing new, nobody due.
	now = t0.Add(time.Hour)
	rep = run(false)
	if c, s := calls(); c != 1 || s != 2 {
		t.Errorf("second run: %d clusterings, %d summaries in all, want still 1 and 2", c, s)
	}
	if rep.Sent != 0 || rep.AlreadySent != 2 || rep.Recipients != 2 || rep.NotToday != 1 || rep.Stories != 0 || m.count() != 2 {
		t.Errorf("second run: sent %d, already %d, recipients %d, not today %d, stories %d, mailer %d; want 0/2/2/1/0/2",
			rep.Sent, rep.AlreadySent, rep.Recipients, rep.NotToday, rep.Stories, m.count())
	}
	if n := strings.Join(rep.Notes, "; "); !strings.Contains(n, "no stories made") {
		t.Errorf("notes %q do not say why no stories were made", n)
	}

	// A new subscriber is due: the stories are made, and sent to them only.
	if _, err := db.AddSubscriber(ctx, digest.Subscriber{Email: "di@example.com", TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive}); err != nil {
		t.Fatal(err)
	}
	rep = run(false)
	if c, _ := calls(); c != 2 || rep.Sent != 1 || rep.AlreadySent != 2 {
		t.Errorf("run with a new subscriber: %d clusterings in all, sent %d, already %d; want 2, 1, 2", c, rep.Sent, rep.AlreadySent)
	}

	// A new article, though nobody is due: the stories are made (nothing
	// is sent).
	articles = append(articles, article(3, t0.Add(-30*time.Minute)))
	rep = run(false)
	if c, _ := calls(); c != 3 || rep.ArticlesNew != 1 || rep.Sent != 0 {
		t.Errorf("run with a new article: %d clusterings in all, new %d, sent %d; want 3, 1, 0", c, rep.ArticlesNew, rep.Sent)
	}

	// --force sends again, so it makes the stories.
	rep = run(true)
	if c, _ := calls(); c != 4 || rep.Sent != 3 {
		t.Errorf("forced run: %d clusterings in all, sent %d; want 4 and 3", c, rep.Sent)
	}

	// A row waiting for a retry is due.
	d, err := db.DeliveryFor(ctx, "bo@example.com", "2026-11-27")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ResetDelivery(ctx, d.ID, now); err != nil {
		t.Fatal(err)
	}
	rep = run(false)
	if c, _ := calls(); c != 5 || rep.Sent != 1 {
		t.Errorf("run with a pending row: %d clusterings in all, sent %d; want 5 and 1", c, rep.Sent)
	}
	rep = run(false)
	if c, _ := calls(); c != 5 || rep.AlreadySent != 3 {
		t.Errorf("last run: %d clusterings in all, already %d; want still 5, and 3", c, rep.AlreadySent)
	}
}

func TestEngine_Gather_FailingSourceKeepsState(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, _ := newEngine(t, db, &now)
	ctx := context.Background()
	fail := false
	src := &fakeSource{id: "https://feeds.example.com/a.xml", fetch: func(_ context.Context, prev digest.SourceState) (digest.FetchResult, error) {
		if fail {
			return digest.FetchResult{}, errors.New("fetch feed: 503 Service Unavailable")
		}
		return digest.FetchResult{Articles: []digest.Article{article(1, t0)}, State: digest.SourceState{ETag: `"v1"`}}, nil
	}}
	good := staticSource("good", article(2, t0))
	var rep digest.Report
	if err := e.Gather(ctx, []digest.Source{src, good}, &rep); err != nil {
		t.Fatal(err)
	}
	fail = true
	for i := 0; i < 3; i++ {
		rep = digest.Report{}
		if err := e.Gather(ctx, []digest.Source{src, good}, &rep); err != nil {
			t.Fatal(err)
		}
	}
	st, err := db.SourceState(ctx, src.ID())
	if err != nil {
		t.Fatal(err)
	}
	if st.ConsecutiveFailures != 3 || st.ETag != `"v1"` || st.FirstGathered.IsZero() || !strings.Contains(st.LastError, "503") {
		t.Fatalf("state after failures = %+v", st)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], src.ID()) {
		t.Fatalf("report errors = %v, want one naming the source", rep.Errors)
	}
	var goodRep digest.SourceReport
	for _, s := range rep.Sources {
		if s.ID == "good" {
			goodRep = s
		}
	}
	if goodRep.Error != "" || goodRep.Articles != 1 {
		t.Fatalf("healthy source affected: %+v", goodRep)
	}
}

func TestEngine_Deliver_Failures(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, m := newEngine(t, db, &now)
	e.Config.BounceAfter = 1
	ctx := context.Background()
	stories := []digest.Story{{Key: "k", Articles: []digest.Article{article(1, t0.Add(-time.Hour))}}}

	sub, err := db.AddSubscriber(ctx, digest.Subscriber{Email: "bo@example.com", TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	// A temporary failure defers, and the retry goes out after the back-off.
	tries := 0
	m.send = func(digest.Message) error {
		tries++
		if tries == 1 {
			return errors.New("451 4.3.0 try again later")
		}
		return nil
	}
	out, err := e.Deliver(ctx, sub, "2026-11-27", stories, digest.DeliverOptions{})
	if err != nil || out != digest.OutcomeDeferred {
		t.Fatalf("first attempt = %s, %v; want deferred", out, err)
	}
	out, _ = e.Deliver(ctx, sub, "2026-11-27", stories, digest.DeliverOptions{})
	if out != digest.OutcomeInFlight {
		t.Fatalf("retry before back-off = %s, want in_flight", out)
	}
	now = now.Add(2 * time.Minute)
	out, err = e.Deliver(ctx, sub, "2026-11-27", stories, digest.DeliverOptions{})
	if err != nil || out != digest.OutcomeSent || m.count() != 1 {
		t.Fatalf("retry = %s, %v (sent %d); want sent once", out, err, m.count())
	}

	// A permanent failure is final and bounces the subscriber.
	m.send = func(digest.Message) error { return fmt.Errorf("550 5.1.1 no such user: %w", digest.ErrPermanent) }
	out, err = e.Deliver(ctx, sub, "2026-11-28", stories, digest.DeliverOptions{Since: t0.Add(-24 * time.Hour)})
	if err != nil || out != digest.OutcomeFailed {
		t.Fatalf("permanent = %s, %v; want failed", out, err)
	}
	d, _ := db.DeliveryFor(ctx, "bo@example.com", "2026-11-28")
	if d.Status != digest.DeliveryFailed || !strings.Contains(d.LastError, "550") {
		t.Fatalf("ledger row = %+v", d)
	}
	got, _ := db.Subscriber(ctx, sub.ID)
	if got.Status != digest.StatusBounced {
		t.Fatalf("subscriber status = %s, want bounced", got.Status)
	}
	now = now.Add(time.Hour)
	out, _ = e.Deliver(ctx, sub, "2026-11-28", stories, digest.DeliverOptions{})
	if out != digest.OutcomeAlreadySent {
		t.Fatalf("permanent failure retried: %s", out)
	}
}

// TestEngine_Deliver_Concurrent runs many engines on one store delivering
// to the same recipients at once: each (recipient, date) goes out once.
func TestEngine_Deliver_Concurrent(t *testing.T) {
	db := memstore.New()
	now := t0
	ctx := context.Background()
	var sent sync.Map
	var dups atomic.Int64
	stories := []digest.Story{{Key: "k", Articles: []digest.Article{article(1, t0.Add(-time.Hour))}}}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		e, _, m := newEngine(t, db, &now)
		m.send = func(msg digest.Message) error {
			if _, loaded := sent.LoadOrStore(msg.MessageID, true); loaded {
				dups.Add(1)
			}
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				sub := digest.Subscriber{Email: fmt.Sprintf("r%d@example.com", i), TimeZone: "UTC"}
				if _, err := e.Deliver(ctx, sub, "2026-11-27", stories, digest.DeliverOptions{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	sent.Range(func(any, any) bool { n++; return true })
	if n != 25 || dups.Load() != 0 {
		t.Fatalf("distinct messages %d (want 25), duplicates %d (want 0)", n, dups.Load())
	}
}

// TestEngine_Run_WideWindowOnNewSource: a run asking for more than the
// first-gather recency window (digest now --since 240h on a new feed) gets
// the older items it asked for.
func TestEngine_Run_WideWindowOnNewSource(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, m := newEngine(t, db, &now)
	src := staticSource("feed", article(1, t0.Add(-100*time.Hour)), article(2, t0.Add(-300*time.Hour)))
	rep, err := e.Run(context.Background(), digest.RunOptions{
		Sources: []digest.Source{src}, Since: 240 * time.Hour, To: []string{"a@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ArticlesNew != 1 || rep.Stories != 1 || m.count() != 1 || !strings.Contains(m.sent[0].Text, "Story 1") {
		t.Fatalf("new=%d stories=%d sent=%d, want the 100-hour-old item only", rep.ArticlesNew, rep.Stories, m.count())
	}
}

type slowSummarizer struct {
	countingSummarizer
	release chan struct{}
}

func (s *slowSummarizer) Summarize(ctx context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	<-s.release
	return s.countingSummarizer.Summarize(ctx, req)
}

// TestEngine_Summary_OneCallForConcurrentRequests: a deliver job building
// its story list while the summarise job for the same story runs shares
// that job's call instead of paying for a second one.
func TestEngine_Summary_OneCallForConcurrentRequests(t *testing.T) {
	db := memstore.New()
	sum := &slowSummarizer{release: make(chan struct{})}
	e := &digest.Engine{Store: db, Summarizer: sum, Config: digest.DefaultConfig()}
	req := digest.SummaryRequest{Title: "T", Text: "Duties rise. Officials said so."}
	var wg sync.WaitGroup
	var fresh atomic.Int32
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, cached, err := e.Summary(context.Background(), sum, req)
			if err != nil {
				t.Error(err)
			}
			if !cached {
				fresh.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the callers queue on the one call
	close(sum.release)
	wg.Wait()
	if n := sum.calls.Load(); n != 1 {
		t.Fatalf("summariser called %d times for one story, want 1", n)
	}
	// The summary was made once, so exactly one caller reports it as new
	// (the run report and digest_summaries_total count it once).
	if n := fresh.Load(); n != 1 {
		t.Fatalf("%d callers reported the summary as new, want 1", n)
	}
}

// versionedSummarizer is countingSummarizer under another version (a new
// model or prompt).
type versionedSummarizer struct {
	*countingSummarizer
	version string
}

func (s versionedSummarizer) Version() string { return s.version }

// TestEngine_Summary_CacheByHashAndVersion: a summary made once is read from
// the store's cache afterwards, by another engine on the same store too
// (a restart, a second replica), and a new summariser version makes a new
// one.
func TestEngine_Summary_CacheByHashAndVersion(t *testing.T) {
	db := memstore.New()
	sum := &countingSummarizer{}
	req := digest.SummaryRequest{Title: "T", Text: "Duties rise. Officials said so."}
	summarise := func(sum digest.Summarizer) (digest.Summary, bool) {
		t.Helper()
		e := &digest.Engine{Store: db, Summarizer: sum, Config: digest.DefaultConfig()} // a fresh engine shares nothing in memory
		s, cached, err := e.Summary(t.Context(), sum, req)
		if err != nil {
			t.Fatal(err)
		}
		return s, cached
	}
	first, cached := summarise(sum)
	if cached || first.Text != "Duties rise." || first.Version != "count-v1" {
		t.Fatalf("first summary %+v, cached %v; want a new one of count-v1", first, cached)
	}
	if again, cached := summarise(sum); !cached || again.Text != first.Text || sum.calls.Load() != 1 {
		t.Fatalf("second summary %+v, cached %v, %d calls; want the cached one and 1 call", again, cached, sum.calls.Load())
	}
	if v2, cached := summarise(versionedSummarizer{sum, "count-v2"}); cached || v2.Version != "count-v2" || sum.calls.Load() != 2 {
		t.Fatalf("new version: %+v, cached %v, %d calls; want a new summary and 2 calls", v2, cached, sum.calls.Load())
	}
}

// TestEngine_Gather_OldItemNotNewOnRerun: an item older than the recency
// window is left out on every gather, not only the first, so a re-run with
// nothing new reports nothing new; each source's gather time is reported.
func TestEngine_Gather_OldItemNotNewOnRerun(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, _ := newEngine(t, db, &now)
	ctx := context.Background()
	src := staticSource("src-a", article(1, t0.Add(-time.Hour)), article(2, t0.Add(-50*time.Hour)))
	for run := 1; run <= 2; run++ {
		var rep digest.Report
		if err := e.Gather(ctx, []digest.Source{src}, &rep); err != nil {
			t.Fatal(err)
		}
		wantNew := 1
		if run == 2 {
			wantNew = 0
		}
		sr := rep.Sources[0]
		if sr.New != wantNew || sr.Old != 1 {
			t.Errorf("run %d: new %d, old %d; want new %d, old 1", run, sr.New, sr.Old, wantNew)
		}
		if sr.Duration <= 0 {
			t.Errorf("run %d: source gather time %s, want > 0", run, sr.Duration)
		}
		now = now.Add(10 * time.Minute)
	}
}

// TestEngine_Gather_CountsFailedHosts: the run's report counts each failed
// host once however many sources met it, and sums the skipped requests,
// those of a source that failed included.
func TestEngine_Gather_CountsFailedHosts(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, _ := newEngine(t, db, &now)
	a := &fakeSource{id: "a", fetch: func(context.Context, digest.SourceState) (digest.FetchResult, error) {
		return digest.FetchResult{Articles: []digest.Article{article(1, t0)}, HostsFailed: []string{"gone.example", "tls.example:443"}, Skipped: 4}, nil
	}}
	b := &fakeSource{id: "b", fetch: func(context.Context, digest.SourceState) (digest.FetchResult, error) {
		return digest.FetchResult{HostsFailed: []string{"gone.example"}, Skipped: 1}, errors.New(`fetch "http://gone.example/feed": not tried`)
	}}
	var rep digest.Report
	if err := e.Gather(context.Background(), []digest.Source{a, b, staticSource("c", article(2, t0))}, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.HostsFailed != 2 || rep.FetchesSkipped != 5 {
		t.Errorf("report: %d hosts failed, %d fetches skipped; want 2, 5", rep.HostsFailed, rep.FetchesSkipped)
	}
	if len(rep.Sources) != 3 || rep.Sources[0].HostsFailed != 2 || rep.Sources[0].FetchesSkipped != 4 || rep.Sources[1].FetchesSkipped != 1 {
		t.Errorf("sources: %+v", rep.Sources)
	}
	if note := strings.Join(rep.Notes, "\n"); !strings.Contains(note, "2 hosts failed") || !strings.Contains(note, "gone.example, tls.example:443") || !strings.Contains(note, "5 later requests") {
		t.Errorf("notes %q", rep.Notes)
	}
}

// The digest lead, end to end through the engine with the deterministic
// stub summariser: asked for only when configured, written from the run's
// summaries, and in every message of the run.
func TestEngine_Run_LeadWithStub(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("lead=%v", on), func(t *testing.T) {
			db := memstore.New()
			now := t0
			m := &recordingMailer{}
			cfg := digest.DefaultConfig()
			cfg.Lead = on
			e := &digest.Engine{
				Store: db, Clusterer: oneStoryEach{}, Summarizer: summarize.Stub{}, Renderer: textRenderer{}, Mailer: m,
				Now: func() time.Time { return now }, Config: cfg,
			}
			src := staticSource("src-a", article(1, t0.Add(-time.Hour)), article(2, t0.Add(-2*time.Hour)))
			rep, err := e.Run(context.Background(), digest.RunOptions{
				Sources: []digest.Source{src}, Since: 24 * time.Hour, To: []string{"ana@example.com", "ben@example.com"},
			})
			if err != nil || rep.Sent != 2 {
				t.Fatalf("sent %d, err %v", rep.Sent, err)
			}
			for _, msg := range m.sent {
				first, _, _ := strings.Cut(msg.Text, "\n")
				hasLead := strings.HasPrefix(first, "Today: ")
				if hasLead != on {
					t.Errorf("lead %v: message opens with %q", on, first)
				}
				if on && (!strings.Contains(first, "Story 1") || !strings.Contains(first, "Story 2")) {
					t.Errorf("lead %q does not name the day's stories", first)
				}
				// The stub's summary is the article's first sentence.
				if !strings.Contains(msg.Text, "Story 1: Tariff story number 1 was announced by the ministry.") {
					t.Errorf("stub summary missing from %q", msg.Text)
				}
			}
		})
	}
}

// stallingRenderer renders as textRenderer after calling stall: a process
// starved between its claim and the relay.
type stallingRenderer struct{ stall func() }

func (r stallingRenderer) Render(ed digest.Edition) (digest.Message, error) {
	r.stall()
	return textRenderer{}.Render(ed)
}

// A send whose lease ran out while it rendered must not reach the relay:
// another worker may already have taken the row over. The row stays
// leased, and the next claim after the lease sends it once.
func TestEngine_Deliver_LeaseOutBeforeRelay(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, m := newEngine(t, db, &now)
	stall := true
	e.Renderer = stallingRenderer{stall: func() {
		if stall {
			now = now.Add(e.Config.Lease) // the whole lease passes
		}
	}}
	ctx := context.Background()
	stories := []digest.Story{{Key: "k", Articles: []digest.Article{article(1, t0.Add(-time.Hour))}}}
	sub, err := db.AddSubscriber(ctx, digest.Subscriber{Email: "lea@example.com", TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Deliver(ctx, sub, "2026-11-27", stories, digest.DeliverOptions{})
	if err != nil || out != digest.OutcomeInFlight || m.count() != 0 {
		t.Fatalf("stalled past the lease = %s, %v (sent %d); want in_flight, nothing sent", out, err, m.count())
	}
	d, err := db.Delivery(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != digest.DeliverySending || d.Attempts != 1 {
		t.Fatalf("row after the stalled send = %s, %d attempts; want still sending, 1 attempt", d.Status, d.Attempts)
	}
	stall = false
	now = now.Add(time.Second) // past the lease
	out, err = e.Deliver(ctx, sub, "2026-11-27", stories, digest.DeliverOptions{})
	if err != nil || out != digest.OutcomeSent || m.count() != 1 {
		t.Fatalf("after the lease = %s, %v (sent %d); want sent once", out, err, m.count())
	}
}

// A send cut short by the caller's context (a deliver job's deadline, a
// stop) is no failure of the relay: its claim, and those of the batch's
// deliveries not yet sent, go back pending and due with no attempt
// counted, so the next try sends them at once instead of after RetryBase.
// A run of `digest now` beside `digest serve` waited out that back-off
// (~110 s) when serve's batch job outran its timeout under load.
func TestEngine_Deliver_CutShortByContext(t *testing.T) {
	stories := []digest.Story{{Key: "k", Articles: []digest.Article{article(1, t0.Add(-time.Hour))}}}
	for _, tc := range []struct {
		name    string
		n       int
		deliver func(ctx context.Context, e *digest.Engine, subs []digest.Subscriber) []digest.DeliverResult
	}{
		{"Deliver", 1, func(ctx context.Context, e *digest.Engine, subs []digest.Subscriber) []digest.DeliverResult {
			out, err := e.Deliver(ctx, subs[0], "2026-11-27", stories, digest.DeliverOptions{})
			return []digest.DeliverResult{{Outcome: out, Err: err}}
		}},
		{"DeliverBatch", 3, func(ctx context.Context, e *digest.Engine, subs []digest.Subscriber) []digest.DeliverResult {
			return e.DeliverBatch(ctx, subs, "2026-11-27", stories, digest.DeliverOptions{}, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := memstore.New()
			now := t0
			e, _, m := newEngine(t, db, &now)
			var subs []digest.Subscriber
			for i := range tc.n {
				sub, err := db.AddSubscriber(context.Background(), digest.Subscriber{Email: fmt.Sprintf("r%d@example.com", i),
					TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive})
				if err != nil {
					t.Fatal(err)
				}
				subs = append(subs, sub)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The last message but one goes out; the deadline passes while
			// the next waits for a connection (mail.Sender then returns
			// the context's error).
			tries := 0
			m.send = func(digest.Message) error {
				tries++
				if tries == max(1, tc.n-1) {
					cancel()
				}
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("send message: %w", err)
				}
				return nil
			}
			res := tc.deliver(ctx, e, subs)
			sent := m.count()
			for i, r := range res {
				if i < sent {
					continue
				}
				if r.Outcome != digest.OutcomeDeferred || !errors.Is(r.Err, context.Canceled) {
					t.Errorf("delivery %d cut short = %s, %v; want deferred, context canceled", i, r.Outcome, r.Err)
				}
				d, err := db.DeliveryFor(context.Background(), subs[i].Email, "2026-11-27")
				if err != nil {
					t.Fatal(err)
				}
				if d.Status != digest.DeliveryPending || d.Attempts != 0 || d.LastError != "" || !d.NextAttempt.IsZero() {
					t.Errorf("row cut short = %s, %d attempts, next attempt %s, error %q; want pending and due, no attempt, no error",
						d.Status, d.Attempts, d.NextAttempt, d.LastError)
				}
			}
			// The next try, at the same instant, sends the rest.
			m.send = nil
			for i, r := range tc.deliver(context.Background(), e, subs) {
				if want := map[bool]digest.Outcome{true: digest.OutcomeAlreadySent, false: digest.OutcomeSent}[i < sent]; r.Outcome != want || r.Err != nil {
					t.Errorf("delivery %d on the next try = %s, %v; want %s", i, r.Outcome, r.Err, want)
				}
			}
			if m.count() != tc.n {
				t.Errorf("%d messages sent, want %d", m.count(), tc.n)
			}
		})
	}
}

// besideClusterer is oneStoryEach recording whether RunOptions.Beside had
// finished when clustering began.
type besideClusterer struct {
	oneStoryEach
	done     *atomic.Bool
	afterRun atomic.Bool
}

func (c *besideClusterer) Cluster(ctx context.Context, as []digest.Article) ([]digest.Story, error) {
	c.afterRun.Store(c.done.Load())
	return c.oneStoryEach.Cluster(ctx, as)
}

// TestEngine_Run_Beside: RunOptions.Beside runs once, with the run's
// context, and has finished before the stories are made (digest now's
// list bookkeeping, which the ranker's source weights read).
func TestEngine_Run_Beside(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, _ := newEngine(t, db, &now)
	var done atomic.Bool
	var calls atomic.Int64
	cl := &besideClusterer{done: &done}
	e.Clusterer = cl
	src := &fakeSource{id: "src", fetch: func(context.Context, digest.SourceState) (digest.FetchResult, error) {
		return digest.FetchResult{Articles: []digest.Article{article(1, t0.Add(-time.Hour))}}, nil
	}}
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "run")
	_, err := e.Run(ctx, digest.RunOptions{
		Sources: []digest.Source{src}, To: []string{"ana@example.com"},
		Beside: func(ctx context.Context) {
			if ctx.Value(key{}) != "run" {
				t.Error("Beside did not get the run's context")
			}
			calls.Add(1)
			done.Store(true)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("Beside ran %d times, want 1", calls.Load())
	}
	if !cl.afterRun.Load() {
		t.Error("the stories were made before Beside had finished")
	}
}

// TestEngine_Run_Gathering: RunOptions.Gathering is called once when the
// gather stores new articles, from any number of sources, and not at all
// when nothing is new.
func TestEngine_Run_Gathering(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, _ := newEngine(t, db, &now)
	var sources []digest.Source
	for i := range 4 {
		sources = append(sources, &fakeSource{id: fmt.Sprintf("src%d", i), fetch: func(context.Context, digest.SourceState) (digest.FetchResult, error) {
			return digest.FetchResult{Articles: []digest.Article{article(i+1, t0.Add(-time.Hour))}}, nil
		}})
	}
	var calls atomic.Int64
	opts := digest.RunOptions{Sources: sources, To: []string{"ana@example.com"}, Gathering: func() { calls.Add(1) }}
	if _, err := e.Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("Gathering called %d times on a run with new articles, want 1", calls.Load())
	}
	calls.Store(0)
	if _, err := e.Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Errorf("Gathering called %d times on a run with nothing new, want 0", calls.Load())
	}
}

// listingStore is a memstore that can list every source's state, as
// store.DB does, and counts the reads of states.
type listingStore struct {
	*memstore.Store
	lists, reads atomic.Int32
	listErr      error
}

func (s *listingStore) SourceStates(ctx context.Context) ([]digest.SourceState, error) {
	s.lists.Add(1)
	if s.listErr != nil {
		return nil, s.listErr
	}
	var out []digest.SourceState
	for _, id := range []string{"a", "b", "c", "gone"} {
		st, err := s.Store.SourceState(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.ETag != "" {
			out = append(out, st)
		}
	}
	return out, nil
}

func (s *listingStore) SourceState(ctx context.Context, id string) (digest.SourceState, error) {
	s.reads.Add(1)
	return s.Store.SourceState(ctx, id)
}

// TestEngine_Gather_ReadsStatesAtOnce: a gather of several sources reads
// every source's state in one listing when the store has one, and each
// source still gets its own validators (a new source none); a failed
// listing falls back to a read per source.
func TestEngine_Gather_ReadsStatesAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name               string
		listErr            error
		wantLists, wantRds int32
	}{
		{"listing", nil, 1, 0},
		{"listing fails", errors.New("database is locked"), 1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := &listingStore{Store: memstore.New(), listErr: tc.listErr}
			for _, id := range []string{"a", "b", "gone"} {
				if err := db.Store.SaveSourceState(ctx, digest.SourceState{SourceID: id, ETag: `"` + id + `"`}); err != nil {
					t.Fatal(err)
				}
			}
			now := t0
			e, _, _ := newEngine(t, db, &now)
			var mu sync.Mutex
			got := map[string]string{}
			var srcs []digest.Source
			for _, id := range []string{"a", "b", "c", "d"} {
				srcs = append(srcs, &fakeSource{id: id, fetch: func(_ context.Context, prev digest.SourceState) (digest.FetchResult, error) {
					mu.Lock()
					got[id] = prev.SourceID + " " + prev.ETag
					mu.Unlock()
					return digest.FetchResult{NotModified: true}, nil
				}})
			}
			var rep digest.Report
			if err := e.Gather(ctx, srcs, &rep); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"a": `a "a"`, "b": `b "b"`, "c": "c ", "d": "d "}
			if !maps.Equal(got, want) {
				t.Errorf("states the sources were fetched with = %q, want %q", got, want)
			}
			if l, r := db.lists.Load(), db.reads.Load(); l != tc.wantLists || r != tc.wantRds {
				t.Errorf("%d listings and %d reads of one state, want %d and %d", l, r, tc.wantLists, tc.wantRds)
			}
		})
	}
}
