package queue

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// TestBatcher_Ranges checks that deliveries are grouped by ID range and
// edition key, so that a plan repeated with some subscribers of one range
// gone rebuilds the other ranges' batches unchanged (and River's
// uniqueness by args drops them).
func TestBatcher_Ranges(t *testing.T) {
	batches := func(ds []DeliverArgs) [][]DeliverArgs {
		var b batcher
		for _, d := range ds {
			b.add(d)
		}
		b.closeRange()
		var out [][]DeliverArgs
		for _, p := range b.ready {
			ds, err := p.Args.(DeliverBatchArgs).deliveries()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ds)
		}
		return out
	}
	d := func(id int64, date string) DeliverArgs { return DeliverArgs{SubscriberID: id, Date: date} }
	all := []DeliverArgs{d(1, "2026-06-09"), d(1, "2026-06-10"), d(5, "2026-06-10"), d(99, "2026-06-10"),
		d(100, "2026-06-10"), d(150, "2026-06-10"), d(230, "2026-W24")}
	want := [][]DeliverArgs{
		{d(1, "2026-06-09")},
		{d(1, "2026-06-10"), d(5, "2026-06-10"), d(99, "2026-06-10")},
		{d(100, "2026-06-10"), d(150, "2026-06-10")},
		{d(230, "2026-W24")},
	}
	if got := batches(all); !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
	// Subscriber 5 sent meanwhile: only its range's batch changes.
	later := batches(append(append([]DeliverArgs{}, all[:2]...), all[3:]...))
	if !reflect.DeepEqual(later[2:], want[2:]) || reflect.DeepEqual(later[1], want[1]) {
		t.Fatalf("after one send, batches = %v", later)
	}
}

// TestQueue_RepeatPlanDuringBatch plans again while a batch is half sent:
// the rest of its range becomes a second batch job, which runs beside the
// first, and still every subscriber gets one message.
func TestQueue_RepeatPlanDuringBatch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{sink: mailtest.SinkOptions{Delay: 50 * time.Millisecond}})
	const n = 40 // one ID range: one batch job, sent one by one for at least 2 s
	e.addSubscribers(n, []string{"UTC"}, "07:00")
	r := e.replica("r", Config{Workers: 4, NoStartupJobs: true})
	var rep digest.Report
	if err := r.engine.Gather(ctx, []digest.Source{e.source}, &rep); err != nil {
		t.Fatal(err)
	}
	first, err := r.q.Plan(ctx, false)
	if err != nil || first.Enqueued != n {
		t.Fatalf("first plan: %+v, %v", first, err)
	}
	r.start(t)
	e.waitSent(5)
	again, err := r.q.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Enqueued == 0 || again.Enqueued >= n {
		t.Fatalf("repeat plan during the batch: %+v; want a second batch with the rest", again)
	}
	waitIdle(t, r.store.SQL(), time.Minute)
	if e.sink.Total() != n {
		t.Errorf("sink has %d messages, want %d", e.sink.Total(), n)
	}
	for id, k := range e.sink.IDs() {
		if k != 1 {
			t.Errorf("%s arrived %d times", id, k)
		}
	}
	sent := 0
	for _, d := range e.ledger() {
		if d.Status == digest.DeliverySent {
			sent++
		}
	}
	if sent != n {
		t.Errorf("%d sent in the ledger, want %d", sent, n)
	}
	t.Logf("second plan enqueued %d of %d", again.Enqueued, n)
}

// waitSent waits up to 30 s until the sink has received n messages.
func (e *env) waitSent(n int) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.sink.Total() < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d messages sent after 30 s", e.sink.Total(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestDeliverBatchArgs_Deliveries reads back a batch written as one string
// of IDs, one in the list form of builds before, and refuses a malformed
// ID by name.
func TestDeliverBatchArgs_Deliveries(t *testing.T) {
	d := func(id int64) DeliverArgs { return DeliverArgs{SubscriberID: id, Date: "2026-06-10"} }
	ds := []DeliverArgs{d(100), d(105), d(199)}
	b := newDeliverBatch(ds)
	if b.IDs != "100,105,199" || b.Date != "2026-06-10" {
		t.Fatalf("batch = %+v", b)
	}
	for _, args := range []DeliverBatchArgs{b, {Deliveries: ds}} {
		got, err := args.deliveries()
		if err != nil || !reflect.DeepEqual(got, ds) {
			t.Errorf("%+v: deliveries = %v, %v; want %v", args, got, err, ds)
		}
	}
	if _, err := (DeliverBatchArgs{Date: "2026-06-10", IDs: "100,x1"}).deliveries(); err == nil || !strings.Contains(err.Error(), `"x1"`) {
		t.Errorf("malformed ID: err = %v", err)
	}
}

// TestQueue_BatchLedgerStatements works one batch job of 60 deliveries and
// counts the store's statements: one read of the subscribers, one of the
// ledger and one claim for the batch, then a mark per message (fewer when
// several workers' marks share a statement). Delivered one at a time, each
// took six (subscriber, ledger row, last send, new row, claim, mark).
func TestQueue_BatchLedgerStatements(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{})
	const n = 60 // one ID range: one batch job
	e.addSubscribers(n, []string{"UTC"}, "07:00")
	r := e.replica("r", Config{Workers: 1, NoStartupJobs: true})
	var rep digest.Report
	if err := r.engine.Gather(ctx, []digest.Source{e.source}, &rep); err != nil {
		t.Fatal(err)
	}
	if res, err := r.q.Plan(ctx, false); err != nil || res.Enqueued != n {
		t.Fatalf("plan: %+v, %v", res, err)
	}
	before := r.store.Stats()
	r.start(t)
	waitIdle(t, r.store.SQL(), time.Minute)
	stmts := r.store.Stats().Statements - before.Statements
	if e.sink.Total() != n {
		t.Fatalf("sink has %d messages, want %d", e.sink.Total(), n)
	}
	// The batch's 3 + n, and the story cache's reads.
	if stmts > n+10 {
		t.Errorf("%d store statements for %d deliveries in one batch, want at most %d", stmts, n, n+10)
	}
	t.Logf("%d store statements for %d deliveries", stmts, n)
}

// TestQueue_BatchOutOfTime: a batch job that outlasts JobTimeout gives
// back the deliveries it had no time for, and they go out at once in jobs
// of their own, with no attempt counted and no error recorded, instead of
// waiting out the back-off of a relay's failure (RetryBase; the clock here
// stands still, so they would never come due). Under load the process test
// TestServe_NowBesideServe waited up to RetryBase+20 % (~2.4 min) for them.
func TestQueue_BatchOutOfTime(t *testing.T) { bothStores(t, testBatchOutOfTime) }

func testBatchOutOfTime(t *testing.T, opts envOptions) {
	ctx := context.Background()
	opts.sink = mailtest.SinkOptions{Delay: 50 * time.Millisecond}
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), opts)
	// One ID range: one batch job of 150 ms or more a message, six times
	// its timeout, while a job of one delivery ends well inside it (with
	// -race on a loaded machine too: a job cut short before its claim is
	// retried with River's back-off, 16 s at the second error).
	const n = 40
	e.addSubscribers(n, []string{"UTC"}, "07:00")
	r := e.replica("r", Config{Workers: 4, NoStartupJobs: true,
		JobTimeout: time.Second, RescueAfter: 10 * time.Second, MaxSnooze: time.Second})
	var rep digest.Report
	if err := r.engine.Gather(ctx, []digest.Source{e.source}, &rep); err != nil {
		t.Fatal(err)
	}
	if res, err := r.q.Plan(ctx, false); err != nil || res.Enqueued != n {
		t.Fatalf("plan: %+v, %v", res, err)
	}
	r.start(t)
	waitFor(t, 60*time.Second, "every digest at the relay", func() bool { return e.sink.Total() >= n })
	waitIdle(t, r.store.SQL(), 30*time.Second)
	var handed int
	if err := r.store.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deliver'`).Scan(&handed); err != nil {
		t.Fatal(err)
	}
	if handed == 0 {
		t.Fatalf("the batch handed no delivery off: it did not run out of time, and the test proves nothing")
	}
	for _, d := range e.ledger() {
		if d.Status != digest.DeliverySent || d.Attempts != 1 || d.LastError != "" {
			t.Errorf("%s: %s after %d attempts, error %q; want sent at the first attempt", d.Email, d.Status, d.Attempts, d.LastError)
		}
	}
	for id, k := range e.sink.IDs() {
		if k != 1 {
			t.Errorf("%s arrived %d times", id, k)
		}
	}
	t.Logf("%d of %d deliveries handed to jobs of their own after the batch ran out of time", handed, n)
}
