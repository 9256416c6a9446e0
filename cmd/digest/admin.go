package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/api"
	"github.com/tradedigest/tradedigest/digest/bounce"
	"github.com/tradedigest/tradedigest/digest/metrics"
	"github.com/tradedigest/tradedigest/digest/queue"
	"github.com/tradedigest/tradedigest/digest/web"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// withAPIs mounts, beside the public pages, the admin API (when
// DIGEST_ADMIN_TOKEN is set) and the webhooks of the providers whose
// credentials are configured; it is what `digest serve` listens with.
func (a *app) withAPIs(pages http.Handler, q *queue.Queue, m *metrics.Metrics) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("/", pages)
	if a.cfg.AdminToken == "" {
		a.log.Info("admin api off: set DIGEST_ADMIN_TOKEN (or DIGEST_ADMIN_TOKEN_FILE) to enable /api/v1/")
	} else {
		adm, err := api.New(api.Config{
			Token: string(a.cfg.AdminToken), Store: a.db, Roster: a.rosterOptions(),
			Sources: appSources{a}, Jobs: queueJobs{q}, Logger: a.log,
		})
		if err != nil {
			return nil, badConfig("generate a token with: openssl rand -hex 32", "admin api: %v", err)
		}
		mux.Handle(api.Prefix, web.LogRequests(a.log, adm.Handler()))
	}
	b := a.cfg.Bounce
	wh, err := bounce.NewWebhooks(bounce.WebhookConfig{
		SESTopicARNs: b.SESTopicARNs, SendGridPublicKey: b.SendGridPublicKey,
		MailgunSigningKey: string(a.cfg.MailgunSigningKey),
		PostmarkUser:      b.PostmarkUser, PostmarkPassword: string(a.cfg.PostmarkPassword),
		Now: a.engine.Now, Logger: a.log,
	}, a.bounceRecorder(m))
	if err != nil {
		return nil, badConfig("check the bounce section (bounce.sendgrid_public_key is the base64 key SendGrid shows)", "%v", err)
	}
	if p := wh.Providers(); len(p) > 0 {
		mux.Handle("/webhooks/", web.LogRequests(a.log, wh.Handler()))
		a.log.Info("bounce webhooks on", "providers", strings.Join(p, ","))
	}
	return mux, nil
}

// bounceRecorder applies bounce and complaint reports to the store.
func (a *app) bounceRecorder(m *metrics.Metrics) *bounce.Recorder {
	rec := &bounce.Recorder{Store: a.db, Logger: a.log, Now: a.engine.Now,
		Policy: digest.EventPolicy{BounceAfter: a.cfg.Edition.BounceAfter, SoftWindow: a.cfg.Bounce.SoftWindow}}
	if m != nil {
		rec.Metrics = m
	}
	return rec
}

// mailboxPoll returns the bounce mailbox job's work, or nil without a
// mailbox.
func (a *app) mailboxPoll(m *metrics.Metrics) func(context.Context) error {
	if a.cfg.Bounce.POP3URL == "" {
		return nil
	}
	cfg, err := bounce.ParsePOP3URL(a.cfg.Bounce.POP3URL) // Validate checked it
	if err != nil {
		return func(context.Context) error { return err }
	}
	cfg.Password = string(a.cfg.POP3Password)
	mb := &bounce.Mailbox{POP3: cfg, Recorder: a.bounceRecorder(m), Logger: a.log}
	return func(ctx context.Context) error {
		res, err := mb.Poll(ctx)
		a.log.Info("bounce mailbox read", "messages", res.Messages, "reports", res.Reports, "events", res.Events,
			"deleted", res.Deleted, "ignored", res.Ignored, "too_large", res.TooLarge)
		return err
	}
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
