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
// the marks of many senders then share one statement and one commit (a
// group commit: the store holds a mark up to markWait, or until markFill
// marks wait, see WithMarkGrouping), instead of a commit per message or
// per SendConcurrency messages at most. A crash loses
// these marks, so their messages are sent again: with SendConcurrency
// messages at the relay, a crash duplicates at most markLimit +
// SendConcurrency digests, all rows the ledger still shows sending.
const markLimit = 64

// markWait and markFill make the marks of a run a group commit: a mark
// waits in the store up to markWait, or until markFill marks are queued,
// for others to share its statement and commit (WithMarkGrouping). Without
// it a store whose commits are fast (SQLite) ran most marks alone, a
// statement per message. markFill is half of markLimit: the senders keep
// going while a group commits, and a store's leader of a group holds its
// place until the queue behind it is empty.
const (
	markWait = 5 * time.Millisecond
	markFill = markLimit / 2
)

// markGroupingKey carries WithMarkGrouping's values in a context.
type markGroupingKey struct{}

type markGrouping struct {
	wait time.Duration
	fill int
}

// WithMarkGrouping returns ctx with a hint for the ledger's MarkSent: the
// caller does not wait for the mark to go on sending, so the store may hold
// it up to wait, or until fill marks are queued, to record many marks in
// one statement and one commit. The hint travels in the context rather
// than as a parameter so that it reaches the store through any Ledger
// that wraps it; a ledger that ignores it records the mark at once.
func WithMarkGrouping(ctx context.Context, wait time.Duration, fill int) context.Context {
	return context.WithValue(ctx, markGroupingKey{}, markGrouping{wait, fill})
}

// MarkGrouping returns the hint of WithMarkGrouping in ctx; zero values
// when there is none (record at once).
func MarkGrouping(ctx context.Context) (wait time.Duration, fill int) {
	g, _ := ctx.Value(markGroupingKey{}).(markGrouping)
	return g.wait, g.fill
}

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
	readers *runReaders
	opts    DeliverOptions
	late    int // daily readers deferred: not among readers (chunk goroutine only)

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
	i       int // the recipient's place in its batch (DeliverBatch)
	sub     Subscriber
	key     string
	stories []Story
	ed      Edition
}

// deliverChunk delivers to subs as Deliver would to each, with the ledger
// work done for the chunk at once (prepareChunk). The claimed deliveries
// are sent by up to SendConcurrency goroutines, each recording its outcome
// (MarkSent after the relay's 250, in a group commit with the other
// senders' marks, see markLimit). The rare rows that need more (a forced resend of a finished row,
// a send this process could not record) go through Deliver.
//
// A process killed here leaves at most the chunk's claimed rows leased
// (sent once their lease ends, by the next run or the planner) and at most
// markLimit + SendConcurrency sent but not recorded (sent again then): the
// bound the kill tests check, rows left sending ≥ duplicates.
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
		case !IsWeekKey(key) && !r.readers.knows(sub):
			// Joined or changed topics since runStories read the
			// subscribers: their edition could hold stories it did not
			// summarise. Nothing is claimed; the next run sends it.
			r.late++
			r.rec.do(func(rep *Report) { rep.Recipients++; rep.Deferred++ })
		default:
			items = append(items, chunkItem{sub: sub, key: key, stories: stories})
		}
	}
	if len(items) == 0 {
		return
	}
	c, err := e.prepareChunk(ctx, items, r.opts,
		func(it chunkItem) {
			r.g.Go(func() error {
				outcome, err := e.Deliver(ctx, it.sub, it.key, it.stories, r.opts)
				r.report(it.sub, outcome, err)
				return nil
			})
		},
		func(it chunkItem, outcome Outcome, err error) { r.report(it.sub, outcome, err) })
	if err != nil {
		r.ledgerFailed(err, len(items))
		return
	}
	failed := false
	for i, it := range c.items {
		outcome, err, done := claimOutcome(c.errs[i])
		switch {
		case done && err != nil && failed:
			// The chunk's claim failed: its other recipients were not
			// attempted, and the first failure says why.
			r.ledgerFailed(err, 1)
		case done:
			failed = failed || err != nil
			r.report(it.sub, outcome, err)
		default:
			d := c.rows[i]
			r.g.Go(func() error {
				outcome, err, accepted := e.send(ctx, it.sub, d, it.ed, c.now)
				if !accepted {
					r.report(it.sub, outcome, err)
					return nil
				}
				// The sender goes on to its next message while the mark
				// waits for its group's commit (see markLimit).
				r.marks <- struct{}{}
				r.marking.Go(func() {
					defer func() { <-r.marks }()
					outcome, err := e.markSent(WithMarkGrouping(ctx, markWait, markFill), it.sub, d, len(it.ed.Stories))
					r.report(it.sub, outcome, err)
				})
				return nil
			})
		}
	}
}

// preparedChunk is a chunk after its claim: the items with something to
// send, each with its claimed row or the claim's error.
type preparedChunk struct {
	items []chunkItem
	rows  []Delivery
	errs  []error
	now   time.Time // of the claim
}

// prepareChunk does a chunk's ledger work before its sends: one read of
// the rows and the last sends (DeliveryStates), the compositions in
// memory, then one claim of every delivery that has something to send
// (ClaimDeliveries, which makes the new rows already claimed). A row that
// needs Deliver (a forced resend of a finished row, a send this process
// could not record) goes to slow; a delivery that ends here (already sent,
// empty, not composable) goes to done. The error is the read's, wrapping
// ErrLedger: then nothing was done.
func (e *Engine) prepareChunk(ctx context.Context, items []chunkItem, opts DeliverOptions,
	slow func(chunkItem), done func(chunkItem, Outcome, error)) (preparedChunk, error) {
	keys := make([]DeliveryKey, len(items))
	for i, it := range items {
		keys[i] = DeliveryKey{Email: it.sub.Email, EditionDate: it.key}
	}
	states, err := e.Store.DeliveryStates(ctx, keys)
	if err != nil {
		return preparedChunk{}, fmt.Errorf("read ledger: %w: %w", ErrLedger, err)
	}
	var (
		c    preparedChunk
		reqs []Delivery
	)
	for i, it := range items {
		st := states[i]
		finished := st.Status == DeliverySent || st.Status == DeliveryFailed || st.Status == DeliverySkipped
		if st.ID != 0 && (e.isUnrecorded(st.ID) || finished && opts.Force) {
			slow(it)
			continue
		}
		if finished {
			done(it, OutcomeAlreadySent, nil)
			continue
		}
		it.ed, err = e.compose(it.sub, it.key, it.stories, opts, func() (time.Time, error) { return st.LastSent, nil })
		if err != nil {
			done(it, "", err)
			continue
		}
		if len(it.ed.Stories) == 0 && !e.Config.SendEmpty && !opts.RecordEmpty {
			done(it, OutcomeEmpty, nil)
			continue
		}
		reqs = append(reqs, Delivery{
			ID: st.ID, SubscriberID: it.sub.ID, Email: it.sub.Email, EditionDate: it.key,
			MessageID: e.MessageID(it.sub.Email, it.key, 0),
		})
		c.items = append(c.items, it)
	}
	if len(reqs) == 0 {
		return c, nil
	}
	c.now = e.now()
	c.rows, c.errs = e.Store.ClaimDeliveries(ctx, reqs, c.now, e.lease())
	return c, nil
}

// DeliverResult is how one delivery of DeliverBatch ended: as Deliver's
// return values.
type DeliverResult struct {
	Outcome Outcome
	Err     error
}

// errStopping is the deferral of a batch's deliveries not sent because
// the caller asked it to stop.
var errStopping = errors.New("not sent: stopping")

// DeliverBatch delivers the edition with ledger key key to each of subs,
// as Deliver would to each, with the ledger work of up to maxChunk
// recipients done at once (prepareChunk: one read and one claim per chunk
// instead of two reads, a new row and a claim per recipient). The claimed
// deliveries are sent one after the other, each marked sent before the
// next send, so a caller's concurrency bounds the messages a crash can
// leave sent but not recorded, as with Deliver; the marks of concurrent
// callers still share the store's grouped statements. Once stop is closed
// or ctx has ended (a job's deadline) no send is started: the rest of the
// chunk's claims are given back (ReleaseDeliveries: pending and due, no
// attempt counted) and end OutcomeDeferred. The results are in the order
// of subs.
//
// A process killed during a batch leaves the chunk's unsent claims leased
// until their lease ends (then sent again by the planner's recovery, or by
// a retry of the batch's job), and at most the one delivery in flight sent
// but not recorded.
func (e *Engine) DeliverBatch(ctx context.Context, subs []Subscriber, key string, stories []Story, opts DeliverOptions, stop <-chan struct{}) []DeliverResult {
	res := make([]DeliverResult, len(subs))
	for start := 0; start < len(subs); start += maxChunk {
		end := min(start+maxChunk, len(subs))
		items := make([]chunkItem, 0, end-start)
		for i := start; i < end; i++ {
			items = append(items, chunkItem{i: i, sub: subs[i], key: key, stories: stories})
		}
		e.deliverBatchChunk(ctx, items, opts, stop, res)
	}
	return res
}

// deliverBatchChunk is DeliverBatch's work for one chunk; it writes each
// item's result at its place in res.
func (e *Engine) deliverBatchChunk(ctx context.Context, items []chunkItem, opts DeliverOptions, stop <-chan struct{}, res []DeliverResult) {
	c, err := e.prepareChunk(ctx, items, opts,
		func(it chunkItem) {
			outcome, err := e.Deliver(ctx, it.sub, it.key, it.stories, opts)
			res[it.i] = DeliverResult{outcome, err}
		},
		func(it chunkItem, outcome Outcome, err error) { res[it.i] = DeliverResult{outcome, err} })
	if err != nil {
		for _, it := range items {
			res[it.i] = DeliverResult{"", err}
		}
		return
	}
	for i, it := range c.items {
		if outcome, err, done := claimOutcome(c.errs[i]); done {
			res[it.i] = DeliverResult{outcome, err}
			continue
		}
		if why := interrupted(ctx, stop); why != nil {
			e.releaseRest(ctx, c, i, res, why)
			return
		}
		d := c.rows[i]
		outcome, err, accepted := e.send(ctx, it.sub, d, it.ed, c.now)
		if accepted {
			outcome, err = e.markSent(ctx, it.sub, d, len(it.ed.Stories))
		}
		res[it.i] = DeliverResult{outcome, err}
	}
}

// interrupted says why a batch starts no more sends: stop is closed, or
// ctx has ended (the job's deadline); nil when it goes on.
func interrupted(ctx context.Context, stop <-chan struct{}) error {
	select {
	case <-stop:
		return errStopping
	default:
	}
	if ctx.Err() != nil {
		return fmt.Errorf("not sent: %w", context.Cause(ctx))
	}
	return nil
}

// releaseRest gives back the claims of c's items from the from-th on, in
// one statement (release), each ending with why.
func (e *Engine) releaseRest(ctx context.Context, c preparedChunk, from int, res []DeliverResult, why error) {
	var (
		ids   []int64
		until time.Time
	)
	for i := from; i < len(c.items); i++ {
		if outcome, err, done := claimOutcome(c.errs[i]); done {
			res[c.items[i].i] = DeliverResult{outcome, err}
			continue
		}
		ids = append(ids, c.rows[i].ID)
		until = c.rows[i].LeaseUntil // one claim, one lease
	}
	r := e.release(ctx, ids, until, why)
	for i := from; i < len(c.items); i++ {
		if c.errs[i] == nil {
			res[c.items[i].i] = r
		}
	}
}

// release gives back the claims ids, all under the lease that ends at
// until, as pending and due with no attempt counted (ReleaseDeliveries):
// OutcomeDeferred with why. It is for sends the caller stopped or ran out
// of time for, which the relay never refused: they go out on the next try,
// not after a retry back-off. Claims it could not give back stay leased
// until their lease ends: OutcomeInFlight.
func (e *Engine) release(ctx context.Context, ids []int64, until time.Time, why error) DeliverResult {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := e.Store.ReleaseDeliveries(rctx, ids, until); err != nil {
		return DeliverResult{OutcomeInFlight, errors.Join(why, err)}
	}
	return DeliverResult{OutcomeDeferred, why}
}

// isUnrecorded reports whether this process sent delivery id's message but
// could not record it (see noteUnrecorded).
func (e *Engine) isUnrecorded(id int64) bool {
	e.unrecordedMu.Lock()
	defer e.unrecordedMu.Unlock()
	_, ok := e.unrecorded[id]
	return ok
}
