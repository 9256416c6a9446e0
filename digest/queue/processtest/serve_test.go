package processtest

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// workers is queue.DefaultConfig().Workers, the most deliver jobs one
// replica has in flight.
const workers = 8

// interruptScenario starts one replica sending to n due subscribers,
// interrupts it with sig once some messages have arrived, restarts it, and
// checks that every digest arrives: exactly once after SIGTERM, with at
// most the in-flight ones twice after SIGKILL.
func interruptScenario(t *testing.T, postgres bool, sig syscall.Signal) {
	const n = 300
	c := newCluster(t, clusterOptions{
		postgres: postgres,
		// ~60 ms a message, so the signal lands in the middle of sending.
		sink:    mailtest.SinkOptions{Delay: 20 * time.Millisecond},
		fakeNow: time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC),
		// A minute a second: the engine's 10-minute delivery lease on a
		// killed send runs out in 10 s.
		speed: 60,
	})
	c.importSubscribers(n, []string{"UTC"}, []string{"07:00"})
	db := c.openStore()
	p := c.serve("replica-1", "--shutdown-timeout", "20s")
	c.waitProgress(2*time.Minute, "the first 60 messages", 60, c.sink.Total)
	// The processes' clocks share the harness's epoch, so a row the stop
	// deferred was updated at or after sigAt in their time.
	sigAt := c.simNow()
	p.signal(sig)
	start := time.Now()
	err := p.wait(t, 45*time.Second)
	stopped := time.Since(start)
	atStop := c.sink.Total()
	counts := ledgerCounts(t, db)
	t.Logf("%s after %d messages: exited in %s (%v); ledger %v", sig, atStop, stopped.Round(time.Millisecond), err, counts)
	if sig == syscall.SIGTERM {
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want status 0", err)
		}
		if counts[digest.DeliverySending] != 0 {
			t.Errorf("%d deliveries left leased after a graceful stop (exited at simulated %s)", counts[digest.DeliverySending], c.simNow().Format(time.RFC3339Nano))
			// When each was claimed (lease_until less the lease) and last
			// written says whether the stop left it or a job before it.
			leased, err := db.Deliveries(context.Background(), digest.DeliverySending, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range leased {
				t.Logf("leased: %s attempts=%d lease_until=%s updated=%s last_error=%q",
					d.Email, d.Attempts, d.LeaseUntil.Format(time.RFC3339Nano), d.UpdatedAt.Format(time.RFC3339Nano), d.LastError)
			}
		}
		// In-flight sends must finish, not be cut off and deferred. A row
		// deferred before the signal is not the stop's doing: on a loaded
		// machine a send job can outrun the test's 3 s job timeout, and
		// that deferral (retried later, never lost) is counted apart.
		rows, err := db.Deliveries(context.Background(), digest.DeliveryPending, 1000)
		if err != nil {
			t.Fatal(err)
		}
		before := 0
		for _, d := range rows {
			switch {
			case d.Attempts == 0:
			case d.UpdatedAt.Before(sigAt):
				before++
			default:
				t.Errorf("graceful stop interrupted the send to %s at %s (signal at %s): %s",
					d.Email, d.UpdatedAt.Format(time.RFC3339Nano), sigAt.Format(time.RFC3339Nano), d.LastError)
			}
		}
		if before > 0 {
			t.Logf("%d deliveries deferred before the signal (job timeout under load), not by the stop", before)
		}
		if counts[digest.DeliverySent] != atStop {
			t.Errorf("SMTP server accepted %d messages but the ledger records %d sent", atStop, counts[digest.DeliverySent])
		}
	}
	if atStop >= n {
		t.Fatalf("all %d sent before the signal; the scenario proves nothing", n)
	}

	p2 := c.serve("replica-1-restarted", "--shutdown-timeout", "20s")
	c.waitProgress(2*time.Minute, "all digests sent and recorded", n, func() int {
		return min(len(c.sink.IDs()), ledgerCounts(t, db)[digest.DeliverySent])
	})
	p2.signal(syscall.SIGTERM)
	if err := p2.wait(t, 45*time.Second); err != nil {
		t.Errorf("restarted serve exited with %v", err)
	}
	ids := c.sink.IDs()
	dups := c.sink.Total() - len(ids)
	counts = ledgerCounts(t, db)
	t.Logf("%s: %d subscribers, %d distinct Message-IDs, %d messages at the SMTP server, %d duplicates (in flight at most %d); ledger %v",
		sig, n, len(ids), c.sink.Total(), dups, workers, counts)
	if len(ids) != n || counts[digest.DeliverySent] != n {
		t.Errorf("%d distinct messages and %d ledger rows sent, want %d", len(ids), counts[digest.DeliverySent], n)
	}
	switch sig {
	case syscall.SIGTERM:
		if dups != 0 {
			t.Errorf("%d duplicates after a graceful stop, want 0", dups)
		}
	default:
		if dups > workers {
			t.Errorf("%d duplicates after SIGKILL, more than the %d sends in flight", dups, workers)
		}
	}
	c.run("doctor")
}

// Issue 5 (b): SIGKILL in the middle of delivery, then restart.
func TestServe_SIGKILLPostgres(t *testing.T) { interruptScenario(t, true, syscall.SIGKILL) }

// Issue 5 (d): SIGTERM during sends loses nothing.
func TestServe_SIGTERMPostgres(t *testing.T) { interruptScenario(t, true, syscall.SIGTERM) }

// Issue 5 (e): the same on SQLite with one process.
func TestServe_SIGKILLSQLite(t *testing.T) { interruptScenario(t, false, syscall.SIGKILL) }

func TestServe_SIGTERMSQLite(t *testing.T) { interruptScenario(t, false, syscall.SIGTERM) }

// Issue 5 (a): three replicas × 500 subscribers × two simulated days on
// Postgres → exactly 1,000 deliveries and no Message-ID twice.
func TestServe_ThreeReplicasTwoDays(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three processes for about 90 s")
	}
	start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	c := newCluster(t, clusterOptions{
		postgres: true,
		fakeNow:  start,
		// Half an hour a second: two days in 96 s.
		speed:     1800,
		holdClock: true,
		// At 1800× the default 10-minute lease is a third of a real
		// second, far inside a 3 s job timeout: a send starved that long
		// outlives its lease and another replica sends the row again.
		// 100 simulated minutes (3.3 s real, 100 s while the clock is
		// slowed) keep the production order: job timeout < lease.
		env: []string{"DIGEST_EDITION_LEASE=100m"},
	})
	// At 00:00 UTC it is before 06:00 in every zone from UTC to UTC+5:45,
	// and day 3's first send (06:00 in Kathmandu) is at 00:15 UTC, so the
	// two days hold exactly two sends per subscriber.
	zones := []string{"UTC", "Europe/Berlin", "Europe/Moscow", "Asia/Dubai", "Asia/Kathmandu"}
	times := []string{"06:00", "07:30", "12:15", "18:45"}
	const n = 500
	c.importSubscribers(n, zones, times)
	slots := sendSlots(t, n, zones, times, start, 2)
	db := c.openStore()
	var ps []*proc
	for i := range 3 {
		ps = append(ps, c.serve(fmt.Sprintf("replica-%d", i+1)))
	}
	c.startClock() // set-up, however slow, cost no simulated time
	// The last send of day 2 is 18:45 UTC (42.75 h); stop at 46 h. The
	// clock is paced by the work: when the replicas fall more than an
	// hour of simulated time behind the sends due (a loaded machine starves
	// them), it runs thirty times slower until they have caught up. A
	// starved process must not see a whole simulated day go by between two
	// of its planner runs; what the test checks is what they send, not how
	// fast.
	stopAt := start.Add(46 * time.Hour)
	const lag = time.Hour
	slowed := 0
	var stalled time.Duration
	deadline := time.Now().Add(15 * time.Minute)
	for c.simNow().Before(stopAt) {
		if time.Now().After(deadline) {
			t.Fatalf("simulated hour 46 not reached in 15 minutes (at %s; ledger %v)", c.simNow().Sub(start), ledgerCounts(t, db))
		}
		now := c.simNow()
		if sent := ledgerCounts(t, db)[digest.DeliverySent]; sent < dueBy(slots, now.Add(-lag)) {
			c.slowClock()
			slowed++
			began := time.Now()
			want := dueBy(slots, c.simNow().Add(-lag/2))
			c.waitProgress(2*time.Minute, fmt.Sprintf("the sends due by simulated %s", c.simNow().Sub(start)), want, func() int {
				return ledgerCounts(t, db)[digest.DeliverySent]
			})
			stalled += time.Since(began)
			c.resumeClock()
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("clock slowed %d times, for %s in all, while the replicas caught up", slowed, stalled.Round(time.Millisecond))
	for _, p := range ps {
		p.signal(syscall.SIGTERM)
	}
	for _, p := range ps {
		if err := p.wait(t, 60*time.Second); err != nil {
			t.Errorf("%s exited with %v", p.name, err)
		}
	}
	counts := ledgerCounts(t, db)
	ids := c.sink.IDs()
	twice := 0
	for _, n := range ids {
		if n > 1 {
			twice++
		}
	}
	t.Logf("3 replicas × 500 subscribers × 2 simulated days: ledger %v, %d messages at the SMTP server, %d distinct Message-IDs, %d twice",
		counts, c.sink.Total(), len(ids), twice)
	if counts[digest.DeliverySent] != 1000 || c.sink.Total() != 1000 || len(ids) != 1000 || twice != 0 {
		t.Errorf("want exactly 1,000 deliveries, each Message-ID once")
	}
	rows, err := db.Deliveries(context.Background(), "", 2000)
	if err != nil {
		t.Fatal(err)
	}
	perSub := map[string]int{}
	for _, d := range rows {
		perSub[d.Email]++
	}
	for email, n := range perSub {
		if n != 2 {
			t.Errorf("%s: %d digests in two days", email, n)
		}
	}
	c.run("doctor")
}

// sendSlots lists the instants of every send importSubscribers' rows are
// due over days local dates from start's, sorted.
func sendSlots(t *testing.T, n int, zones, times []string, start time.Time, days int) []time.Time {
	t.Helper()
	var out []time.Time
	for i := range n {
		loc, err := time.LoadLocation(zones[i%len(zones)])
		if err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse("15:04", times[(i/len(zones))%len(times)])
		if err != nil {
			t.Fatal(err)
		}
		for d := range days {
			day := start.AddDate(0, 0, d)
			out = append(out, time.Date(day.Year(), day.Month(), day.Day(), at.Hour(), at.Minute(), 0, 0, loc))
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// dueBy counts the slots at or before t.
func dueBy(slots []time.Time, t time.Time) int {
	n, _ := slices.BinarySearchFunc(slots, t, func(s, t time.Time) int {
		if s.After(t) {
			return 1
		}
		return -1
	})
	return n
}
