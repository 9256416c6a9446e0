package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/tradedigest/tradedigest/digest/api"
	"github.com/tradedigest/tradedigest/digest/queue"
	"github.com/tradedigest/tradedigest/digest/web"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// withAdmin mounts the admin API (when DIGEST_ADMIN_TOKEN is set) beside
// the public pages; it is what `digest serve` listens with.
func (a *app) withAdmin(pages http.Handler, q *queue.Queue) (http.Handler, error) {
	if a.cfg.AdminToken == "" {
		a.log.Info("admin api off: set DIGEST_ADMIN_TOKEN (or DIGEST_ADMIN_TOKEN_FILE) to enable /api/v1/")
		return pages, nil
	}
	adm, err := api.New(api.Config{
		Token: string(a.cfg.AdminToken), Store: a.db, Roster: a.rosterOptions(),
		Sources: appSources{a}, Jobs: queueJobs{q}, Logger: a.log,
	})
	if err != nil {
		return nil, badConfig("generate a token with: openssl rand -hex 32", "admin api: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(api.Prefix, web.LogRequests(a.log, adm.Handler()))
	mux.Handle("/", pages)
	return mux, nil
}

// appSources gives the admin API the sources of `digest sources`.
type appSources struct{ a *app }

func (s appSources) List(ctx context.Context) ([]api.SourceHealth, error) {
	return s.a.sourceHealth(ctx, nil)
}

func (s appSources) Add(ctx context.Context, raw string) (string, error) {
	src, err := normaliseSource(raw)
	if err != nil {
		return redact.URL(raw), fmt.Errorf("%s: %w", redact.Text(err.Error()), api.ErrInvalid)
	}
	// Answered as `sources list` shows it, which Remove accepts.
	return redact.URL(src), s.a.db.AddSource(ctx, src)
}

func (s appSources) Remove(ctx context.Context, raw string) error {
	_, err := s.a.removeSource(ctx, raw)
	return err
}

func (s appSources) Check(ctx context.Context) ([]api.SourceHealth, error) {
	rep, err := s.a.checkSources(ctx)
	if err != nil {
		return nil, err
	}
	return s.a.sourceHealth(ctx, &rep)
}

// queueJobs gives the admin API the job queue.
type queueJobs struct{ q *queue.Queue }

func (j queueJobs) Enqueue(ctx context.Context, kind string) (api.Job, error) {
	info, err := j.q.Trigger(ctx, kind)
	return api.Job(info), err
}

func (j queueJobs) Job(ctx context.Context, id int64) (api.Job, error) {
	info, err := j.q.Job(ctx, id)
	return api.Job(info), err
}
