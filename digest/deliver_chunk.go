package digest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// maxChunk bounds the subscribers whose deliveries are read and claimed
// together: the store answers up to this many in one statement.
const maxChunk = 128

// chunkSize is how many subscribers deliverAll reads and claims at once:
// sixteen per concurrent send, at most maxChunk. A chunk's rows are
// claimed before the first of them is sent, so a chunk must go out well
// inside a lease; a chunk per SendConcurrency×16 keeps even a relay that
// takes seconds per message far from that.
func (e *Engine) chunkSize() int {
	return min(maxChunk, 16*max(1, e.Config.SendConcurrency))
}

// markLimit bounds the messages of one run that the relay has accepted
// and whose marks wait for a commit. A sender does not wait for its mark:
// the marks of many senders then share one statement and one commit (the
// store groups the calls that arrive while its previous statement runs),
// instead of a commit per SendConcurrency messages at most. A crash loses
// these marks, so their messages are sent again: with SendConcurrency
// messages at the relay, a crash duplicates at most markLimit +
// SendConcurrency digests, all rows the ledger still shows sending.
const markLimit = 64

// chunkRun is the state of one deliverAll: the senders, the report and
// whether the ledger has failed.
type chunkRun struct {
	e       *Engine
	rec     *recorder
	g       errgroup.Group
	marking sync.WaitGroup
	marks   chan struct{} // a place per pending mark, markLimit of them
	stories []Story
	weekly  func() ([]Story, error)
	opts    DeliverOptions

	// A ledger that cannot be written stops the run: nothing more is
	// claimed, so nothing is sent that could not be recorded. The rows
	// claimed before are still sent.
	mu           sync.Mutex
	ledgerErr    error
	notAttempted int
}

// skip reports whether the ledger has failed, counting n recipients as not
// attempted when it has.
func (r *chunkRun) skip(n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ledgerErr != nil {
		r.notAttempted += n
	}
	return r.ledgerErr != nil
}

// ledgerFailed stops the run for err, with n more recipients not
// attempted.
func (r *chunkRun) ledgerFailed(err error, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ledgerErr == nil {
		r.ledgerErr = err
	}
	r.notAttempted += n
}

// report counts one recipient's outcome.
func (r *chunkRun) report(sub Subscriber, outcome Outcome, err error) {
	if errors.Is(err, ErrLedger) {
		r.ledgerFailed(err, 0)
	}
	r.e.step("send")
	r.rec.do(func(rep *Report) {
		rep.Recipients++
		switch outcome {
		case OutcomeSent:
			rep.Sent++
		case OutcomeAlreadySent:
			rep.AlreadySent++
		case OutcomeInFlight:
			rep.InFlight++
		case OutcomeEmpty:
			rep.Empty++
		case OutcomeDeferred:
			rep.Deferred++
		case OutcomeFailed:
			rep.Failed++
		}
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("deliver to %s: %v", sub.Email, err))
		}
	})
}

// chunkItem is one recipient of a chunk on its way to a claim.
type chunkItem struct {
	sub     Subscriber
	key     string
	stories []Story
	ed      Edition
}

// deliverChunk delivers to subs as Deliver would to each, with the ledger
// work done for the chunk at once: one read of the rows and the last
// sends (DeliveryStates), the compositions in memory, then one claim of
// every delivery that has something to send (ClaimDeliveries, which makes
// the new rows already claimed). The claimed deliveries are sent by up to
// SendConcurrency goroutines, each recording its outcome (MarkSent after
// the relay's 250, grouped with the other senders' by the store). The
// rare rows that need more (a forced resend of a finished row, a send this
// process could not record) go through Deliver.
//
// A process killed here leaves at most the chunk's claimed rows leased
// (sent once their lease ends, by the next run or the planner) and at most
// SendConcurrency sent but not recorded (sent again then): the bound the
// kill tests check, rows left sending ≥ duplicates.
func (r *chunkRun) deliverChunk(ctx context.Context, subs []Subscriber) {
	e := r.e
	items := make([]chunkItem, 0, len(subs))
	for _, sub := range subs {
		key, stories, err := e.editionToday(sub, r.stories, r.weekly)
		switch {
		case err != nil:
			r.rec.do(func(rep *Report) {
				rep.Recipients++
				rep.Failed++
				rep.Errors = append(rep.Errors, fmt.Sprintf("deliver to %s: %v", sub.Email, err))
			})
		case key == "":
			r.rec.do(func(rep *Report) { rep.NotToday++ })
		default:
			items = append(items, chunkItem{sub: sub, key: key, stories: stories})
		}
	}
	if len(items) == 0 {
		return
	}
	keys := make([]DeliveryKey, len(items))
	for i, it := range items {
		keys[i] = DeliveryKey{Email: it.sub.Email, EditionDate: it.key}
	}
	states, err := e.Store.DeliveryStates(ctx, keys)
	if err != nil {
		r.ledgerFailed(fmt.Errorf("read ledger: %w: %w", ErrLedger, err), len(items))
		return
	}

	var (
		reqs   []Delivery
		claims []chunkItem
	)
	for i, it := range items {
		st := states[i]
		finished := st.Status == DeliverySent || st.Status == DeliveryFailed || st.Status == DeliverySkipped
		if st.ID != 0 && (e.isUnrecorded(st.ID) || finished && r.opts.Force) {
			r.g.Go(func() error {
				outcome, err := e.Deliver(ctx, it.sub, it.key, it.stories, r.opts)
				r.report(it.sub, outcome, err)
				return nil
			})
			continue
		}
		if finished {
			r.report(it.sub, OutcomeAlreadySent, nil)
			continue
		}
		it.ed, err = e.compose(it.sub, it.key, it.stories, r.opts, func() (time.Time, error) { return st.LastSent, nil })
		if err != nil {
			r.report(it.sub, "", err)
			continue
		}
		if len(it.ed.Stories) == 0 && !e.Config.SendEmpty && !r.opts.RecordEmpty {
			r.report(it.sub, OutcomeEmpty, nil)
			continue
		}
		reqs = append(reqs, Delivery{
			ID: st.ID, SubscriberID: it.sub.ID, Email: it.sub.Email, EditionDate: it.key,
			MessageID: e.MessageID(it.sub.Email, it.key, 0),
		})
		claims = append(claims, it)
	}
	if len(reqs) == 0 {
		return
	}
	now := e.now()
	ds, errs := e.Store.ClaimDeliveries(ctx, reqs, now, e.lease())
	failed := false
	for i, it := range claims {
		outcome, err, done := claimOutcome(errs[i])
		switch {
		case done && err != nil && failed:
			// The chunk's claim failed: its other recipients were not
			// attempted, and the first failure says why.
			r.ledgerFailed(err, 1)
		case done:
			failed = failed || err != nil
			r.report(it.sub, outcome, err)
		default:
			d := ds[i]
			r.g.Go(func() error {
				if !d.LeaseUntil.IsZero() && e.now().After(d.LeaseUntil.Add(-leaseMargin)) {
					// Waited in the chunk until the lease is nearly out
					// (a relay slower than a lease per chunk): sending
					// now could meet another worker's claim of the row.
					// It stays leased and goes out when the lease ends.
					r.report(it.sub, OutcomeInFlight, nil)
					return nil
				}
				outcome, err, accepted := e.send(ctx, it.sub, d, it.ed, now)
				if !accepted {
					r.report(it.sub, outcome, err)
					return nil
				}
				// The sender goes on to its next message while the mark
				// waits for its group's commit (see markLimit).
				r.marks <- struct{}{}
				r.marking.Go(func() {
					defer func() { <-r.marks }()
					outcome, err := e.markSent(ctx, it.sub, d, len(it.ed.Stories))
					r.report(it.sub, outcome, err)
				})
				return nil
			})
		}
	}
}

// isUnrecorded reports whether this process sent delivery id's message but
// could not record it (see noteUnrecorded).
func (e *Engine) isUnrecorded(id int64) bool {
	e.unrecordedMu.Lock()
	defer e.unrecordedMu.Unlock()
	_, ok := e.unrecorded[id]
	return ok
}
