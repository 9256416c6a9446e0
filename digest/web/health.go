package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// handleHealthz answers 200 while the process can serve requests at all;
// it checks nothing else, so a failing database does not get the process
// restarted.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// handleReadyz runs every check at once within ReadyTimeout and answers 200,
// or 503 naming the failing checks. Their errors go to the log only: they
// may describe the infrastructure.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	errs := make([]error, len(s.checks))
	var wg sync.WaitGroup
	for i, c := range s.checks {
		wg.Go(func() {
			done := make(chan error, 1)
			go func() { done <- c.Fn(ctx) }()
			// A check that ignores its context must not hold the answer.
			select {
			case errs[i] = <-done:
			case <-ctx.Done():
				errs[i] = fmt.Errorf("timed out: %w", ctx.Err())
			}
		})
	}
	wg.Wait()
	var failing []string
	for i, err := range errs {
		if err != nil {
			name := s.checks[i].Name
			failing = append(failing, name)
			s.log.WarnContext(r.Context(), "readiness check failed", "check", name, "error", err)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(failing) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %s\n", strings.Join(failing, ", "))
		return
	}
	fmt.Fprintln(w, "ready")
}

// cachedChecks returns cfg.Checks with every check that asks for a cache
// wrapped in one.
func (s *Server) cachedChecks() []Check {
	out := make([]Check, len(s.cfg.Checks))
	for i, c := range s.cfg.Checks {
		if c.Cache > 0 {
			cc := &checkCache{fn: c.Fn, ttl: c.Cache, timeout: s.cfg.ReadyTimeout, now: s.now}
			c.Fn = cc.check
		}
		out[i] = c
	}
	return out
}

// checkCache remembers a check's last result for ttl. One run at a time:
// callers that find a run in progress wait for it (or for their own
// context) instead of starting another.
type checkCache struct {
	fn      func(context.Context) error
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time

	mu      sync.Mutex
	done    bool      // a result is cached
	at      time.Time // when it was taken
	err     error
	running chan struct{} // closed when the run in progress ends; nil when none
}

func (c *checkCache) check(ctx context.Context) error {
	c.mu.Lock()
	if c.done && c.now().Sub(c.at) < c.ttl {
		err := c.err
		c.mu.Unlock()
		return err
	}
	if c.running == nil {
		c.running = make(chan struct{})
		// The run belongs to no request: one caller giving up must not
		// fail the others that wait for it, so it has its own deadline.
		go c.run(c.running)
	}
	running := c.running
	c.mu.Unlock()
	select {
	case <-running:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.err
	case <-ctx.Done():
		return fmt.Errorf("timed out: %w", ctx.Err())
	}
}

func (c *checkCache) run(running chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	err := c.fn(ctx)
	c.mu.Lock()
	c.done, c.at, c.err, c.running = true, c.now(), err, nil
	c.mu.Unlock()
	close(running)
}

// RequireBearer serves next only to requests that carry
// "Authorization: Bearer <token>"; others get 401. The comparison takes the
// same time whatever the guess (both sides are hashed first, so not even
// the token's length leaks). An empty token returns next unchanged.
func RequireBearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
