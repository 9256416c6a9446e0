package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// simulateReplicas is simulate with the replicas planning concurrently, as
// their periodic jobs would on separate processes.
func simulateReplicas(t *testing.T, e *env, rs []*replica, start, end time.Time, step, gatherEvery time.Duration) (dup int) {
	t.Helper()
	ctx := context.Background()
	var lastGather time.Time
	for now := start; now.Before(end); now = now.Add(step) {
		e.clock.Set(now)
		if lastGather.IsZero() || now.Sub(lastGather) >= gatherEvery {
			var rep digest.Report
			if err := rs[0].engine.Gather(ctx, []digest.Source{e.source}, &rep); err != nil {
				t.Fatal(err)
			}
			lastGather = now
		}
		var wg sync.WaitGroup
		results := make([]PlanResult, len(rs))
		errs := make([]error, len(rs))
		for i, r := range rs {
			wg.Go(func() { results[i], errs[i] = r.q.Plan(ctx, false) })
		}
		wg.Wait()
		enqueued := 0
		for i := range rs {
			if errs[i] != nil {
				t.Fatalf("replica %d plan at %s: %v", i, now, errs[i])
			}
			enqueued += results[i].Enqueued
			dup += results[i].Duplicate
		}
		if enqueued > 0 {
			waitIdle(t, rs[0].store.SQL(), 2*time.Minute)
		}
	}
	return dup
}

// replicaScenario runs n replicas over subscribers spread across zones and
// send times for days simulated days and checks that each (subscriber,
// local date) was sent exactly once.
func replicaScenario(t *testing.T, postgres bool, replicas, subscribers, days int, zones []string) (sent int) {
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, start, envOptions{postgres: postgres})
	times := []string{"06:00", "07:30", "12:15", "18:45"}
	subs := make([]digest.Subscriber, 0, subscribers)
	for i := range subscribers {
		subs = append(subs, digest.Subscriber{
			Email: fmt.Sprintf("reader%04d@example.com", i), TimeZone: zones[i%len(zones)],
			SendTime: times[(i/len(zones))%len(times)], Status: digest.StatusActive,
		})
	}
	if _, _, err := e.admin.UpsertSubscribers(context.Background(), subs); err != nil {
		t.Fatal(err)
	}
	var rs []*replica
	for i := range replicas {
		r := e.replica(fmt.Sprintf("replica-%d", i+1), Config{Workers: 8, NoStartupJobs: true})
		r.start(t)
		rs = append(rs, r)
	}
	end := start.Add(time.Duration(days) * 24 * time.Hour)
	// Step through the window; a send due before start is caught up by the
	// first plan, so count every local date whose send time is before end.
	dup := simulateReplicas(t, e, rs, start, end, 15*time.Minute, 3*time.Hour)

	want := 0
	wantDates := map[string]map[string]bool{}
	for _, s := range subs {
		wantDates[s.Email] = map[string]bool{}
		for _, d := range localDates(start, end.Add(-15*time.Minute), s.Location()) {
			day, _ := time.ParseInLocation(time.DateOnly, d, s.Location())
			at, err := digest.SendAt(s, day.Add(12*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if at.Before(end.Add(-15*time.Minute)) || at.Equal(end.Add(-15*time.Minute)) {
				wantDates[s.Email][d] = true
				want++
			}
		}
	}
	rows := e.ledger()
	seen := map[string]bool{}
	for _, d := range rows {
		key := d.Email + " " + d.EditionDate
		if seen[key] {
			t.Errorf("two ledger rows for %s", key)
		}
		seen[key] = true
		if !wantDates[d.Email][d.EditionDate] {
			t.Errorf("unexpected delivery %s (%s)", key, d.Status)
		}
		if d.Status == digest.DeliverySent {
			sent++
		} else {
			t.Errorf("%s: status %s (%s)", key, d.Status, d.LastError)
		}
	}
	if sent != want {
		t.Errorf("%d deliveries sent, want %d", sent, want)
	}
	ids := e.sink.IDs()
	twice := 0
	for id, n := range ids {
		if n != 1 {
			twice++
			t.Errorf("Message-ID %s arrived %d times", id, n)
		}
	}
	if e.sink.Total() != want {
		t.Errorf("SMTP sink received %d messages, want %d", e.sink.Total(), want)
	}
	t.Logf("%d replicas × %d subscribers × %d days: %d sent, %d messages at the sink, %d distinct Message-IDs, %d twice, %d deliver jobs deduplicated across replicas",
		replicas, subscribers, days, sent, e.sink.Total(), len(ids), twice, dup)
	return sent
}

func TestQueue_ReplicasSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates two days")
	}
	// Zones from UTC-4 to UTC+12:45: some send times have passed at the
	// start, so the first plan catches up the day before's as well.
	replicaScenario(t, false, 3, 60, 2,
		[]string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Pacific/Chatham"})
}

// TestQueue_ReplicasPostgres is issue 5's scenario (a) in one process:
// three queues on one Postgres database, 500 subscribers, two simulated
// days, exactly 1,000 deliveries and no Message-ID twice.
func TestQueue_ReplicasPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates two days")
	}
	// At 00:00 UTC it is before 06:00 in every zone from UTC to UTC+5:45,
	// so two days hold exactly two send times per subscriber.
	sent := replicaScenario(t, true, 3, 500, 2,
		[]string{"UTC", "Europe/Berlin", "Europe/Moscow", "Asia/Dubai", "Asia/Kathmandu"})
	if sent != 1000 {
		t.Errorf("%d deliveries, want exactly 1,000", sent)
	}
}
