package digest

import (
	"context"
	"sync"
)

// flight makes one call per key at a time and hands its result to every
// caller that asked for the key meanwhile. It differs from
// golang.org/x/sync/singleflight in the two ways the summary cache needs:
//
//   - exactly one receiver of a result is told it is the first (fresh), so a
//     summary made once is counted as new once, however many callers shared
//     it (singleflight reports "shared" to all of them, the maker included,
//     so a shared new summary was counted as new by nobody);
//   - the call runs on a context of its own that ends only when every waiting
//     caller has gone, so one caller's cancellation (a deliver job that timed
//     out) does not fail the others that still wait for the same summary.
type flight[T any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[T]
}

type flightCall[T any] struct {
	done    chan struct{} // closed when val and err are set
	waiters int           // callers still waiting; guarded by flight.mu
	cancel  context.CancelFunc
	claimed bool // a receiver has been told it is the first; guarded by flight.mu
	val     T
	err     error
}

// do returns fn's result for key. fn runs once for all callers that ask for
// key while it runs, on a context that keeps ctx's values and ends when the
// last waiting caller's context ends. first is true for exactly one caller
// that receives a result without error. A caller whose ctx ends first gets
// ctx.Err(); when it was the last one waiting, do cancels the call and waits
// for fn to return, so no call outlives all its callers.
func (g *flight[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (v T, first bool, err error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*flightCall[T]{}
	}
	c, ok := g.calls[key]
	if !ok {
		callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &flightCall[T]{done: make(chan struct{}), cancel: cancel}
		g.calls[key] = c
		go func() {
			c.val, c.err = fn(callCtx)
			g.mu.Lock()
			if g.calls[key] == c {
				delete(g.calls, key)
			}
			g.mu.Unlock()
			cancel()
			close(c.done)
		}()
	}
	c.waiters++
	g.mu.Unlock()

	select {
	case <-c.done:
	case <-ctx.Done():
		g.mu.Lock()
		c.waiters--
		last := c.waiters == 0
		if last && g.calls[key] == c {
			// A later caller must not join a call that is being cancelled.
			delete(g.calls, key)
		}
		g.mu.Unlock()
		if last {
			c.cancel()
			<-c.done
		}
		var zero T
		return zero, false, ctx.Err()
	}
	g.mu.Lock()
	c.waiters--
	if c.err == nil && !c.claimed {
		c.claimed = true
		first = true
	}
	g.mu.Unlock()
	return c.val, first, c.err
}
