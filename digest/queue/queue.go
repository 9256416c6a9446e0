// Package queue runs the digest service's scheduled work as durable River
// jobs: a periodic gather, per-story summaries, a periodic planner that finds
// the subscribers whose local send time has come, and one deliver job per
// (subscriber, local date).
//
// Jobs are at-least-once: a job may run twice after a crash or a rescue.
// The delivery ledger in the store, not the queue, decides whether a digest
// is sent, so a repeated deliver job finds the row sent and does nothing.
//
// On SQLite the queue lives in the same database file, driven by River's
// riversqlite driver over a single connection; on Postgres it uses a pgx
// pool (LISTEN/NOTIFY wakes idle replicas when jobs are inserted). Several
// replicas on one database share the work; River elects one leader, and
// only the leader enqueues periodic jobs, so they fire once per period
// cluster-wide.
//
// Crash semantics: a replica killed mid-send leaves its deliver job
// "running" and its ledger row leased. After RescueAfter the leader makes
// the job available again; the rerun waits (snoozes) until the ledger lease
// has expired and then sends. Only a message the SMTP server accepted just
// before the kill, and not yet marked sent, can arrive twice.
package queue

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/metrics"
	"github.com/tradedigest/tradedigest/internal/defaults"
)

// ScheduleOff disables a periodic job when used as its schedule.
const ScheduleOff = "off"

// Config tunes the queue. Zero fields take the defaults listed.
type Config struct {
	// GatherSchedule is a cron expression (robfig/cron standard syntax,
	// "CRON_TZ=Zone" prefix and "@every 1m" accepted) for gathering all
	// sources ("*/30 * * * *"); "off" disables it.
	GatherSchedule string
	// PlanSchedule is when the planner looks for due subscribers
	// ("*/5 * * * *"); "off" disables it.
	PlanSchedule string
	// Workers is how many jobs one replica works at once (8); it also bounds
	// concurrent SMTP sends from this replica.
	Workers int
	// ShutdownTimeout is how long Stop lets running jobs finish before their
	// contexts are cancelled (30 s).
	ShutdownTimeout time.Duration
	// CatchUpDays is how many past local dates the start-up plan still sends
	// when they were missed during downtime; 0 sends only today's.
	CatchUpDays int
	// ReplicaID names this process among replicas (River's client ID);
	// empty means a random one. Two live processes must not share it.
	ReplicaID string

	// JobTimeout bounds one plan, summarise or deliver job (5 min). Keep it
	// below the engine's delivery lease so a slow send cannot outlive its
	// lease.
	JobTimeout time.Duration
	// GatherTimeout bounds one gather job; 0 means 10 min, or half of
	// RescueAfter when that is shorter (DefaultConfig leaves it 0).
	GatherTimeout time.Duration
	// RescueAfter is how long a job may stay running before the leader
	// considers its worker dead and runs it again (15 min); it is how soon
	// deliveries interrupted by a crashed replica are retried. It must exceed
	// JobTimeout and GatherTimeout.
	RescueAfter time.Duration
	// MaxSnooze caps how long a deferred or in-flight delivery waits before
	// its job looks at the ledger again (15 min).
	MaxSnooze time.Duration
	// StoryCacheTTL is how long one replica reuses its ranked, summarised
	// story list between deliver jobs (2 min, on the injected clock).
	StoryCacheTTL time.Duration
	// PollInterval is how often River polls for jobs when no notification
	// arrives (1 s); SQLite has no LISTEN, so this is its fetch latency.
	PollInterval time.Duration
	// NoStartupJobs skips the gather-then-plan that Start enqueues (tests).
	NoStartupJobs bool
	// MailboxSchedule is when the bounce mailbox is read, when
	// Deps.Mailbox is set ("*/5 * * * *").
	MailboxSchedule string
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		GatherSchedule:  "*/30 * * * *",
		PlanSchedule:    "*/5 * * * *",
		MailboxSchedule: "*/5 * * * *",
		Workers:         8,
		ShutdownTimeout: 30 * time.Second,
		JobTimeout:      5 * time.Minute,
		RescueAfter:     15 * time.Minute,
		MaxSnooze:       15 * time.Minute,
		StoryCacheTTL:   2 * time.Minute,
		PollInterval:    time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.GatherSchedule = cmp.Or(c.GatherSchedule, d.GatherSchedule)
	c.PlanSchedule = cmp.Or(c.PlanSchedule, d.PlanSchedule)
	c.MailboxSchedule = cmp.Or(c.MailboxSchedule, d.MailboxSchedule)
	c.Workers = defaults.PositiveOr(c.Workers, d.Workers)
	c.ShutdownTimeout = defaults.PositiveOr(c.ShutdownTimeout, d.ShutdownTimeout)
	c.JobTimeout = defaults.PositiveOr(c.JobTimeout, d.JobTimeout)
	if c.GatherTimeout <= 0 {
		c.GatherTimeout = 10 * time.Minute
		if c.RescueAfter > 0 && c.GatherTimeout >= c.RescueAfter {
			// A short RescueAfter (tests) must not be refused for a
			// default the caller never chose.
			c.GatherTimeout = max(c.JobTimeout, c.RescueAfter/2)
		}
	}
	c.RescueAfter = defaults.PositiveOr(c.RescueAfter, max(d.RescueAfter, c.JobTimeout+time.Minute, c.GatherTimeout+time.Minute))
	c.MaxSnooze = defaults.PositiveOr(c.MaxSnooze, d.MaxSnooze)
	c.StoryCacheTTL = defaults.PositiveOr(c.StoryCacheTTL, d.StoryCacheTTL)
	c.PollInterval = defaults.PositiveOr(c.PollInterval, d.PollInterval)
	return c
}

// Validate checks the configuration after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	for name, expr := range map[string]string{"gather schedule": c.GatherSchedule, "plan schedule": c.PlanSchedule, "mailbox schedule": c.MailboxSchedule} {
		if _, err := parseSchedule(expr); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if c.CatchUpDays < 0 {
		return fmt.Errorf("catch-up days %d: must not be negative", c.CatchUpDays)
	}
	if c.RescueAfter <= c.JobTimeout || c.RescueAfter <= c.GatherTimeout {
		return fmt.Errorf("rescue after %s: must exceed the job timeouts (%s, %s)", c.RescueAfter, c.JobTimeout, c.GatherTimeout)
	}
	return nil
}

// parseSchedule parses a cron expression; nil, nil means "off".
func parseSchedule(expr string) (cron.Schedule, error) {
	if strings.EqualFold(strings.TrimSpace(expr), ScheduleOff) {
		return nil, nil
	}
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("parse cron %q: %w", expr, err)
	}
	return s, nil
}

// Database is the store as the queue uses it: the reads of the planner and
// of the deliver jobs, and the database River keeps its jobs in.
// *store.DB implements it. Errors are the store's (digest.ErrNotFound for
// a missing subscriber or ledger row).
type Database interface {
	// ActiveTimeZones lists the time zones of the active subscribers.
	ActiveTimeZones(ctx context.Context) ([]string, error)
	// DueCandidates pages through the subscribers due on the dates asked.
	DueCandidates(ctx context.Context, q digest.DueQuery) ([]digest.DueCandidate, error)
	// ExpiredLeases lists up to limit ledger rows left sending past their
	// lease at now.
	ExpiredLeases(ctx context.Context, now time.Time, limit int) ([]digest.Delivery, error)
	Subscriber(ctx context.Context, id int64) (digest.Subscriber, error)
	// SubscribersByID reads a batch's subscribers in one statement; an
	// ID with no subscriber is left out.
	SubscribersByID(ctx context.Context, ids []int64) ([]digest.Subscriber, error)
	DeliveryFor(ctx context.Context, email, date string) (digest.Delivery, error)

	// SQL is the store's database/sql pool. On SQLite it holds one
	// connection, and River shares it; the queue counts its jobs through it.
	SQL() *sql.DB
	// PgxPool opens a pgx pool of River's own on Postgres (LISTEN/NOTIFY
	// wakes idle replicas), which the queue closes; nil on SQLite.
	PgxPool(ctx context.Context) (*pgxpool.Pool, error)
}

// Deps are what the queue works with.
type Deps struct {
	// Engine does the work; required.
	Engine *digest.Engine
	// DB is the store's database; required.
	DB Database
	// Sources lists the sources to gather, read afresh for each gather.
	Sources func(ctx context.Context) ([]digest.Source, error)
	// Mailbox, when set, reads the bounce mailbox; it runs as a periodic
	// job on Config.MailboxSchedule.
	Mailbox func(ctx context.Context) error
	Logger  *slog.Logger
	// Now is the clock for due times, snoozes and the story cache.
	Now     func() time.Time
	Metrics *metrics.Metrics
}

// riverClient is the part of river.Client the queue uses; it hides the
// driver's transaction type, which differs between pgx and database/sql.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// Queue is the durable scheduler and worker pool of one replica.
type Queue struct {
	cfg   Config
	deps  Deps
	store Database
	log   *slog.Logger

	client   riverClient
	migrate  func(ctx context.Context) error
	validate func(ctx context.Context) error
	closers  []func() error

	stories storyCache
	week    storyCache // the week's stories, for weekly editions
	runs    runScopes
	queued  queuedMark // the last gather that queued every summary

	mu      sync.Mutex
	started bool
	closed  bool
	// stopping is closed when Stop begins: a batch of deliveries sends
	// nothing more then (see deliverBatchWorker).
	stopping chan struct{}
}

// New builds a queue; it opens River's connection pool but starts nothing.
func New(cfg Config, deps Deps) (*Queue, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("queue config: %w", err)
	}
	if deps.Engine == nil {
		return nil, errors.New("queue: engine is required")
	}
	if deps.DB == nil {
		return nil, errors.New("queue: database is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Sources == nil {
		deps.Sources = func(context.Context) ([]digest.Source, error) { return nil, nil }
	}
	q := &Queue{cfg: cfg, deps: deps, store: deps.DB, log: deps.Logger.With("component", "queue"), stopping: make(chan struct{})}
	q.stories.ttl = cfg.StoryCacheTTL
	q.week.ttl = cfg.StoryCacheTTL

	rcfg, err := q.riverConfig()
	if err != nil {
		return nil, err
	}
	// Only pgx is linked for Postgres: River's database/sql driver would
	// bring lib/pq into the binary as well.
	pool, err := deps.DB.PgxPool(context.Background())
	switch {
	case err != nil:
		return nil, fmt.Errorf("queue: %w", err)
	case pool != nil:
		q.closers = append(q.closers, func() error { pool.Close(); return nil })
		err = buildWith(q, riverpgxv5.New(pool), rcfg)
		inner := q.migrate
		q.migrate = func(ctx context.Context) error { return migrateLocked(ctx, pool, inner) }
	default:
		err = buildWith(q, riversqlite.New(deps.DB.SQL()), rcfg)
	}
	if err != nil {
		q.Close()
		return nil, err
	}
	if deps.Metrics != nil {
		deps.Metrics.SetQueueDepth(q.Depth)
	}
	return q, nil
}

// buildWith makes the River client and migrator for one driver.
func buildWith[TTx any](q *Queue, d riverdriver.Driver[TTx], rcfg *river.Config) error {
	c, err := river.NewClient(d, rcfg)
	if err != nil {
		return fmt.Errorf("create river client: %w", err)
	}
	q.client = c
	q.migrate = func(ctx context.Context) error {
		m, err := rivermigrate.New(d, &rivermigrate.Config{Logger: riverLogger(q.deps.Logger)})
		if err != nil {
			return fmt.Errorf("river migrator: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("river migrations: %w", err)
		}
		return nil
	}
	q.validate = func(ctx context.Context) error {
		m, err := rivermigrate.New(d, &rivermigrate.Config{Logger: riverLogger(q.deps.Logger)})
		if err != nil {
			return fmt.Errorf("river migrator: %w", err)
		}
		res, err := m.Validate(ctx, nil)
		if err != nil {
			return fmt.Errorf("check job queue migrations: %w", err)
		}
		if !res.OK {
			return fmt.Errorf("job queue migrations not current (run digest migrate): %s", strings.Join(res.Messages, "; "))
		}
		return nil
	}
	return nil
}

func (q *Queue) riverConfig() (*river.Config, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &gatherWorker{q: q})
	river.AddWorker(workers, &summariseWorker{q: q})
	river.AddWorker(workers, &planWorker{q: q})
	river.AddWorker(workers, &deliverWorker{q: q})
	river.AddWorker(workers, &deliverBatchWorker{q: q})

	var periodic []*river.PeriodicJob
	gather, err := parseSchedule(q.cfg.GatherSchedule)
	if err != nil {
		return nil, fmt.Errorf("gather schedule: %w", err)
	}
	if gather != nil {
		periodic = append(periodic, river.NewPeriodicJob(gather, func() (river.JobArgs, *river.InsertOpts) {
			return GatherArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "gather"}))
	}
	plan, err := parseSchedule(q.cfg.PlanSchedule)
	if err != nil {
		return nil, fmt.Errorf("plan schedule: %w", err)
	}
	if plan != nil {
		periodic = append(periodic, river.NewPeriodicJob(plan, func() (river.JobArgs, *river.InsertOpts) {
			return PlanArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "plan"}))
	}
	mailbox, err := q.mailboxJobs(workers)
	if err != nil {
		return nil, fmt.Errorf("mailbox schedule: %w", err)
	}
	periodic = append(periodic, mailbox...)
	return &river.Config{
		ID:                   q.cfg.ReplicaID,
		Logger:               riverLogger(q.deps.Logger),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.cfg.Workers}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		JobTimeout:           q.cfg.JobTimeout,
		RescueStuckJobsAfter: q.cfg.RescueAfter,
		SoftStopTimeout:      q.cfg.ShutdownTimeout,
		FetchPollInterval:    q.cfg.PollInterval,
		FetchCooldown:        min(100*time.Millisecond, q.cfg.PollInterval),
	}, nil
}

// Migrate runs River's migrations for the dialect. The store's own
// migrations are the store's business (store.DB.Migrate).
func (q *Queue) Migrate(ctx context.Context) error {
	return q.migrate(ctx)
}

// Ready reports whether the job queue's tables are migrated to the
// version this build expects; for /readyz.
func (q *Queue) Ready(ctx context.Context) error {
	return q.validate(ctx)
}

// Start starts working jobs and, unless configured otherwise, enqueues a
// gather followed by a catch-up plan so that sends missed while no replica
// ran go out now. ctx bounds start-up only; call Stop to stop.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errors.New("queue: start after stop")
	}
	if q.started {
		return nil
	}
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start river client: %w", err)
	}
	q.started = true
	if !q.cfg.NoStartupJobs {
		if _, err := q.client.Insert(ctx, GatherArgs{Plan: true}, nil); err != nil {
			return fmt.Errorf("enqueue start-up gather: %w", err)
		}
	}
	q.log.Info("queue started", "replica", q.cfg.ReplicaID, "workers", q.cfg.Workers,
		"gather_schedule", q.cfg.GatherSchedule, "plan_schedule", q.cfg.PlanSchedule,
		"catch_up_days", q.cfg.CatchUpDays, "shutdown_timeout", q.cfg.ShutdownTimeout,
		"job_timeout", q.cfg.JobTimeout, "rescue_after", q.cfg.RescueAfter, "max_snooze", q.cfg.MaxSnooze,
		"clock", q.now().UTC().Format(time.RFC3339))
	return nil
}

// Stop stops fetching jobs, lets running ones finish within ShutdownTimeout
// (or ctx's deadline, if sooner), then cancels them and waits for them to
// return. A send cancelled this way before the relay had the message gives
// its ledger row back, pending and due (or, when the store cannot be
// written, leaves it leased until the lease expires); another replica, or
// this one after a restart, sends it. Stop closes the queue's own pools.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	started := q.started
	q.started = false
	q.mu.Unlock()
	var err error
	if started {
		// River escalates to cancelling jobs itself after SoftStopTimeout;
		// the extra margin lets it do so before we give up waiting.
		close(q.stopping)
		sctx, cancel := context.WithTimeout(ctx, q.cfg.ShutdownTimeout+5*time.Second)
		err = q.client.Stop(sctx)
		cancel()
		if err != nil {
			q.log.Warn("graceful stop timed out; cancelling running jobs", "error", err)
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err = q.client.StopAndCancel(hctx)
			cancel()
			if err != nil {
				err = fmt.Errorf("stop river client: %w", err)
			}
		}
		q.log.Info("queue stopped")
	}
	return errors.Join(err, q.Close())
}

// Close releases the pools the queue opened (for a Queue used only to
// Migrate or Enqueue). It does not stop a started queue; Stop does.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	if q.deps.Metrics != nil {
		q.deps.Metrics.SetQueueDepth(nil)
	}
	var errs []error
	for i := len(q.closers) - 1; i >= 0; i-- {
		errs = append(errs, q.closers[i]())
	}
	return errors.Join(errs...)
}

// EnqueuePlan asks for a plan now; catchUp also looks CatchUpDays back.
func (q *Queue) EnqueuePlan(ctx context.Context, catchUp bool) error {
	if _, err := q.client.Insert(ctx, PlanArgs{CatchUp: catchUp}, nil); err != nil {
		return fmt.Errorf("enqueue plan: %w", err)
	}
	return nil
}

// EnqueueGather asks for a gather now; plan also plans after it.
func (q *Queue) EnqueueGather(ctx context.Context, plan bool) error {
	if _, err := q.client.Insert(ctx, GatherArgs{Plan: plan}, nil); err != nil {
		return fmt.Errorf("enqueue gather: %w", err)
	}
	return nil
}

// activeStates are the job states that still have work to do.
var activeStates = []string{"available", "pending", "retryable", "running", "scheduled"}

// Depth counts unfinished jobs by state with one query, for the metrics
// scrape.
func (q *Queue) Depth(ctx context.Context) (map[string]int, error) {
	rows, err := q.store.SQL().QueryContext(ctx,
		`SELECT state, count(*) FROM river_job WHERE state IN ('`+strings.Join(activeStates, "','")+`') GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int, len(activeStates))
	for _, s := range activeStates {
		out[s] = 0
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count queued jobs: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count queued jobs: %w", err)
	}
	return out, nil
}

func (q *Queue) now() time.Time { return q.deps.Now() }

// riverLogger passes River's warnings and errors on; its info lines (each
// leadership change, each periodic insert) would drown ours.
func riverLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(minLevel{l.Handler(), slog.LevelWarn}).With("component", "river")
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// riverMigrateLock is the advisory lock key that serialises River's
// migrations across replicas (the store's migrations take their own).
const riverMigrateLock = 0x64696765 // "dige"

// migrateLocked runs migrate while holding a Postgres advisory lock, so
// replicas starting together on an empty database do not race to create
// River's tables (one of them would fail with a unique violation).
func migrateLocked(ctx context.Context, pool *pgxpool.Pool, migrate func(context.Context) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("river migrations: acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", riverMigrateLock); err != nil {
		return fmt.Errorf("river migrations: lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", riverMigrateLock)
	}()
	return migrate(ctx)
}
