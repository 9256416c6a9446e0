package queue

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// unrecordable is the real store whose MarkSent fails while down is set, as
// in a store outage that starts right after the relay's 250.
type unrecordable struct {
	digest.EngineStore
	down atomic.Bool
}

func (u *unrecordable) MarkSent(ctx context.Context, id int64, now time.Time, stories int) error {
	if u.down.Load() {
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return u.EngineStore.MarkSent(ctx, id, now, stories)
}

// TestQueue_SentButUnrecordedIsRecordedNotResent: deliveries the relay took
// while the store was down end sent once the store is back, through the
// deliver job's retry, without a second copy.
func TestQueue_SentButUnrecordedIsRecordedNotResent(t *testing.T) {
	bothStores(t, testSentButUnrecorded)
}

func testSentButUnrecorded(t *testing.T, opts envOptions) {
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), opts)
	subs := e.addSubscribers(4, []string{"UTC"}, "07:00")
	r := e.replica("r1", Config{Workers: 4})
	broken := &unrecordable{EngineStore: r.engine.Store}
	broken.down.Store(true)
	r.engine.Store = broken
	r.engine.Config.RecordRetry = 50 * time.Millisecond
	r.start(t)

	waitFor(t, 30*time.Second, "every digest at the relay", func() bool { return e.sink.Total() == len(subs) })
	for _, d := range e.ledger() {
		if d.Status != digest.DeliverySending {
			t.Fatalf("%s is %s during the outage, want sending", d.Email, d.Status)
		}
	}
	broken.down.Store(false)
	// River retries the failed deliver jobs (about a second later); the
	// engine records the earlier sends instead of sending again.
	waitIdle(t, r.store.SQL(), 60*time.Second)
	for _, d := range e.ledger() {
		if d.Status != digest.DeliverySent {
			t.Errorf("%s is %s after the outage, want sent", d.Email, d.Status)
		}
	}
	if got := e.sink.Total(); got != len(subs) {
		t.Errorf("relay got %d messages, want %d: an unrecorded send was repeated", got, len(subs))
	}
}

// TestQueue_PlanRecoversExpiredLeases: a row left sending past its lease
// whose job is gone (its replica died) is found by the planner and sent,
// so it is never stuck; doctor reports it until then.
func TestQueue_PlanRecoversExpiredLeases(t *testing.T) {
	bothStores(t, testPlanRecovers)
}

func testPlanRecovers(t *testing.T, opts envOptions) {
	ctx := context.Background()
	start := time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC)
	e := newEnv(t, start, opts)
	subs := e.addSubscribers(3, []string{"UTC"}, "07:00")
	r := e.replica("r1", Config{Workers: 2})
	r.start(t)
	waitIdle(t, r.store.SQL(), 30*time.Second)
	if got := e.sink.Total(); got != len(subs) {
		t.Fatalf("first pass sent %d, want %d", got, len(subs))
	}

	// A dead replica's row: claimed at 08:05, never recorded, no job left.
	stuck, err := e.admin.AddSubscriber(ctx, digest.Subscriber{Email: "stuck@example.com", TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.admin.EnsureDelivery(ctx, digest.Delivery{SubscriberID: stuck.ID, Email: stuck.Email, EditionDate: "2026-06-10",
		MessageID: r.engine.MessageID(stuck.Email, "2026-06-10", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.ClaimDelivery(ctx, d.ID, start.Add(5*time.Minute), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	// The ordinary plan leaves it to its (dead) lease holder.
	if _, err := r.q.Plan(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, r.store.SQL(), 30*time.Second)
	if got := e.sink.Total(); got != len(subs) {
		t.Fatalf("a live lease was taken over: %d messages", got)
	}

	e.clock.Set(start.Add(30 * time.Minute)) // past the lease
	problems, err := e.admin.Check(ctx, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Check != "sending_past_lease" {
		t.Fatalf("doctor = %+v, want one sending_past_lease problem", problems)
	}
	res, err := r.q.Plan(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Recovered != 1 {
		t.Fatalf("plan recovered %d rows, want 1 (%+v)", res.Recovered, res)
	}
	waitIdle(t, r.store.SQL(), 30*time.Second)
	got, err := e.admin.DeliveryFor(ctx, stuck.Email, "2026-06-10")
	if err != nil || got.Status != digest.DeliverySent {
		t.Fatalf("recovered row = %s, %v; want sent", got.Status, err)
	}
	if n := e.sink.Total(); n != len(subs)+1 {
		t.Errorf("relay has %d messages, want %d", n, len(subs)+1)
	}
	if problems, _ := e.admin.Check(ctx, e.clock.Now()); len(problems) != 0 {
		t.Errorf("doctor after recovery: %+v", problems)
	}
	// A second plan does not recover it again.
	if res, _ := r.q.Plan(ctx, false); res.Recovered != 0 {
		t.Errorf("second plan recovered %d", res.Recovered)
	}
}

// waitFor polls cond until it holds or the timeout ends.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bothStores runs test on SQLite, and on Postgres when
// DIGEST_TEST_POSTGRES_DSN is set (newEnv skips otherwise).
func bothStores(t *testing.T, test func(*testing.T, envOptions)) {
	t.Run("sqlite", func(t *testing.T) { test(t, envOptions{}) })
	t.Run("postgres", func(t *testing.T) { test(t, envOptions{postgres: true}) })
}
