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

// group turns concurrent calls of one ledger write into one statement and
// one commit. The first caller to arrive while no statement of the group
// is running runs one with every call queued by then (up to groupMax), and
// keeps running them until the queue is empty; everyone else waits for
// theirs. Nobody waits for a timer: a call arriving alone runs at once,
// and under load each statement carries the calls that arrived while the
// previous one was in the database, which is how a group's size follows
// the concurrency and the store's commit latency. A call returns only
// after its statement committed, as the call it replaces did.
type group[Req, Res any] struct {
	run func(ctx context.Context, reqs []Req) ([]Res, []error)

	mu      sync.Mutex
	queue   []*groupCall[Req, Res]
	running bool
}

type groupCall[Req, Res any] struct {
	ctx  context.Context
	req  Req
	res  Res
	err  error
	done chan struct{}
}

// do runs req in a group statement and returns its own result.
func (g *group[Req, Res]) do(ctx context.Context, req Req) (Res, error) {
	c := &groupCall[Req, Res]{ctx: ctx, req: req, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.running {
		g.mu.Unlock()
		<-c.done
		return c.res, c.err
	}
	g.running = true
	for len(g.queue) > 0 {
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
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	defer cancel()
	res, errs := g.run(ctx, reqs)
	for i, c := range live {
		if res != nil {
			c.res = res[i]
		}
		c.err = errs[i]
		close(c.done)
	}
}
