package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
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
	errs := make([]error, len(s.cfg.Checks))
	var wg sync.WaitGroup
	for i, c := range s.cfg.Checks {
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
			name := s.cfg.Checks[i].Name
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
