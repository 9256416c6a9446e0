package queue

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// TestQueue_StopFinishesInFlight is issue 5's scenario (d) in process: a
// stop during sends lets the in-flight ones finish and be recorded, and a
// restarted replica sends the rest, each exactly once.
func TestQueue_StopFinishesInFlight(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{sink: mailtest.SinkOptions{Delay: 100 * time.Millisecond}})
	subs := e.addSubscribers(24, []string{"UTC"}, "07:00")
	r1 := e.replica("r1", Config{Workers: 4, ShutdownTimeout: 10 * time.Second})
	r1.start(t)
	e.waitSent(4)
	if err := r1.q.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	atStop := e.sink.Total()
	sent := 0
	for _, d := range e.ledger() {
		switch d.Status {
		case digest.DeliverySent:
			sent++
		case digest.DeliverySending:
			t.Errorf("%s left leased after a graceful stop", d.Email)
		}
	}
	if sent != atStop {
		t.Errorf("%d messages at the sink but %d recorded sent after stop", atStop, sent)
	}
	if atStop >= len(subs) {
		t.Fatalf("all %d sent before the stop took effect; the test proves nothing", atStop)
	}
	time.Sleep(300 * time.Millisecond)
	if e.sink.Total() != atStop {
		t.Errorf("%d messages sent after Stop returned", e.sink.Total()-atStop)
	}

	r2 := e.replica("r2", Config{Workers: 4})
	r2.start(t)
	waitIdle(t, r2.store.SQL(), 60*time.Second)
	if e.sink.Total() != len(subs) {
		t.Errorf("after restart the sink has %d messages, want %d", e.sink.Total(), len(subs))
	}
	for id, n := range e.sink.IDs() {
		if n != 1 {
			t.Errorf("%s arrived %d times", id, n)
		}
	}
	t.Logf("stopped with %d of %d sent, none leased; the restart sent the other %d", atStop, len(subs), len(subs)-atStop)
}

// TestQueue_DeferredSnoozesUntilRetry checks that a temporary SMTP failure
// puts the deliver job to sleep until the ledger's retry time on the
// injected clock, and that it is then sent once.
func TestQueue_DeferredSnoozesUntilRetry(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{sink: mailtest.SinkOptions{
		Rcpt: func(string) error {
			if refuse.Load() {
				return mailtest.Reply(451, "4.3.0 try again later")
			}
			return nil
		},
	}})
	e.addSubscribers(1, []string{"UTC"}, "07:00")
	r := e.replica("r1", Config{Workers: 2, MaxSnooze: 100 * time.Millisecond})
	r.start(t)
	var row digest.Delivery
	deadline := time.Now().Add(20 * time.Second)
	for {
		rows := e.ledger()
		if len(rows) == 1 && rows[0].Attempts >= 1 && rows[0].Status == digest.DeliveryPending {
			row = rows[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no deferred delivery: %+v", rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if row.NextAttempt.Sub(e.clock.Now()) < time.Minute {
		t.Fatalf("retry due at %s, want about 2 minutes after %s", row.NextAttempt, e.clock.Now())
	}
	refuse.Store(false)
	// The job wakes every MaxSnooze but the ledger is not due on the
	// injected clock: nothing is sent.
	time.Sleep(600 * time.Millisecond)
	if n := e.sink.Total(); n != 0 {
		t.Fatalf("sent %d before the retry time", n)
	}
	if rows := e.ledger(); rows[0].Attempts != row.Attempts {
		t.Errorf("attempts went from %d to %d before the retry time", row.Attempts, rows[0].Attempts)
	}
	e.clock.Set(row.NextAttempt.Add(time.Second))
	deadline = time.Now().Add(20 * time.Second)
	for e.sink.Total() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not sent after the retry time: %+v", e.ledger())
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitIdle(t, r.store.SQL(), 10*time.Second)
	if rows := e.ledger(); rows[0].Status != digest.DeliverySent || e.sink.Total() != 1 {
		t.Errorf("ledger %s, %d messages; want sent once", rows[0].Status, e.sink.Total())
	}
}

func TestDueDates(t *testing.T) {
	now := time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC)
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sub := func(at string, created time.Time) digest.Subscriber {
		return digest.Subscriber{TimeZone: "UTC", SendTime: at, CreatedAt: created}
	}
	tests := []struct {
		name    string
		sub     digest.Subscriber
		catchUp bool
		days    int
		want    []string
	}{
		{"due today", sub("07:00", old), false, 0, []string{"2026-06-10"}},
		{"not yet due", sub("09:00", old), false, 0, nil},
		{"catch-up with no days is today only", sub("07:00", old), true, 0, []string{"2026-06-10"}},
		{"catch-up two days, oldest first", sub("07:00", old), true, 2, []string{"2026-06-08", "2026-06-09", "2026-06-10"}},
		{"catch-up before today's time", sub("09:00", old), true, 1, []string{"2026-06-09"}},
		{"no catch-up before the subscriber existed", sub("07:00", time.Date(2026, 6, 9, 7, 30, 0, 0, time.UTC)), true, 3, []string{"2026-06-10"}},
		{"catch-up ignored without the flag", sub("07:00", old), false, 3, []string{"2026-06-10"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dueDates(tc.sub, tc.sub.Location(), now, tc.catchUp, tc.days)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := dueDates(sub("25:00", old), time.UTC, now, false, 0); err == nil {
		t.Error("invalid send time accepted")
	}
}

// TestQueue_CatchUpPlan checks the start-up plan after downtime: today's
// missed sends only by default, older ones when CatchUpDays is set.
func TestQueue_CatchUpPlan(t *testing.T) {
	for _, days := range []int{0, 2} {
		t.Run(fmt.Sprintf("CatchUpDays=%d", days), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{})
			// Subscribed a week before the downtime.
			e.clock.Set(time.Date(2026, 6, 3, 8, 0, 0, 0, time.UTC))
			e.addSubscribers(5, []string{"UTC"}, "07:00")
			e.clock.Set(time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC))
			r := e.replica("r1", Config{CatchUpDays: days})
			res, err := r.q.Plan(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			if want := 5 * (days + 1); res.Enqueued != want {
				t.Errorf("catch-up plan enqueued %d deliver jobs, want %d", res.Enqueued, want)
			}
			res, err = r.q.Plan(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			if res.Enqueued != 0 || res.Duplicate != 5 {
				t.Errorf("regular plan after catch-up: %+v, want 5 duplicates and nothing new", res)
			}
		})
	}
}

// TestQueue_PeriodicOncePerPeriod runs three replicas with a one-second
// plan schedule: only the elected leader enqueues, so plans are counted in
// seconds, not in seconds times replicas.
func TestQueue_PeriodicOncePerPeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for leader election")
	}
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{})
	var rs []*replica
	for i := range 3 {
		r := e.replica(fmt.Sprintf("r%d", i), Config{PlanSchedule: "@every 1s", NoStartupJobs: true})
		r.start(t)
		rs = append(rs, r)
	}
	start := time.Now()
	time.Sleep(6 * time.Second)
	var plans int
	if err := rs[0].store.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'plan'`).Scan(&plans); err != nil {
		t.Fatal(err)
	}
	secs := int(time.Since(start).Seconds())
	if plans == 0 || plans > secs+1 {
		t.Errorf("%d plan jobs in %d s with 3 replicas, want 1..%d (one leader)", plans, secs, secs+1)
	}
	t.Logf("%d plan jobs in %d s from 3 replicas", plans, secs)
}

func TestQueue_Ready(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC), envOptions{})
	db := e.openStore()
	q, err := New(Config{}, Deps{Engine: &digest.Engine{Store: db}, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Ready(ctx); err == nil {
		t.Error("ready before the job queue was migrated")
	}
	if err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Ready(ctx); err != nil {
		t.Errorf("not ready after migrating: %v", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"CRON_TZ", Config{GatherSchedule: "CRON_TZ=Asia/Tokyo 0 7 * * *"}, true},
		{"every", Config{PlanSchedule: "@every 30s"}, true},
		{"off", Config{GatherSchedule: "off"}, true},
		{"bad cron", Config{PlanSchedule: "every five minutes"}, false},
		{"bad zone", Config{GatherSchedule: "CRON_TZ=Mars/Olympus 0 7 * * *"}, false},
		{"negative catch-up", Config{CatchUpDays: -1}, false},
		{"rescue below job timeout", Config{JobTimeout: time.Minute, RescueAfter: 30 * time.Second}, false},
		{"short rescue derives gather timeout", Config{JobTimeout: 3 * time.Second, RescueAfter: 5 * time.Second}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
