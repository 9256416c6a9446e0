package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/metrics"
	"github.com/tradedigest/tradedigest/digest/queue"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/web"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// newQueue builds the job queue over the app's store.
func (a *app) newQueue(m *metrics.Metrics, now func() time.Time) (*queue.Queue, error) {
	qc := queue.DefaultConfig()
	qc.GatherSchedule = a.cfg.Schedule.Gather
	qc.PlanSchedule = a.cfg.Schedule.Plan
	qc.CatchUpDays = a.cfg.Schedule.CatchUpDays
	qc.MailboxSchedule = a.cfg.Bounce.Poll
	qcfg := a.cfg.Queue
	for _, o := range []struct {
		set time.Duration
		dst *time.Duration
	}{
		{qcfg.JobTimeout, &qc.JobTimeout}, {qcfg.RescueAfter, &qc.RescueAfter}, {qcfg.MaxSnooze, &qc.MaxSnooze},
		{qcfg.PollInterval, &qc.PollInterval}, {qcfg.ShutdownTimeout, &qc.ShutdownTimeout},
	} {
		if o.set > 0 {
			*o.dst = o.set
		}
	}
	if qcfg.Workers > 0 {
		qc.Workers = qcfg.Workers
	}
	if host, err := os.Hostname(); err == nil {
		qc.ReplicaID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	deps := queue.Deps{
		Engine: a.engine, DB: a.db,
		Logger: a.log, Now: now, Metrics: m, Mailbox: a.mailboxPoll(m),
		Sources: func(ctx context.Context) ([]digest.Source, error) {
			entries, err := a.sourceEntries(ctx)
			if err != nil {
				return nil, err
			}
			var rep digest.Report
			opened := a.openSources(ctx, entries, &rep)
			return opened, nil
		},
	}
	q, err := queue.New(qc, deps)
	if err != nil {
		return nil, badConfig("check the schedule section (cron expressions, CRON_TZ=Zone prefix allowed)", "%v", err)
	}
	return q, nil
}

// migrateQueue runs the job queue's migrations.
func (a *app) migrateQueue(ctx context.Context) error {
	q, err := a.newQueue(nil, time.Now)
	if err != nil {
		return err
	}
	defer q.Close()
	if err := q.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// mailCheckCache is how long /readyz reuses the mail relay's check: probes
// every few seconds from several replicas cost one SMTP connection each per
// period, not one per probe.
const mailCheckCache = 5 * time.Second

// cmdServe runs the scheduler, the workers and the HTTP server until a
// signal: on the first, it stops taking jobs, lets in-flight sends finish
// within the shutdown deadline, and exits; a second signal exits at once.
func (c *cli) cmdServe(ctx context.Context, args []string) error {
	fs, co := c.newFlags("serve")
	shutdown := fs.Duration("shutdown-timeout", 0, "how long in-flight sends may take after a stop signal (default queue.shutdown_timeout, 30s)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig(co)
	if err != nil {
		return err
	}
	if *shutdown > 0 {
		cfg.Queue.ShutdownTimeout = *shutdown
	}
	if cfg.Queue.ShutdownTimeout <= 0 {
		cfg.Queue.ShutdownTimeout = 30 * time.Second
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
		cfg.BaseURL = "http://127.0.0.1:" + port
		c.logger(cfg).Warn("DIGEST_BASE_URL is not set: links in emails point at " + cfg.BaseURL +
			"; set it to the public https address before sending to real readers")
	}
	a, err := c.openApp(ctx, cfg, appOptions{mailer: true, serve: true})
	if err != nil {
		return err
	}
	defer a.Close()
	log := a.log

	m := metrics.New(metrics.Options{Logger: log})
	q, err := a.newQueue(m, c.now)
	if err != nil {
		return err
	}
	if err := q.Migrate(ctx); err != nil {
		q.Close()
		return fmt.Errorf("migrate job queue: %w", err)
	}
	// /metrics on the public port unless http.metrics_addr moves it.
	publicMetrics := m.Handler()
	if cfg.HTTP.MetricsAddr != "" {
		publicMetrics = nil
	} else if cfg.MetricsToken == "" {
		log.Warn("/metrics is served on the public port without a token; set http.metrics_addr " +
			"(DIGEST_HTTP_METRICS_ADDR) or DIGEST_METRICS_TOKEN")
	}
	proxies, _ := cfg.HTTP.trustedProxies() // checked by Validate
	srv, err := web.New(web.Config{
		BaseURL: cfg.BaseURL, Signer: a.signer, Subscribers: a.db, Editions: a.db, Mailer: a.engine.Mailer,
		Metrics: publicMetrics, MetricsToken: string(cfg.MetricsToken), Topics: rank.TopicNames(a.topics()), TopicLabels: topicLabels(a.topics()),
		SiteName: cfg.SiteName, From: cfg.From, TrustedProxies: proxies,
		MessageIDDomain: a.engine.Config.MessageIDDomain, Logger: log, Now: c.now,
		Checks: []web.Check{
			{Name: "store", Fn: a.db.Ping},
			{Name: "migrations", Fn: func(ctx context.Context) error {
				cur, latest, err := a.db.MigrationStatus(ctx)
				if err != nil {
					return err
				}
				if cur != latest {
					return fmt.Errorf("schema at %d of %d: run digest migrate", cur, latest)
				}
				return nil
			}},
			{Name: "queue", Fn: q.Ready},
			// A relay that refuses connections, EHLO or the login makes the
			// replica unready; probed at most once per mailCheckCache.
			{Name: "mail", Fn: a.checkMailer, Cache: mailCheckCache},
		},
	})
	if err != nil {
		q.Close()
		return badConfig("check DIGEST_BASE_URL and DIGEST_SECRET", "web: %v", err)
	}
	httpSrv := srv.HTTPServer(cfg.HTTPAddr)
	if httpSrv.Handler, err = a.withAPIs(httpSrv.Handler, q, m); err != nil {
		q.Close()
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		q.Close()
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	metricsSrv, metricsLn, err := metricsServer(cfg, m.Handler(), srv)
	if err != nil {
		ln.Close()
		q.Close()
		return err
	}
	pprofSrv, pprofLn, err := pprofServer(cfg.HTTP.PprofAddr)
	if err != nil {
		ln.Close()
		if metricsLn != nil {
			metricsLn.Close()
		}
		q.Close()
		return err
	}
	httpErr := make(chan error, 3)
	serveHTTP := func(hs *http.Server, l net.Listener) {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			httpErr <- err
		}
	}
	go serveHTTP(httpSrv, ln)
	if metricsSrv != nil {
		go serveHTTP(metricsSrv, metricsLn)
		log.Info("metrics served apart", "metrics_addr", metricsLn.Addr().String(), "token", cfg.MetricsToken != "")
	}
	if pprofSrv != nil {
		go serveHTTP(pprofSrv, pprofLn)
		log.Info("runtime profiles served", "pprof_addr", pprofLn.Addr().String())
	}
	if err := q.Start(ctx); err != nil {
		_ = httpSrv.Close()
		if metricsSrv != nil {
			_ = metricsSrv.Close()
		}
		if pprofSrv != nil {
			_ = pprofSrv.Close()
		}
		q.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	mailer := "smtp " + cfg.SMTP.URL
	if a.outbox != nil {
		mailer = "outbox " + a.outbox.Dir()
	}
	log.Info("digest serve started", "version", readVersion().Version, "http_addr", ln.Addr().String(),
		"db", redact.URL(cfg.DB), "mailer", mailer, "base_url", cfg.BaseURL)

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stop signal: finishing in-flight work", "deadline", cfg.Queue.ShutdownTimeout.String())
	case err := <-httpErr:
		runErr = fmt.Errorf("http server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Queue.ShutdownTimeout+10*time.Second)
	defer cancel()
	if err := q.Stop(sctx); err != nil {
		log.Error("stop job queue", "error", err)
	}
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	if err := httpSrv.Shutdown(hctx); err != nil {
		log.Error("stop http server", "error", err)
	}
	if metricsSrv != nil {
		if err := metricsSrv.Shutdown(hctx); err != nil {
			log.Error("stop metrics server", "error", err)
		}
	}
	if pprofSrv != nil {
		_ = pprofSrv.Close() // a profile in progress is cut short
	}
	log.Info("digest serve stopped")
	return runErr
}

// topicLabels maps topic names to their labels for the web forms.
func topicLabels(topics []rank.Topic) map[string]string {
	m := make(map[string]string, len(topics))
	for _, t := range topics {
		if t.Label != "" {
			m[t.Name] = t.Label
		}
	}
	return m
}

// metricsServer returns the server for /metrics on http.metrics_addr, and
// its listener, or nil when metrics share the public port. It serves
// /metrics only, behind DIGEST_METRICS_TOKEN when one is set.
func metricsServer(cfg Config, h http.Handler, site *web.Server) (*http.Server, net.Listener, error) {
	if cfg.HTTP.MetricsAddr == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", cfg.HTTP.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on http.metrics_addr %s: %w", cfg.HTTP.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", web.RequireBearer(string(cfg.MetricsToken), h))
	hs := site.HTTPServer(cfg.HTTP.MetricsAddr)
	hs.Handler = mux
	return hs, ln, nil
}
