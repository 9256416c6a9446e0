package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tradedigest/tradedigest/digest"
)

// Job priorities: River works lower numbers first, so a plan is never stuck
// behind thousands of deliveries and summaries are made before the sends
// that need them.
const (
	priorityPlan      = 1
	priorityGather    = 2
	prioritySummarise = 3
	priorityDeliver   = 4
)

// insertBatch bounds one InsertMany.
const insertBatch = 500

// planPage is how many candidates one planning query returns. Each query
// costs a round trip and its planning (~1 ms) besides its rows; a page's
// deliveries make up to ~planPage/deliverBatch·2 batch jobs for one
// InsertMany, and its memory is a few hundred kilobytes.
const planPage = 2000

// singleton is uniqueness among unfinished jobs of a kind with the same
// args: a periodic firing while the previous run is still queued or running
// adds nothing, but a finished run does not block the next one.
var singleton = river.UniqueOpts{
	ByArgs: true,
	ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	},
}

// GatherArgs asks for every source to be fetched.
type GatherArgs struct {
	// Plan enqueues a catch-up plan when the gather ends (start-up).
	Plan bool `json:"plan,omitempty"`
}

// Kind implements river.JobArgs.
func (GatherArgs) Kind() string { return "gather" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (GatherArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: priorityGather, UniqueOpts: singleton, MaxAttempts: 3}
}

// SummariseArgs asks for one story's summary to be made and cached. Only
// the content hash and summariser version make it unique; the rest is the
// text to summarise, carried so the worker needs no article lookup.
type SummariseArgs struct {
	ContentHash string   `json:"content_hash" river:"unique"`
	Version     string   `json:"version" river:"unique"`
	Title       string   `json:"title"`
	Text        string   `json:"text"`
	URL         string   `json:"url,omitempty"`
	Sources     []string `json:"sources,omitempty"`
	Language    string   `json:"language,omitempty"` // the article's, see digest.SummaryRequest
	// Run is the id of the gather job that queued it: the summaries of one
	// gather share one run-scoped summariser on each replica, and so one
	// token budget (RunTokenBudget). 0 gives the job a run of its own.
	Run int64 `json:"run,omitempty"`
}

// Kind implements river.JobArgs.
func (SummariseArgs) Kind() string { return "summarise" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SummariseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: prioritySummarise, UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 5}
}

// PlanArgs asks for the due subscribers to be found and their deliver jobs
// enqueued.
type PlanArgs struct {
	// CatchUp also plans the CatchUpDays local dates before today.
	CatchUp bool `json:"catch_up,omitempty"`
}

// Kind implements river.JobArgs.
func (PlanArgs) Kind() string { return "plan" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (PlanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: priorityPlan, UniqueOpts: singleton, MaxAttempts: 5}
}

// DeliverArgs asks for one subscriber's digest of one local date, or of one
// ISO week for a weekly reader.
type DeliverArgs struct {
	SubscriberID int64 `json:"subscriber_id"`
	// Date is the edition's ledger key: YYYY-MM-DD, or YYYY-Www.
	Date string `json:"date"`
	// Recover is the Unix time of the expired lease this job recovers (0
	// for a planned delivery). It makes the job distinct from the finished
	// one whose worker stopped before recording the outcome.
	Recover int64 `json:"recover,omitempty"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts. Unique by args in
// River's default states, completed included: a finished deliver job keeps
// planners on every replica from enqueueing the same (subscriber, date)
// again while River retains it (24 h), and the ledger check in the planner
// covers the time after.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: priorityDeliver, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// observe records a job's end in the metrics.
func (q *Queue) observe(kind string, err error) {
	if q.deps.Metrics != nil {
		q.deps.Metrics.ObserveJob(kind, q.now(), err)
	}
}

// gatherWorker fetches all sources and enqueues summaries for the stories
// they make, so summaries are ready before send time.
type gatherWorker struct {
	river.WorkerDefaults[GatherArgs]
	q *Queue
}

func (w *gatherWorker) Timeout(*river.Job[GatherArgs]) time.Duration { return w.q.cfg.GatherTimeout }

func (w *gatherWorker) Work(ctx context.Context, job *river.Job[GatherArgs]) (err error) {
	q := w.q
	defer func() { q.observe("gather", err) }()
	if job.Args.Plan {
		// Plan even when the gather fails: today's sends must not wait for
		// a broken feed.
		defer func() {
			if perr := q.EnqueuePlan(context.WithoutCancel(ctx), true); perr != nil {
				err = errors.Join(err, perr)
			}
		}()
	}
	started := q.now()
	var rep digest.Report
	sources, err := q.deps.Sources(ctx)
	if err != nil {
		return fmt.Errorf("list sources: %w", err)
	}
	if err := q.deps.Engine.Gather(ctx, sources, &rep); err != nil {
		return fmt.Errorf("gather: %w", err)
	}
	if rep.ArticlesNew > 0 {
		q.stories.invalidate()
		q.week.invalidate()
	}
	var queued int
	version := q.deps.Engine.Summarizer.Version()
	if rep.ArticlesNew == 0 && q.queued.fresh(version, started) {
		// Nothing new since this process last queued every summary the
		// window lacked, for this summariser: clustering the same window
		// again (seconds of CPU at hundreds of feeds) would queue nothing.
		rep.Notes = append(rep.Notes, "nothing new since the summaries were last queued: the window was not clustered again")
	} else if queued, err = q.enqueueSummaries(ctx, job.ID, &rep); err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	} else {
		q.queued.done(version, started)
	}
	q.deps.Engine.SaveRun(ctx, "gather", started, rep, nil)
	if q.deps.Metrics != nil {
		q.deps.Metrics.ObserveReport("gather", rep)
	}
	q.log.Info("gathered", "sources", len(sources), "articles", rep.ArticlesFetched,
		"new", rep.ArticlesNew, "stories", rep.Stories, "summaries_queued", queued, "errors", len(rep.Errors))
	return err
}

// queuedMark remembers when this process last queued every summary the
// window lacked (enqueueSummaries without error), and for which summariser
// version. A gather that stores nothing new within summariesFresh of that,
// for the same version, has the same stories and need not cluster them
// again. Another replica's gather that stored new articles queued their
// summaries itself; a story whose lead changes as the window slides, or
// one whose queueing failed elsewhere, is summarised when an edition is
// composed (EditionStories), as any summary missing at send time is.
type queuedMark struct {
	mu      sync.Mutex
	version string
	at      time.Time
}

// summariesFresh is how long a queueing pass stands for gathers that
// store nothing new: the window slides meanwhile, and a story whose oldest
// report leaves it gets a new lead (and summary) to queue.
const summariesFresh = 3 * time.Hour

func (m *queuedMark) fresh(version string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.at.IsZero() && m.version == version && now.Sub(m.at) < summariesFresh
}

func (m *queuedMark) done(version string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.version, m.at = version, now
}

// enqueueSummaries enqueues a summarise job, as part of the given gather
// run, for each summary the engine's edition stories still lack
// (Engine.SummariesToMake).
func (q *Queue) enqueueSummaries(ctx context.Context, run int64, rep *digest.Report) (int, error) {
	version, reqs, err := q.deps.Engine.SummariesToMake(ctx, rep)
	if err != nil {
		return 0, err
	}
	queued := 0
	for batch := range slices.Chunk(reqs, insertBatch) {
		params := make([]river.InsertManyParams, 0, len(batch))
		for _, req := range batch {
			params = append(params, river.InsertManyParams{Args: summariseArgs(req, version, run)})
		}
		res, err := q.client.InsertMany(ctx, params)
		if err != nil {
			return queued, fmt.Errorf("enqueue summaries: %w", err)
		}
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				queued++
			}
		}
	}
	return queued, nil
}

// summariseWorker makes and caches one story's summary.
type summariseWorker struct {
	river.WorkerDefaults[SummariseArgs]
	q *Queue
}

func (w *summariseWorker) Work(ctx context.Context, job *river.Job[SummariseArgs]) (err error) {
	q := w.q
	defer func() { q.observe("summarise", err) }()
	s, cached, err := summarise(ctx, q.deps.Engine, q.runs.get(job.Args.Run, q.deps.Engine), job.Args)
	if errors.Is(err, errStaleVersion) {
		q.log.Info("summary job for another summariser version dropped", "version", job.Args.Version)
		return nil
	}
	if err != nil {
		return err
	}
	if !cached && q.deps.Metrics != nil {
		rep := digest.Report{SummariesNew: 1, SummariesByBackend: map[string]int{s.Backend: 1},
			PromptTokens: s.PromptTokens, CompletionTokens: s.CompletionTokens}
		if s.Fallback {
			rep.SummariesFallback = 1
		}
		if s.Unfaithful() {
			rep.SummariesUnfaithful = 1
		}
		q.deps.Metrics.ObserveReport("summarise", rep)
	}
	return nil
}

// planWorker enqueues a deliver job for each active subscriber whose send
// time has come on their current local date (and, for a catch-up plan, the
// CatchUpDays dates before) and who has no finished ledger row for it.
type planWorker struct {
	river.WorkerDefaults[PlanArgs]
	q *Queue
}

func (w *planWorker) Work(ctx context.Context, job *river.Job[PlanArgs]) (err error) {
	q := w.q
	defer func() { q.observe("plan", err) }()
	res, err := q.Plan(ctx, job.Args.CatchUp)
	attrs := []any{"due", res.Due, "enqueued", res.Enqueued,
		"duplicate", res.Duplicate, "recovered", res.Recovered, "catch_up", job.Args.CatchUp}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	q.log.Info("planned", attrs...)
	if err == nil && res.Enqueued > 0 {
		// Digests are going out: keep the day's public edition for the web
		// archive their "view in browser" links point at.
		if stories, serr := q.storiesFor(ctx, false); serr == nil && len(stories) > 0 {
			q.deps.Engine.Archive(ctx, stories, "")
		}
	}
	return err
}

// PlanResult counts what one plan found.
type PlanResult struct {
	Due       int // (subscriber, date) pairs whose send time has passed, without a finished ledger row
	Enqueued  int // deliveries in deliver jobs inserted
	Duplicate int // deliveries in deliver jobs already queued (by another plan or replica)
	Recovered int // deliveries left sending past their lease, enqueued again
	Invalid   int // subscribers with an unparsable send time
}

// Plan does one planning pass at the queue's clock; it is what the plan job
// runs. The store answers one query per page of planPage candidates:
// the active subscribers whose send time has come by the wall clock of
// their zone and who have no finished ledger row for the local date (an
// anti-join on the ledger's unique index), so memory stays flat and no
// ledger row is read one at a time. Whether a candidate is due at this
// instant (DST, catch-up) is decided here, by dueDates. The deliveries go
// in jobs by subscriber ID range (see DeliverBatchArgs).
func (q *Queue) Plan(ctx context.Context, catchUp bool) (PlanResult, error) {
	var res PlanResult
	now := q.now()
	zones, err := q.store.ActiveTimeZones(ctx)
	if err != nil {
		return res, fmt.Errorf("list time zones: %w", err)
	}
	locs := make(map[string]*time.Location, len(zones))
	query := digest.DueQuery{Limit: planPage}
	for _, z := range zones {
		loc := digest.Subscriber{TimeZone: z}.Location()
		locs[z] = loc
		query.Dates = append(query.Dates, zoneDates(z, loc, now, catchUp, q.cfg.CatchUpDays)...)
	}
	// A subscriber comes once per candidate date, in a row: its due dates
	// are worked out once.
	var (
		lastID  int64
		due     []string
		dueErr  error
		batches batcher
	)
	for {
		page, err := q.store.DueCandidates(ctx, query)
		if err != nil {
			return res, fmt.Errorf("list due subscribers: %w", err)
		}
		for _, c := range page {
			query.AfterID, query.AfterDate = c.Subscriber.ID, c.Date
			sub := c.Subscriber
			if sub.ID != lastID {
				lastID = sub.ID
				due, dueErr = dueDates(sub, locs[sub.TimeZone], now, catchUp, q.cfg.CatchUpDays)
				if dueErr != nil {
					res.Invalid++
					q.log.Warn("subscriber has an invalid send time", "subscriber_id", sub.ID, "error", dueErr)
				}
			}
			if dueErr != nil {
				continue
			}
			key, ok := editionOf(sub, c.Date, locs[sub.TimeZone])
			if !ok || !slices.Contains(due, key) {
				continue
			}
			res.Due++
			batches.add(DeliverArgs{SubscriberID: sub.ID, Date: key})
		}
		last := len(page) < planPage
		if last {
			batches.closeRange()
		}
		enq, dup, err := batches.flush(ctx, q.client)
		if err != nil {
			return res, fmt.Errorf("enqueue deliveries: %w", err)
		}
		res.Enqueued += enq
		res.Duplicate += dup
		if last {
			break
		}
	}
	n, err := q.recoverExpired(ctx, now)
	res.Recovered = n
	return res, err
}

// editionOf returns the ledger key of sub's edition for the local date
// (YYYY-MM-DD) in loc, and whether their frequency sends on it.
func editionOf(sub digest.Subscriber, date string, loc *time.Location) (string, bool) {
	freq, err := digest.ParseFrequency(string(sub.Frequency))
	if err != nil {
		return "", false
	}
	day, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return "", false
	}
	// Noon never falls in a DST gap.
	return freq.EditionOn(day.Add(12 * time.Hour))
}

// zoneDates lists the local dates a plan at now asks the store about for
// the subscribers in time zone z (loaded as loc): today up to the wall
// clock it has reached, and when catching up the catchUpDays dates
// before, whole.
func zoneDates(z string, loc *time.Location, now time.Time, catchUp bool, catchUpDays int) []digest.ZoneDate {
	var out []digest.ZoneDate
	if catchUp {
		local := now.In(loc)
		for i := catchUpDays; i >= 1; i-- {
			// Noon never falls in a DST gap, so the date arithmetic is exact.
			day := time.Date(local.Year(), local.Month(), local.Day()-i, 12, 0, 0, 0, loc)
			out = append(out, digest.NewZoneDate(z, day, "24:00"))
		}
	}
	return append(out, digest.NewZoneDate(z, now.In(loc), digest.WallClockReached(now, loc)))
}

// recoverExpired enqueues a deliver job for each subscriber's row left in
// status sending past its lease: its worker stopped (crash, or a store
// outage longer than the engine's record retry) between claiming it and
// recording the outcome. Whether the relay took the message is unknown, so
// the row is sent again: at least once, and at most once more per row that
// was in flight. Rows of ad-hoc recipients (digest now --to) have no
// subscriber to plan for; the next digest now to them takes them over.
func (q *Queue) recoverExpired(ctx context.Context, now time.Time) (int, error) {
	rows, err := q.store.ExpiredLeases(ctx, now, insertBatch)
	if err != nil {
		return 0, fmt.Errorf("recover expired leases: %w", err)
	}
	var batch []river.InsertManyParams
	for _, d := range rows {
		if d.SubscriberID == 0 {
			continue
		}
		batch = append(batch, river.InsertManyParams{Args: DeliverArgs{
			SubscriberID: d.SubscriberID, Date: d.EditionDate, Recover: d.LeaseUntil.Unix()}})
	}
	if len(batch) == 0 {
		return 0, nil
	}
	inserted, err := q.client.InsertMany(ctx, batch)
	if err != nil {
		return 0, fmt.Errorf("enqueue recovered deliveries: %w", err)
	}
	n := 0
	for _, r := range inserted {
		if !r.UniqueSkippedAsDuplicate {
			n++
		}
	}
	if n > 0 {
		q.log.Warn("deliveries left sending past their lease; sending them again", "count", n)
	}
	return n, nil
}

// dueDates returns the ledger keys of the editions due for sub at now (see
// digest.DueIn): today's when its frequency sends today and its send time
// has passed, plus, when catching up, the edition of each of the
// catchUpDays dates before today on which the frequency sent and the
// subscriber already existed at send time. Oldest first, so editions go
// out in order; a key is listed once (a weekly edition's week has one).
// loc is the subscriber's time zone, loaded.
func dueDates(sub digest.Subscriber, loc *time.Location, now time.Time, catchUp bool, catchUpDays int) ([]string, error) {
	today, due, err := digest.DueIn(sub, now, loc)
	if err != nil {
		return nil, err
	}
	var dates []string
	if catchUp {
		freq, err := digest.ParseFrequency(string(sub.Frequency))
		if err != nil {
			return nil, err
		}
		local := now.In(loc)
		for i := catchUpDays; i >= 1; i-- {
			// Noon never falls in a DST gap, so the date arithmetic is exact.
			day := time.Date(local.Year(), local.Month(), local.Day()-i, 12, 0, 0, 0, loc)
			key, sends := freq.EditionOn(day)
			if !sends || slices.Contains(dates, key) || (due && key == today) {
				continue
			}
			at, err := digest.SendAtIn(sub, day, loc)
			if err != nil {
				return nil, err
			}
			if !sub.CreatedAt.IsZero() && sub.CreatedAt.After(at) {
				continue
			}
			dates = append(dates, key)
		}
	}
	if due {
		dates = append(dates, today)
	}
	return dates, nil
}

// deliverWorker sends one subscriber's digest of one date through the
// engine's ledger-guarded Deliver.
type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	q *Queue
}

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	err := w.q.deliver(ctx, job.Args)
	w.q.observeDelivery(err)
	return err
}

// observeDelivery records the end of one delivery's work in the metrics;
// a snooze is not a failure.
func (q *Queue) observeDelivery(err error) {
	var snooze *rivertype.JobSnoozeError
	if errors.As(err, &snooze) {
		err = nil
	}
	q.observe("deliver", err)
}

// deliver is the work of one deliver job: nil when the ledger has the
// final word, a river.JobSnooze error when the delivery must wait, or
// another error for River to retry.
func (q *Queue) deliver(ctx context.Context, args DeliverArgs) error {
	sub, err := q.store.Subscriber(ctx, args.SubscriberID)
	if errors.Is(err, digest.ErrNotFound) {
		return nil // removed since the plan
	}
	if err != nil {
		return fmt.Errorf("load subscriber %d: %w", args.SubscriberID, err)
	}
	if sub.Status != digest.StatusActive {
		return nil // unsubscribed, paused or bounced since the plan
	}
	stories, err := q.storiesFor(ctx, digest.IsWeekKey(args.Date))
	if err != nil {
		return err
	}
	outcome, err := q.deps.Engine.Deliver(ctx, sub, args.Date, stories, digest.DeliverOptions{RecordEmpty: true})
	return q.settle(ctx, sub, args.Date, outcome, err)
}

// settle turns how one delivery ended into its job's answer: nil when the
// ledger has the final word, a river.JobSnooze error when the delivery
// must wait, or another error for River to retry.
func (q *Queue) settle(ctx context.Context, sub digest.Subscriber, date string, outcome digest.Outcome, err error) error {
	if q.deps.Metrics != nil {
		q.deps.Metrics.ObserveDelivery(outcome, err)
	}
	if errors.Is(err, digest.ErrLedger) {
		// The ledger could not be written (store outage, full disk). The
		// job is retried with River's back-off; a message the relay took is
		// then recorded without being sent again by this replica (the
		// engine remembers it), or, after a crash, sent again once its
		// lease has expired: at least once.
		return fmt.Errorf("deliver to subscriber %d for %s: %w", sub.ID, date, err)
	}
	switch outcome {
	case digest.OutcomeSent:
		if err != nil {
			q.log.Error("digest sent but not recorded", "subscriber_id", sub.ID, "date", date, "error", err)
		}
		return nil
	case digest.OutcomeDeferred, digest.OutcomeInFlight:
		if err != nil {
			q.log.Warn("delivery deferred", "subscriber_id", sub.ID, "date", date, "error", err)
		}
		return q.snoozeUntilDue(ctx, sub, date)
	case "":
		return fmt.Errorf("deliver to subscriber %d for %s: %w", sub.ID, date, err)
	}
	// Already sent, empty (recorded skipped) or permanently failed: the
	// ledger has the final word.
	return nil
}

// snoozeUntilDue puts the job back until the ledger row can be claimed
// again: the end of another worker's lease, or the next retry of a
// temporary failure.
func (q *Queue) snoozeUntilDue(ctx context.Context, sub digest.Subscriber, date string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	d, err := q.store.DeliveryFor(ctx, sub.Email, date)
	if err != nil {
		return fmt.Errorf("read ledger after deferral: %w", err)
	}
	at := d.NextAttempt
	if d.Status == digest.DeliverySending {
		at = d.LeaseUntil
	}
	return river.JobSnooze(q.snoozeFor(at))
}

// snoozeFor is the wait until at on the queue's clock, at least a second
// and at most MaxSnooze.
func (q *Queue) snoozeFor(at time.Time) time.Duration {
	wait := at.Sub(q.now())
	return min(max(wait, time.Second), q.cfg.MaxSnooze)
}

func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return w.q.cfg.JobTimeout }
