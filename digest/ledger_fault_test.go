package digest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// brokenLedger is the real store with ledger writes that fail on demand,
// as they do in a store outage or on a full disk.
type brokenLedger struct {
	digest.Store
	mu         sync.Mutex
	markSent   func() error // nil: pass through
	claim      func() error
	markFailed func() error
}

var errOutage = errors.New("connection refused")

func (b *brokenLedger) hook(f *func() error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if *f == nil {
		return nil
	}
	return (*f)()
}

func (b *brokenLedger) set(f *func() error, to func() error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*f = to
}

func (b *brokenLedger) MarkSent(ctx context.Context, id int64, now time.Time, stories int) error {
	if err := b.hook(&b.markSent); err != nil {
		return err
	}
	return b.Store.MarkSent(ctx, id, now, stories)
}

func (b *brokenLedger) ClaimDelivery(ctx context.Context, id int64, now time.Time, lease time.Duration) (digest.Delivery, error) {
	if err := b.hook(&b.claim); err != nil {
		return digest.Delivery{}, err
	}
	return b.Store.ClaimDelivery(ctx, id, now, lease)
}

// ClaimDeliveries fails each request the claim hook fails, as claims of
// one row at a time would, and passes the others to the store.
func (b *brokenLedger) ClaimDeliveries(ctx context.Context, reqs []digest.Delivery, now time.Time, lease time.Duration) ([]digest.Delivery, []error) {
	out, errs := make([]digest.Delivery, len(reqs)), make([]error, len(reqs))
	var pass []int
	for i := range reqs {
		if errs[i] = b.hook(&b.claim); errs[i] == nil {
			pass = append(pass, i)
		}
	}
	if len(pass) == 0 {
		return out, errs
	}
	sub := make([]digest.Delivery, len(pass))
	for j, i := range pass {
		sub[j] = reqs[i]
	}
	ds, es := b.Store.ClaimDeliveries(ctx, sub, now, lease)
	for j, i := range pass {
		out[i], errs[i] = ds[j], es[j]
	}
	return out, errs
}

func (b *brokenLedger) MarkFailed(ctx context.Context, id int64, now time.Time, reason string, permanent bool, retryAt time.Time) error {
	if err := b.hook(&b.markFailed); err != nil {
		return err
	}
	return b.Store.MarkFailed(ctx, id, now, reason, permanent, retryAt)
}

// failTimes fails the first n calls.
func failTimes(n int) func() error {
	var calls atomic.Int32
	return func() error {
		if int(calls.Add(1)) <= n {
			return errOutage
		}
		return nil
	}
}

func oneStory() []digest.Story {
	return []digest.Story{{Key: "k", Articles: []digest.Article{article(1, t0.Add(-time.Hour))}}}
}

// TestEngine_Deliver_RecordSentRetriesThroughOutage: a store that fails for
// a while after the relay's 250 is retried, and the row ends sent, with one
// message, instead of staying sending and going out again later.
func TestEngine_Deliver_RecordSentRetriesThroughOutage(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, m := newEngine(t, db, &now)
	bl := &brokenLedger{Store: db, markSent: failTimes(3)}
	e.Store = bl
	ctx := context.Background()
	out, err := e.Deliver(ctx, digest.Subscriber{Email: "ana@example.com"}, "2026-11-27", oneStory(), digest.DeliverOptions{})
	if err != nil || out != digest.OutcomeSent {
		t.Fatalf("Deliver = %s, %v; want sent once the store is back", out, err)
	}
	d, _ := db.DeliveryFor(ctx, "ana@example.com", "2026-11-27")
	if d.Status != digest.DeliverySent || m.count() != 1 {
		t.Fatalf("row %s, %d messages; want sent, 1", d.Status, m.count())
	}
}

// TestEngine_Deliver_UnrecordedSendNotRepeated: an outage longer than the
// record retry leaves the row sending and the run told (ErrLedger); when
// the store is back, the next attempt in this process records the earlier
// send instead of sending a second copy, even after the lease expired.
func TestEngine_Deliver_UnrecordedSendNotRepeated(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, m := newEngine(t, db, &now)
	e.Config.RecordRetry = 300 * time.Millisecond
	bl := &brokenLedger{Store: db, markSent: func() error { return errOutage }}
	e.Store = bl
	ctx := context.Background()
	sub := digest.Subscriber{Email: "ben@example.com"}
	out, err := e.Deliver(ctx, sub, "2026-11-27", oneStory(), digest.DeliverOptions{})
	if out != digest.OutcomeSent || !errors.Is(err, digest.ErrLedger) {
		t.Fatalf("Deliver during outage = %s, %v; want sent with ErrLedger", out, err)
	}
	d, _ := db.DeliveryFor(ctx, sub.Email, "2026-11-27")
	if d.Status != digest.DeliverySending {
		t.Fatalf("row is %s during the outage, want sending", d.Status)
	}

	bl.set(&bl.markSent, nil)
	now = now.Add(e.Config.Lease + time.Minute) // the lease has expired too
	out, err = e.Deliver(ctx, sub, "2026-11-27", oneStory(), digest.DeliverOptions{})
	if err != nil || out != digest.OutcomeAlreadySent {
		t.Fatalf("Deliver after the outage = %s, %v; want already_sent", out, err)
	}
	d, _ = db.DeliveryFor(ctx, sub.Email, "2026-11-27")
	if d.Status != digest.DeliverySent {
		t.Fatalf("row is %s after the outage, want sent", d.Status)
	}
	if n := m.count(); n != 1 {
		t.Fatalf("%d messages sent, want 1 (the earlier send recorded, not repeated)", n)
	}
	problems, err := db.Check(ctx, now)
	if err != nil || len(problems) != 0 {
		t.Fatalf("doctor after recovery: %v %v", problems, err)
	}
}

// TestEngine_Run_StopsWhenLedgerFails: a ledger that cannot be written
// (full disk) stops the run with an error naming the cause and how many
// recipients were left; nothing is sent that was not claimed first.
func TestEngine_Run_StopsWhenLedgerFails(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, m := newEngine(t, db, &now)
	e.Config.SendConcurrency = 1 // one at a time: the count left is exact
	ctx := context.Background()
	var claims atomic.Int32
	bl := &brokenLedger{Store: db, claim: func() error {
		if claims.Add(1) > 3 {
			return errors.New("database or disk is full (13)")
		}
		return nil
	}}
	e.Store = bl
	var to []string
	for i := range 10 {
		to = append(to, fmt.Sprintf("r%02d@example.com", i))
	}
	rep, err := e.Run(ctx, digest.RunOptions{
		Sources: []digest.Source{staticSource("src", article(1, t0.Add(-time.Hour)))},
		Since:   24 * time.Hour, To: to,
	})
	if !errors.Is(err, digest.ErrLedger) || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("Run error = %v; want ErrLedger naming the cause", err)
	}
	if m.count() != 3 || rep.Sent != 3 {
		t.Fatalf("sent %d (report %d); want the 3 claimed before the failure", m.count(), rep.Sent)
	}
	if rep.NotAttempted != 6 {
		t.Fatalf("not attempted = %d, want 6 (10 - 3 sent - 1 failed claim)", rep.NotAttempted)
	}
	if !strings.Contains(err.Error(), "6 recipients not attempted") {
		t.Errorf("error %q does not say how many were left", err)
	}
}

// TestEngine_Deliver_FailureNotRecordedIsAnError: a send failure that the
// ledger cannot record is reported as a ledger error, not silently logged.
func TestEngine_Deliver_FailureNotRecordedIsAnError(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, m := newEngine(t, db, &now)
	m.send = func(digest.Message) error { return errors.New("451 4.3.0 try again later") }
	e.Store = &brokenLedger{Store: db, markFailed: func() error { return errOutage }}
	out, err := e.Deliver(context.Background(), digest.Subscriber{Email: "cy@example.com"}, "2026-11-27", oneStory(), digest.DeliverOptions{})
	if out != digest.OutcomeDeferred || !errors.Is(err, digest.ErrLedger) {
		t.Fatalf("Deliver = %s, %v; want deferred with ErrLedger", out, err)
	}
}
