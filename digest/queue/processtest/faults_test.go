package processtest

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// TestServe_RandomKills is issue 8's process scenario: SIGKILL `digest
// serve` at random points of a run (start-up gather, planning, sending)
// several times, then let it finish. Every digest arrives, duplicates stay
// within what was in flight at each kill, and `digest doctor` finds the
// store consistent.
func TestServe_RandomKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a process several times")
	}
	const n, kills = 400, 3
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	c := newCluster(t, clusterOptions{
		sink:    mailtest.SinkOptions{Delay: 20 * time.Millisecond},
		fakeNow: time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC),
		speed:   60,
	})
	c.importSubscribers(n, []string{"UTC"}, []string{"07:00"})
	db := c.openStore()
	start := time.Now()
	for i := range kills {
		p := c.serve(fmt.Sprintf("replica-run-%d", i))
		delay := time.Duration(rng.Int64N(int64(1500 * time.Millisecond)))
		time.Sleep(delay)
		before := c.sink.Total()
		p.signal(syscall.SIGKILL)
		_ = p.wait(t, 10*time.Second)
		t.Logf("kill %d after %s: %d messages at the server, ledger %v", i+1, delay.Round(time.Millisecond), before, ledgerCounts(t, db))
	}
	p := c.serve("replica-final")
	c.waitProgress(2*time.Minute, "all digests sent and recorded", n, func() int {
		return min(len(c.sink.IDs()), ledgerCounts(t, db)[digest.DeliverySent])
	})
	p.signal(syscall.SIGTERM)
	if err := p.wait(t, 45*time.Second); err != nil {
		t.Errorf("final serve exited with %v", err)
	}
	ids := c.sink.IDs()
	dups := c.sink.Total() - len(ids)
	t.Logf("seed %d: %d kills, %d subscribers, %d distinct messages, %d duplicates (bound %d), %s in all",
		seed, kills, n, len(ids), dups, kills*workers, time.Since(start).Round(time.Second))
	if len(ids) != n {
		t.Errorf("%d distinct messages, want %d", len(ids), n)
	}
	if dups > kills*workers {
		t.Errorf("%d duplicates, more than the %d sends that can be in flight across %d kills", dups, kills*workers, kills)
	}
	c.run("doctor")
}

// TestServe_NowBesideServe runs `digest now` while `digest serve` sends the
// same day's digests (issue 5 item 3): each subscriber still gets one.
func TestServe_NowBesideServe(t *testing.T) {
	const n = 100
	c := newCluster(t, clusterOptions{
		sink:    mailtest.SinkOptions{Delay: 5 * time.Millisecond},
		fakeNow: time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC),
		speed:   1,
	})
	c.importSubscribers(n, []string{"UTC"}, []string{"07:00"})
	db := c.openStore()
	p := c.serve("replica-1")
	start := time.Now()
	out := c.runWatched("now")
	took := time.Since(start)
	t.Logf("digest now took %s:\n%s", took.Round(time.Millisecond), tail(out, 20))
	c.waitProgress(2*time.Minute, "every subscriber's digest", n, func() int {
		return ledgerCounts(t, db)[digest.DeliverySent]
	})
	t.Logf("all %d sent %s after digest now began", n, time.Since(start).Round(time.Millisecond))
	logRetried(t, db)
	logWarnings(t, p)
	time.Sleep(2 * time.Second) // let any late second send show itself
	p.signal(syscall.SIGTERM)
	_ = p.wait(t, 45*time.Second)
	ids := c.sink.IDs()
	t.Logf("serve and now together: %d messages, %d distinct, ledger %v", c.sink.Total(), len(ids), ledgerCounts(t, db))
	if len(ids) != n || c.sink.Total() != n {
		t.Errorf("%d messages (%d distinct) for %d subscribers, want exactly one each", c.sink.Total(), len(ids), n)
	}
}
