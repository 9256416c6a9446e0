package store

import (
	"context"
	"sync"
	"time"
)

// groupMax bounds how many calls one group commit carries: the statement
// stays well inside both databases' parameter limits (4 per call).
const groupMax = 128

// groupTimeout bounds one group's statement. The group runs without the
// callers' cancellation, since one caller giving up must not fail the
// others' writes.
const groupTimeout = 10 * time.Second

// group turns concurrent calls of one write (the ledger's, a gather's) into
// one statement, or one transaction, and one commit. The first caller to arrive while no statement of the group
// is running leads: it runs one with every call queued by then (up to
// groupMax), and keeps running them until the queue is empty; everyone
// else waits for theirs. A call that arrives alone runs at once, unless it
// may wait (do's wait, a group commit): then the leader holds the queue
// until the earliest such call has waited its wait, or fill calls are
// queued, or a call that may not wait arrives, whichever comes first. So
// callers that wait for their write (one delivery at a time) never wait
// for a timer, and under load each statement carries the calls that
// arrived while the previous one was in the database; callers that do not
// wait for their write (a run's marks, see digest.WithMarkGrouping) share
// a commit even when the store's commits are fast. A call returns only
// after its statement committed, as the call it replaces did.
type group[Req, Res any] struct {
	run func(ctx context.Context, reqs []Req) ([]Res, []error)
	// unbounded: the group's writes run without groupTimeout (a gather's
	// writes, which were never bounded and may carry a whole window).
	unbounded bool

	mu      sync.Mutex
	queue   []*groupCall[Req, Res]
	running bool
	due     time.Time     // when the queue must go; zero: at once
	fill    int           // the queue goes once this many calls wait; 0: groupMax
	wake    chan struct{} // closed to end the leader's hold; nil when not holding
}

type groupCall[Req, Res any] struct {
	ctx  context.Context
	req  Req
	res  Res
	err  error
	done chan struct{}
}

// do runs req in a group statement and returns its own result. With wait
// > 0 the call may wait up to wait for others to share its statement, and
// the statement goes once fill calls (when > 0) are queued.
func (g *group[Req, Res]) do(ctx context.Context, req Req, wait time.Duration, fill int) (Res, error) {
	c := &groupCall[Req, Res]{ctx: ctx, req: req, done: make(chan struct{})}
	var due time.Time
	if wait > 0 {
		due = time.Now().Add(wait)
	}
	g.mu.Lock()
	sooner := false // the leader's hold must end sooner than it planned
	if len(g.queue) == 0 {
		g.due, g.fill = due, fill
	} else {
		if due.Before(g.due) { // a zero due (at once) is before any other
			g.due, sooner = due, true
		}
		if fill > 0 && (g.fill == 0 || fill < g.fill) {
			g.fill = fill
		}
	}
	g.queue = append(g.queue, c)
	if g.running {
		if g.wake != nil && (sooner || !g.holding()) {
			close(g.wake)
			g.wake = nil
		}
		g.mu.Unlock()
		<-c.done
		return c.res, c.err
	}
	g.running = true
	for len(g.queue) > 0 {
		if g.holding() {
			wake := make(chan struct{})
			g.wake = wake
			t := time.NewTimer(time.Until(g.due))
			g.mu.Unlock()
			select {
			case <-t.C:
			case <-wake:
			}
			t.Stop()
			g.mu.Lock()
			g.wake = nil
			continue
		}
		n := min(len(g.queue), groupMax)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.flush(ctx, batch)
		g.mu.Lock()
	}
	g.running = false
	g.queue = nil
	g.mu.Unlock()
	<-c.done
	return c.res, c.err
}

// holding reports whether the queue may wait longer: every queued call
// may wait, the earliest due time is still ahead, and the queue is short
// of its fill. g.mu is held.
func (g *group[Req, Res]) holding() bool {
	fill := groupMax
	if g.fill > 0 {
		fill = min(g.fill, groupMax)
	}
	return !g.due.IsZero() && len(g.queue) < fill && time.Until(g.due) > 0
}

// togetherOrAlone runs the requests of a group's calls (a gather's
// writes) in one transaction with together; when there is one request, or
// together fails, it runs each alone with alone, so that one caller's
// failure is not everyone's. Its results are a group's run's.
func togetherOrAlone[Req, Res any](reqs []Req, together func() ([]Res, error), alone func(Req) (Res, error)) ([]Res, []error) {
	errs := make([]error, len(reqs))
	if len(reqs) > 1 {
		if res, err := together(); err == nil {
			return res, errs
		}
	}
	res := make([]Res, len(reqs))
	for i, r := range reqs {
		res[i], errs[i] = alone(r)
	}
	return res, errs
}

// flush runs one statement for batch. A call whose caller has given up
// before it started is left out with its context's error.
func (g *group[Req, Res]) flush(ctx context.Context, batch []*groupCall[Req, Res]) {
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			close(c.done)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	reqs := make([]Req, len(live))
	for i, c := range live {
		reqs[i] = c.req
	}
	ctx = context.WithoutCancel(ctx)
	if !g.unbounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, groupTimeout)
		defer cancel()
	}
	res, errs := g.run(ctx, reqs)
	for i, c := range live {
		if res != nil {
			c.res = res[i]
		}
		c.err = errs[i]
		close(c.done)
	}
}
