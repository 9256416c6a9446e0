package queue

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

func TestQueue_GatherPlanDeliver(t *testing.T) {
	ctx := context.Background()
	// 08:00 UTC: subscribers at 07:00 UTC are due, those at 09:00 are not.
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{})
	due := e.addSubscribers(20, []string{"UTC"}, "07:00")
	later := []digest.Subscriber{{Email: "late@example.com", TimeZone: "UTC", SendTime: "09:00", Status: digest.StatusActive}}
	if _, _, err := e.admin.UpsertSubscribers(ctx, later); err != nil {
		t.Fatal(err)
	}
	r := e.replica("r1", Config{Workers: 4})
	r.start(t) // enqueues gather → catch-up plan
	waitIdle(t, r.store.SQL(), 30*time.Second)

	if got := e.sink.Total(); got != len(due) {
		t.Fatalf("sink got %d messages, want %d", got, len(due))
	}
	for id, n := range e.sink.IDs() {
		if n != 1 {
			t.Errorf("message %s arrived %d times", id, n)
		}
	}
	for _, d := range e.ledger() {
		if d.Status != digest.DeliverySent || d.EditionDate != "2026-06-10" {
			t.Errorf("ledger row %s %s: status %s", d.Email, d.EditionDate, d.Status)
		}
		if d.Email == "late@example.com" {
			t.Errorf("subscriber not yet due was sent")
		}
	}
	// The gather queued one summary per story, made once; deliveries reused
	// the cache and clustered once between them.
	if got := e.sum.calls.Load(); got != 1 {
		t.Errorf("summariser called %d times, want 1", got)
	}
	if got := e.clus.calls.Load(); got != 2 {
		t.Errorf("clusterer called %d times, want 2 (gather + one story build for 20 deliveries)", got)
	}
	// The gather run accounts for every article it read.
	runs, err := r.store.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	gathers := 0
	for _, run := range runs {
		if run.Kind != "gather" {
			continue
		}
		gathers++
		lines, err := r.store.RunArticles(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		run.Report.Articles = lines
		if err := run.Report.CheckAccount(); err != nil || run.Report.ArticlesRead == 0 {
			t.Errorf("gather run %d: %d articles read, account %v", run.ID, run.Report.ArticlesRead, err)
		}
	}
	if gathers == 0 {
		t.Error("no gather run saved")
	}

	// A second plan at the same time adds nothing; at 09:00 the late one goes.
	res, err := r.q.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Due != 0 || res.Enqueued != 0 {
		t.Errorf("repeat plan: %+v, want none due (all %d sent) and none enqueued", res, len(due))
	}
	e.clock.Set(time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC))
	if err := r.q.EnqueuePlan(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, r.store.SQL(), 30*time.Second)
	if got := e.sink.Total(); got != len(due)+1 {
		t.Errorf("after 09:00 sink has %d messages, want %d", got, len(due)+1)
	}

	// Metrics come from the same run.
	srv := httptest.NewServer(r.metrics.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`digest_deliveries_total{status="sent"} 21`,
		`digest_summaries_total{backend="stub"} 1`,
		`digest_queue_jobs{state="available"} 0`,
		`digest_articles_new_total 1`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !strings.Contains(string(body), `digest_last_success_timestamp_seconds{kind="deliver"}`) {
		t.Errorf("no last success for deliver")
	}
}

// TestGather_NothingNewNotClusteredAgain: a gather that stores nothing new
// after one that queued every summary does not cluster the window again
// (and says so in its report); one that stores something new does, and so
// does one after summariesFresh, when the window has slid.
func TestGather_NothingNewNotClusteredAgain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{})
	e.source.same.Store(true)
	r := e.replica("r1", Config{Workers: 2})
	r.start(t)
	gather := func() {
		t.Helper()
		if err := r.q.EnqueueGather(ctx, false); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, r.store.SQL(), 30*time.Second)
	}
	waitIdle(t, r.store.SQL(), 30*time.Second)
	if got := e.clus.calls.Load(); got != 1 {
		t.Fatalf("first gather clustered %d times, want 1", got)
	}
	lastNotes := func() []string {
		t.Helper()
		runs, err := r.store.Runs(ctx, 1)
		if err != nil || len(runs) != 1 || runs[0].Kind != "gather" {
			t.Fatalf("last run %+v, %v", runs, err)
		}
		return runs[0].Report.Notes
	}
	skipped := func(notes []string) bool {
		return slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "nothing new since the summaries were last queued") })
	}

	e.clock.Set(e.clock.Now().Add(30 * time.Minute))
	gather()
	if got := e.clus.calls.Load(); got != 1 {
		t.Errorf("a gather with nothing new clustered again (%d calls, want 1)", got)
	}
	if notes := lastNotes(); !skipped(notes) {
		t.Errorf("its report's notes %q do not say why it did not cluster", notes)
	}

	e.source.same.Store(false) // a new article
	e.clock.Set(e.clock.Now().Add(30 * time.Minute))
	gather()
	if got := e.clus.calls.Load(); got != 2 {
		t.Errorf("a gather with a new article: %d clusterings in all, want 2", got)
	}
	if notes := lastNotes(); skipped(notes) {
		t.Errorf("a gather with a new article says it skipped: %q", notes)
	}

	e.source.same.Store(true)
	e.clock.Set(e.clock.Now().Add(summariesFresh + time.Minute))
	gather()
	if got := e.clus.calls.Load(); got != 3 {
		t.Errorf("a gather %v after the last queueing: %d clusterings in all, want 3", summariesFresh, got)
	}
	if got := e.sum.calls.Load(); got != 2 {
		t.Errorf("summariser called %d times, want 2 (one a story)", got)
	}
}

// TestNew_RiverClientErrorReturned: on SQLite, a River client that cannot be
// built is an error from New, not a queue with a nil client that panics
// when started.
func TestNew_RiverClientErrorReturned(t *testing.T) {
	e := newEnv(t, time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC), envOptions{})
	db := e.openStore()
	eng := &digest.Engine{Store: db, Config: digest.DefaultConfig()}
	cfg := DefaultConfig()
	cfg.ReplicaID = strings.Repeat("r", 200) // River refuses IDs over 100 characters
	q, err := New(cfg, Deps{Engine: eng, DB: db})
	if err == nil {
		q.Close()
		t.Fatal("New accepted a configuration River refuses; want the client's error")
	}
	if !strings.Contains(err.Error(), "river client") {
		t.Errorf("error %q does not name the River client", err)
	}
}
