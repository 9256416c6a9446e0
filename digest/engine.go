package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Config tunes the engine. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	// Lookback is how far back an edition reaches when the recipient has had
	// no digest yet, and the cap for everyone (36 h).
	Lookback time.Duration
	// RecencyWindow bounds the first gather of a new source, so that adding
	// a feed does not flood the next digest with its backlog (36 h).
	RecencyWindow time.Duration
	// MaxStories caps the stories in one edition (20).
	MaxStories int
	// SendEmpty sends a "no major trade news" edition instead of nothing.
	SendEmpty bool

	GatherConcurrency    int // sources fetched at once (16)
	SummarizeConcurrency int // summaries made at once (8)
	SendConcurrency      int // messages composed and sent at once (4)

	// Lease is how long a claimed delivery is reserved for one worker (10 min).
	Lease time.Duration
	// RetryBase is the first back-off after a temporary send failure (2 min);
	// it doubles per attempt up to RetryMax (2 h).
	RetryBase time.Duration
	RetryMax  time.Duration
	// RetryWindow is how long temporary failures are retried before the
	// delivery is recorded as failed (24 h).
	RetryWindow time.Duration
	// BounceAfter permanent failures mark a subscriber bounced (3).
	BounceAfter int
	// FailingSourceWarn consecutive failures make a source log at warn (3).
	FailingSourceWarn int

	From            string // sender address, "Name <addr>" or "addr"
	ListID          string // List-Id header value
	MessageIDDomain string // right side of generated Message-IDs
	// DefaultTimeZone is used for ad-hoc recipients (--to); "" means UTC.
	DefaultTimeZone string
	// Lead asks a LeadWriter summarizer for an opening paragraph.
	Lead bool
}

// DefaultConfig returns the engine defaults.
func DefaultConfig() Config {
	return Config{
		Lookback:             36 * time.Hour,
		RecencyWindow:        36 * time.Hour,
		MaxStories:           20,
		GatherConcurrency:    16,
		SummarizeConcurrency: 8,
		SendConcurrency:      4,
		Lease:                10 * time.Minute,
		RetryBase:            2 * time.Minute,
		RetryMax:             2 * time.Hour,
		RetryWindow:          24 * time.Hour,
		BounceAfter:          3,
		FailingSourceWarn:    3,
		From:                 "Trade Digest <digest@localhost>",
		ListID:               "Trade digest <digest.localhost>",
		MessageIDDomain:      "digest.localhost",
	}
}

// Links builds the personal and public links put in each message.
// Implemented by web.Links; nil means no links (local use without a server).
type Links interface {
	UnsubscribeURL(sub Subscriber) string
	PreferencesURL(sub Subscriber) string
	ArchiveURL(date string) string
}

// PublicRenderer is implemented by renderers that can render the public,
// non-personal version of an edition for the web archive.
type PublicRenderer interface {
	RenderPublic(ed Edition) (ArchivedEdition, error)
}

// Engine runs the pipeline. Fields are set by the caller (cmd/digest); Store,
// Clusterer, Summarizer, Renderer and Mailer are required, the rest optional.
type Engine struct {
	Store      Store
	Clusterer  Clusterer
	Ranker     Ranker
	Summarizer Summarizer
	Renderer   Renderer
	Mailer     Mailer
	Links      Links
	Progress   Progress
	Logger     *slog.Logger
	Now        func() time.Time
	Config     Config

	// summaries makes concurrent requests for one (hash, version) in this
	// process share one summariser call: a deliver job building its story
	// list while the summarise job for the same story runs must not pay
	// for a second LLM call. Engines are used by pointer, never copied.
	summaries singleflight.Group
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (e *Engine) stage(name string, total int) {
	if e.Progress != nil {
		e.Progress.Stage(name, total)
	}
}

func (e *Engine) step(name string) {
	if e.Progress != nil {
		e.Progress.Step(name)
	}
}

// recorder serialises updates to a Report from many goroutines.
type recorder struct {
	mu  sync.Mutex
	rep *Report
}

func (r *recorder) do(f func(rep *Report)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.rep)
}

// Gather fetches every source with bounded concurrency, stores new articles
// and updates each source's state. A failing source is recorded in the
// report and in its state; the others go on. Gather returns an error only
// when the context ends.
func (e *Engine) Gather(ctx context.Context, sources []Source, rep *Report) error {
	return e.gather(ctx, sources, e.Config.RecencyWindow, rep)
}

// gather is Gather with the first-gather recency window given.
func (e *Engine) gather(ctx context.Context, sources []Source, window time.Duration, rep *Report) error {
	start := time.Now()
	defer func() { rep.Stages = append(rep.Stages, StageTiming{"gather", time.Since(start)}) }()
	e.stage("gather", len(sources))
	rec := &recorder{rep: rep}
	sem := make(chan struct{}, max(1, e.Config.GatherConcurrency))
	var wg sync.WaitGroup
	for _, src := range sources {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			sr := e.gatherOne(ctx, src, window)
			rec.do(func(rep *Report) {
				rep.Sources = append(rep.Sources, sr)
				rep.ArticlesFetched += sr.Articles
				rep.ArticlesNew += sr.New
				if sr.Error != "" {
					rep.Errors = append(rep.Errors, fmt.Sprintf("source %s: %s", sr.ID, sr.Error))
				}
			})
			e.step("gather")
		}()
	}
	wg.Wait()
	sort.Slice(rep.Sources, func(i, j int) bool { return rep.Sources[i].ID < rep.Sources[j].ID })
	return ctx.Err()
}

func (e *Engine) gatherOne(ctx context.Context, src Source, window time.Duration) SourceReport {
	sr := SourceReport{ID: src.ID(), Name: src.Name()}
	t0 := time.Now()
	defer func() { sr.Duration = time.Since(t0) }()
	log := e.log().With("source", src.ID())

	prev, err := e.Store.SourceState(ctx, src.ID())
	if err != nil {
		sr.Error = fmt.Sprintf("read source state: %v", err)
		return sr
	}
	prev.SourceID = src.ID()
	now := e.now()
	res, err := src.Fetch(ctx, prev)
	sr.Bytes = res.Bytes
	if err != nil {
		// A failed fetch changes only the health fields: validators and
		// FirstGathered stay, so nothing is re-sent or re-flooded later.
		st := prev
		st.LastAttempt = now
		st.LastError = err.Error()
		st.ConsecutiveFailures++
		sr.Error = err.Error()
		sr.Failures = st.ConsecutiveFailures
		if serr := e.Store.SaveSourceState(ctx, st); serr != nil {
			log.Error("save source state", "error", serr)
		}
		lvl := slog.LevelInfo
		if st.ConsecutiveFailures >= max(1, e.Config.FailingSourceWarn) {
			lvl = slog.LevelWarn
		}
		log.Log(ctx, lvl, "source failed", "error", err, "consecutive_failures", st.ConsecutiveFailures)
		return sr
	}
	for _, w := range res.Warnings {
		log.Info("source warning", "warning", w)
	}
	sr.NotModified = res.NotModified
	articles := res.Articles
	sr.Articles = len(articles)
	if prev.FirstGathered.IsZero() && window > 0 {
		// First gather of a new source: keep only its recent items.
		cut := now.Add(-window)
		kept := articles[:0]
		for _, a := range articles {
			if a.Published.IsZero() || a.Published.After(cut) {
				kept = append(kept, a)
			}
		}
		articles = kept
	}
	for i := range articles {
		a := &articles[i]
		if a.SourceID == "" {
			a.SourceID = src.ID()
		}
		if a.SourceName == "" {
			a.SourceName = src.Name()
		}
		if a.FetchedAt.IsZero() {
			a.FetchedAt = now
		}
		if a.Published.IsZero() {
			a.Published = now
		}
		if a.ContentHash == "" {
			a.ContentHash = ContentHash(a.Text)
		}
	}
	inserted, err := e.Store.SaveArticles(ctx, articles)
	if err != nil {
		sr.Error = fmt.Sprintf("save articles: %v", err)
		return sr
	}
	sr.New = len(inserted)
	st := res.State
	st.SourceID = src.ID()
	if st.ETag == "" && st.LastModified == "" && res.NotModified {
		st.ETag, st.LastModified = prev.ETag, prev.LastModified
	}
	st.FirstGathered = prev.FirstGathered
	if st.FirstGathered.IsZero() {
		st.FirstGathered = now
	}
	st.LastAttempt, st.LastSuccess = now, now
	st.LastError, st.ConsecutiveFailures = "", 0
	if err := e.Store.SaveSourceState(ctx, st); err != nil {
		log.Error("save source state", "error", err)
	}
	log.Debug("source gathered", "articles", sr.Articles, "new", sr.New, "not_modified", sr.NotModified)
	return sr
}

// Stories clusters the articles published after since into stories, drops
// those the ranker finds irrelevant and summarises the rest (from the cache
// when possible). The result is ranked best first.
func (e *Engine) Stories(ctx context.Context, since time.Time, rep *Report) ([]Story, error) {
	sum := e.RunSummarizer()
	stories, err := e.stories(ctx, sum, since, rep)
	addUsage(sum, rep)
	return stories, err
}

// RunSummarizer returns the summarizer for one run: run-scoped when the
// summarizer keeps per-run state such as a token budget.
func (e *Engine) RunSummarizer() Summarizer {
	if rs, ok := e.Summarizer.(RunScoped); ok {
		return rs.ForRun()
	}
	return e.Summarizer
}

// addUsage adds what the run's summarizer spent to the report.
func addUsage(sum Summarizer, rep *Report) {
	if ur, ok := sum.(UsageReporter); ok {
		u := ur.Usage()
		rep.PromptTokens += u.PromptTokens
		rep.CompletionTokens += u.CompletionTokens
		rep.CostUSD += u.CostUSD
		rep.SummariesOverBudget += u.OverBudget
	}
}

func (e *Engine) stories(ctx context.Context, sum Summarizer, since time.Time, rep *Report) ([]Story, error) {
	start := time.Now()
	articles, err := e.Store.ArticlesSince(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("load articles: %w", err)
	}
	stories, err := e.Clusterer.Cluster(ctx, articles)
	if err != nil {
		return nil, fmt.Errorf("cluster articles: %w", err)
	}
	all := len(stories)
	if e.Ranker != nil {
		stories = e.Ranker.Rank(stories, e.now())
	}
	rep.Stories = len(stories)
	rep.StoriesDropped = all - len(stories)
	rep.Stages = append(rep.Stages, StageTiming{"cluster", time.Since(start)})

	start = time.Now()
	stories, err = e.summarize(ctx, sum, stories, rep)
	rep.Stages = append(rep.Stages, StageTiming{"summarise", time.Since(start)})
	if err != nil {
		return nil, err
	}
	if e.Ranker != nil {
		// Summaries may carry LLM topics and importance that refine the rank.
		stories = e.Ranker.Rank(stories, e.now())
	}
	return stories, nil
}

func (e *Engine) summarize(ctx context.Context, sum Summarizer, stories []Story, rep *Report) ([]Story, error) {
	version := sum.Version()
	e.stage("summarise", len(stories))
	rec := &recorder{rep: rep}
	sem := make(chan struct{}, max(1, e.Config.SummarizeConcurrency))
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for i := range stories {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, cached, err := e.summaryFor(ctx, sum, version, stories[i])
			e.step("summarise")
			if err != nil {
				errOnce.Do(func() { firstErr = err })
				return
			}
			stories[i].Summary = s
			rec.do(func(rep *Report) {
				if cached {
					rep.SummariesCached++
					return
				}
				rep.SummariesNew++
				if s.Fallback {
					rep.SummariesFallback++
				}
				if rep.SummariesByBackend == nil {
					rep.SummariesByBackend = map[string]int{}
				}
				rep.SummariesByBackend[s.Backend]++
			})
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return stories, nil
}

// summaryFor returns the summary of the story's lead text (see Summary).
func (e *Engine) summaryFor(ctx context.Context, sum Summarizer, version string, st Story) (Summary, bool, error) {
	lead := st.Lead()
	req := SummaryRequest{Title: lead.Title, Text: lead.Text, URL: lead.URL, ContentHash: lead.ContentHash}
	for _, a := range st.Articles {
		req.Sources = append(req.Sources, a.SourceName)
	}
	return e.summary(ctx, sum, version, req)
}

// Summary returns the cached summary of req for sum's version, or makes and
// caches one; cached reports a cache hit. A fallback the LLM could not be
// asked for (RetryLater) is cached under its own (extractive) version, so a
// later run asks again; any other summary is cached under sum's version.
// Scheduled summarise jobs and Stories share it, so both cache alike.
func (e *Engine) Summary(ctx context.Context, sum Summarizer, req SummaryRequest) (Summary, bool, error) {
	return e.summary(ctx, sum, sum.Version(), req)
}

func (e *Engine) summary(ctx context.Context, sum Summarizer, version string, req SummaryRequest) (Summary, bool, error) {
	if req.ContentHash == "" {
		req.ContentHash = ContentHash(req.Text)
	}
	type result struct {
		s      Summary
		cached bool
	}
	v, err, shared := e.summaries.Do(req.ContentHash+"\x00"+version, func() (any, error) {
		s, cached, err := e.makeSummary(ctx, sum, version, req)
		return result{s, cached}, err
	})
	if err != nil {
		return Summary{}, false, err
	}
	r := v.(result)
	// When callers shared one call, each reports a cache hit, so that no
	// summary is counted as new twice.
	return r.s, r.cached || shared, nil
}

// makeSummary reads the cache, or summarises and caches.
func (e *Engine) makeSummary(ctx context.Context, sum Summarizer, version string, req SummaryRequest) (Summary, bool, error) {
	hash := req.ContentHash
	if s, err := e.Store.Summary(ctx, hash, version); err == nil {
		return s, true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Summary{}, false, fmt.Errorf("read summary cache: %w", err)
	}
	s, err := sum.Summarize(ctx, req)
	if err != nil {
		return Summary{}, false, fmt.Errorf("summarise %q: %w", req.Title, err)
	}
	s.ContentHash = hash
	if s.Version == "" || (s.Fallback && !s.RetryLater) {
		s.Version = version
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = e.now()
	}
	if err := e.Store.SaveSummary(ctx, s); err != nil {
		return Summary{}, false, fmt.Errorf("save summary: %w", err)
	}
	return s, false, nil
}

// DeliverOptions change how one delivery is made.
type DeliverOptions struct {
	// Force sends again even when the ledger says the digest was sent.
	Force bool
	// RecordEmpty marks an empty edition skipped in the ledger (scheduled
	// runs); otherwise an empty edition leaves no trace, so a later run the
	// same day can still send news that arrived since.
	RecordEmpty bool
	// Since overrides the edition's lower bound (zero: the recipient's last
	// digest, capped by Config.Lookback).
	Since time.Time
	// Lead is the edition's opening paragraph, if any.
	Lead string
}

// Outcome is what happened to one delivery.
type Outcome string

// Delivery outcomes.
const (
	OutcomeSent        Outcome = "sent"
	OutcomeAlreadySent Outcome = "already_sent"
	OutcomeInFlight    Outcome = "in_flight" // another worker holds the lease
	OutcomeEmpty       Outcome = "empty"
	OutcomeDeferred    Outcome = "deferred" // temporary failure; retried later
	OutcomeFailed      Outcome = "failed"   // permanent failure
)

// MessageID returns the deterministic Message-ID (without angle brackets) of
// the digest for email on date; a forced resend (generation > 0) gets a new
// one so that clients do not discard it as a duplicate.
func (e *Engine) MessageID(email, date string, generation int) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	id := fmt.Sprintf("digest.%s.%s", date, hex.EncodeToString(sum[:8]))
	if generation > 0 {
		id += fmt.Sprintf(".r%d", generation)
	}
	domain := e.Config.MessageIDDomain
	if domain == "" {
		domain = "digest.localhost"
	}
	return id + "@" + domain
}

// Deliver composes and sends the edition of date for sub, guarded by the
// ledger: at most one send per (email, date) unless forced. stories is the
// ranked, summarised list of the run; it is filtered per recipient.
func (e *Engine) Deliver(ctx context.Context, sub Subscriber, date string, stories []Story, opts DeliverOptions) (Outcome, error) {
	// The recipient's log attributes are made only when a record is written:
	// hashing the address and building a logger for every delivery cost
	// about 1 % of BenchmarkDeliver's CPU.
	log := func() *slog.Logger { return e.log().With("email_hash", shortHash(sub.Email), "date", date) }
	d, err := e.Store.DeliveryFor(ctx, sub.Email, date)
	switch {
	case errors.Is(err, ErrNotFound):
		d = Delivery{}
	case err != nil:
		return "", fmt.Errorf("read ledger: %w", err)
	}
	if d.ID != 0 && (d.Status == DeliverySent || d.Status == DeliveryFailed || d.Status == DeliverySkipped) {
		if !opts.Force {
			return OutcomeAlreadySent, nil
		}
		if d, err = e.Store.ResetDelivery(ctx, d.ID, e.now()); err != nil {
			return "", fmt.Errorf("reset delivery: %w", err)
		}
	}

	ed, err := e.Compose(ctx, sub, date, stories, opts)
	if err != nil {
		return "", err
	}
	if len(ed.Stories) == 0 && !e.Config.SendEmpty && !opts.RecordEmpty {
		return OutcomeEmpty, nil
	}

	if d.ID == 0 {
		d, err = e.Store.EnsureDelivery(ctx, Delivery{
			SubscriberID: sub.ID, Email: sub.Email, EditionDate: date,
			MessageID: e.MessageID(sub.Email, date, 0), Status: DeliveryPending,
		})
		if err != nil {
			return "", fmt.Errorf("create ledger row: %w", err)
		}
	}
	now := e.now()
	d, err = e.Store.ClaimDelivery(ctx, d.ID, now, e.lease())
	switch {
	case errors.Is(err, ErrAlreadySent):
		return OutcomeAlreadySent, nil
	case errors.Is(err, ErrLeased):
		return OutcomeInFlight, nil
	case err != nil:
		return "", fmt.Errorf("claim delivery: %w", err)
	}

	if len(ed.Stories) == 0 && !e.Config.SendEmpty {
		if err := e.Store.MarkSkipped(ctx, d.ID, e.now(), "no stories"); err != nil {
			return "", fmt.Errorf("record empty edition: %w", err)
		}
		return OutcomeEmpty, nil
	}

	msg, err := e.Renderer.Render(ed)
	if err != nil {
		// A template failure is ours, not the recipient's: give the lease back
		// as a temporary failure so a fixed deployment sends it.
		e.fail(ctx, d, fmt.Errorf("render: %w", err))
		return OutcomeDeferred, fmt.Errorf("render edition: %w", err)
	}
	msg.From = e.Config.From
	msg.To, msg.ToName = sub.Email, sub.Name
	msg.MessageID = e.MessageID(sub.Email, date, d.Generation)
	msg.Date = now
	msg.ListID = e.Config.ListID
	msg.UnsubscribeURL, msg.UnsubscribeMailto = ed.UnsubscribeURL, ed.UnsubscribeMailto

	if err := e.Mailer.Send(ctx, msg); err != nil {
		outcome := e.fail(ctx, d, err)
		log().Warn("send failed", "error", err, "outcome", outcome, "attempts", d.Attempts)
		return outcome, nil
	}
	// The server said 250: record it before anything else can fail. The
	// context may be ending (shutdown), and the row must still be marked.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.Store.MarkSent(mctx, d.ID, e.now(), len(ed.Stories)); err != nil {
		return OutcomeSent, fmt.Errorf("record sent delivery %d: %w", d.ID, err)
	}
	if e.log().Enabled(ctx, slog.LevelDebug) {
		log().Debug("digest sent", "stories", len(ed.Stories), "message_id", msg.MessageID)
	}
	return OutcomeSent, nil
}

// fail records a send failure and returns the outcome. Temporary failures
// are retried with exponential back-off and jitter until the retry window
// closes; permanent ones are final and may mark the subscriber bounced.
func (e *Engine) fail(ctx context.Context, d Delivery, sendErr error) Outcome {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := e.now()
	permanent := IsPermanent(sendErr)
	reason := sendErr.Error()
	window := e.Config.RetryWindow
	if !permanent && window > 0 && !d.CreatedAt.IsZero() && now.Sub(d.CreatedAt) >= window {
		permanent = true
		reason = fmt.Sprintf("gave up after %s of temporary failures: %s", window, reason)
	}
	retryAt := now.Add(e.backoff(d.Attempts))
	if err := e.Store.MarkFailed(ctx, d.ID, now, truncate(reason, 500), permanent, retryAt); err != nil {
		e.log().Error("record failed delivery", "delivery_id", d.ID, "error", err)
	}
	if !permanent {
		return OutcomeDeferred
	}
	if d.SubscriberID != 0 && e.Config.BounceAfter > 0 && IsPermanent(sendErr) {
		n, err := e.Store.PermanentFailures(ctx, d.Email)
		if err == nil && n >= e.Config.BounceAfter {
			if err := e.Store.SetSubscriberStatus(ctx, d.SubscriberID, StatusBounced); err != nil {
				e.log().Error("mark subscriber bounced", "subscriber_id", d.SubscriberID, "error", err)
			}
		}
	}
	return OutcomeFailed
}

func (e *Engine) lease() time.Duration {
	if e.Config.Lease > 0 {
		return e.Config.Lease
	}
	return 10 * time.Minute
}

// backoff returns the wait after the attempts-th failure: RetryBase doubled
// per attempt, capped at RetryMax, with ±20 % jitter so that a relay coming
// back is not hit by every retry at once.
func (e *Engine) backoff(attempts int) time.Duration {
	base, limit := e.Config.RetryBase, e.Config.RetryMax
	if base <= 0 {
		base = 2 * time.Minute
	}
	if limit <= 0 {
		limit = 2 * time.Hour
	}
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}

// Compose builds the edition of date for sub from the run's ranked stories:
// those newer than the recipient's last digest (capped by Lookback; a
// forced resend ignores the last digest), matching their topics, capped at
// MaxStories.
func (e *Engine) Compose(ctx context.Context, sub Subscriber, date string, stories []Story, opts DeliverOptions) (Edition, error) {
	now := e.now()
	since := opts.Since
	if since.IsZero() {
		since = now.Add(-e.Config.Lookback)
		if !opts.Force {
			last, err := e.Store.LastSent(ctx, sub.Email)
			if err != nil {
				return Edition{}, fmt.Errorf("read last delivery: %w", err)
			}
			if last.After(since) {
				since = last
			}
		}
	}
	ed := Edition{
		Date: date, Recipient: sub, GeneratedAt: now, Since: since, Lead: opts.Lead,
		UnsubscribeMailto: unsubscribeMailto(e.Config.From),
	}
	if e.Links != nil {
		ed.UnsubscribeURL = e.Links.UnsubscribeURL(sub)
		ed.PreferencesURL = e.Links.PreferencesURL(sub)
		ed.ArchiveURL = e.Links.ArchiveURL(date)
	}
	for _, st := range stories {
		if !newerThan(st, since) || !matchesTopics(st, sub.Topics) {
			continue
		}
		if e.Config.MaxStories > 0 && len(ed.Stories) >= e.Config.MaxStories {
			ed.More++
			continue
		}
		ed.Stories = append(ed.Stories, st)
	}
	return ed, nil
}

func newerThan(st Story, since time.Time) bool {
	for _, a := range st.Articles {
		if a.Published.After(since) {
			return true
		}
	}
	return false
}

func matchesTopics(st Story, topics []string) bool {
	if len(topics) == 0 {
		return true
	}
	for _, want := range topics {
		for _, have := range st.Topics {
			if strings.EqualFold(want, have) {
				return true
			}
		}
		for _, have := range st.Summary.Topics {
			if strings.EqualFold(want, have) {
				return true
			}
		}
	}
	return false
}

// unsubscribeMailto returns a mailto: unsubscribe address at the sender.
func unsubscribeMailto(from string) string {
	addr := from
	if i := strings.LastIndex(from, "<"); i >= 0 {
		addr = strings.TrimSuffix(from[i+1:], ">")
	}
	addr = strings.TrimSpace(addr)
	if !strings.Contains(addr, "@") {
		return ""
	}
	return "mailto:" + addr + "?subject=unsubscribe"
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(s)))
	return hex.EncodeToString(sum[:4])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// RunOptions say what one `digest now` run does.
type RunOptions struct {
	Sources []Source
	// Since is the gather/edition window (24 h by default in the CLI).
	Since time.Duration
	// To sends to these addresses instead of the subscriber list.
	To []string
	// Force sends again even when today's digest went out.
	Force bool
	// DryRun prints the plain-text digest to DryRunOut and sends nothing.
	DryRun    bool
	DryRunOut io.Writer
}

// Run does the whole job once: gather, cluster, summarise, compose and
// deliver today's edition to every recipient. It returns the report of the
// run; the error is for failures of the run as a whole (store unreachable,
// context ended), not for single sources or recipients, which the report
// lists.
func (e *Engine) Run(ctx context.Context, opts RunOptions) (Report, error) {
	var rep Report
	started := e.now()
	window := opts.Since
	if window <= 0 {
		window = 24 * time.Hour
	}
	// Asked for a wider window than a new source's first gather keeps:
	// honour the request (digest now --since 240h on a new feed).
	if err := e.gather(ctx, opts.Sources, max(window, e.Config.RecencyWindow), &rep); err != nil {
		return rep, err
	}
	since := started.Add(-window)
	sum := e.RunSummarizer()
	stories, err := e.stories(ctx, sum, since, &rep)
	if err != nil {
		addUsage(sum, &rep)
		return rep, err
	}
	if len(stories) == 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("nothing new since %s", since.Format("2006-01-02 15:04 MST")))
		addUsage(sum, &rep)
		return rep, nil
	}
	lead := e.lead(ctx, sum, stories, &rep)
	addUsage(sum, &rep)

	start := time.Now()
	err = e.deliverRun(ctx, opts, stories, since, lead, &rep)
	rep.Stages = append(rep.Stages, StageTiming{"deliver", time.Since(start)})
	return rep, err
}

// deliverRun is Run's last stage: print (dry run) or deliver to every
// recipient.
func (e *Engine) deliverRun(ctx context.Context, opts RunOptions, stories []Story, since time.Time, lead string, rep *Report) error {
	if opts.DryRun {
		return e.dryRun(opts, stories, since, lead)
	}
	e.Archive(ctx, stories, lead)
	dopts := DeliverOptions{Force: opts.Force, Lead: lead}
	if len(opts.To) > 0 {
		// Ad-hoc recipients get the window the user asked for.
		dopts.Since = since
		subs := make([]Subscriber, 0, len(opts.To))
		for _, addr := range opts.To {
			subs = append(subs, Subscriber{Email: addr, TimeZone: e.Config.DefaultTimeZone})
		}
		return e.deliverAll(ctx, func(yield func(Subscriber) bool) error {
			for _, s := range subs {
				if !yield(s) {
					break
				}
			}
			return nil
		}, stories, dopts, rep)
	}
	return e.deliverAll(ctx, e.activeSubscribers(ctx), stories, dopts, rep)
}

// lead asks the run's summarizer for an opening paragraph when configured
// (so its tokens count in the run's usage); a failure only loses the lead.
func (e *Engine) lead(ctx context.Context, sum Summarizer, stories []Story, rep *Report) string {
	lw, ok := sum.(LeadWriter)
	if !e.Config.Lead || !ok {
		return ""
	}
	top := stories[:min(len(stories), 8)]
	text, err := lw.WriteLead(ctx, top)
	if err != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("digest lead: %v", err))
		return ""
	}
	return text
}

// Archive stores the public edition of the day (in Config.DefaultTimeZone)
// for the web archive; the last call of a day wins. Failures are logged:
// the archive never stops a delivery.
func (e *Engine) Archive(ctx context.Context, stories []Story, lead string) {
	pr, ok := e.Renderer.(PublicRenderer)
	if !ok {
		return
	}
	loc := time.UTC
	if e.Config.DefaultTimeZone != "" {
		if l, err := time.LoadLocation(e.Config.DefaultTimeZone); err == nil {
			loc = l
		}
	}
	now := e.now()
	ed := Edition{Date: LocalDate(now, loc), GeneratedAt: now, Lead: lead}
	ed.Stories = stories[:min(len(stories), max(1, e.Config.MaxStories))]
	ed.More = len(stories) - len(ed.Stories)
	ae, err := pr.RenderPublic(ed)
	if err != nil {
		e.log().Error("render public edition", "error", err)
		return
	}
	ae.CreatedAt = now
	if err := e.Store.SaveEdition(ctx, ae); err != nil {
		e.log().Error("archive edition", "error", err)
	}
}

func (e *Engine) dryRun(opts RunOptions, stories []Story, since time.Time, lead string) error {
	sub := Subscriber{Email: "reader@example.com", TimeZone: e.Config.DefaultTimeZone}
	if len(opts.To) > 0 {
		sub.Email = opts.To[0]
	}
	ed, err := e.Compose(context.Background(), sub, LocalDate(e.now(), sub.Location()), stories,
		DeliverOptions{Since: since, Lead: lead})
	if err != nil {
		return err
	}
	msg, err := e.Renderer.Render(ed)
	if err != nil {
		return fmt.Errorf("render edition: %w", err)
	}
	out := opts.DryRunOut
	if out == nil {
		out = io.Discard
	}
	_, err = fmt.Fprintf(out, "Subject: %s\n\n%s", msg.Subject, msg.Text)
	return err
}

// SubscriberIter yields subscribers to deliver to; it returns an error when
// listing fails.
type SubscriberIter func(yield func(Subscriber) bool) error

// activeSubscribers pages through active subscribers so that memory does not
// grow with their number.
func (e *Engine) activeSubscribers(ctx context.Context) SubscriberIter {
	return func(yield func(Subscriber) bool) error {
		var after int64
		for {
			page, err := e.Store.Subscribers(ctx, StatusActive, after, 500)
			if err != nil {
				return fmt.Errorf("list subscribers: %w", err)
			}
			for _, s := range page {
				if !yield(s) {
					return nil
				}
				after = s.ID
			}
			if len(page) < 500 {
				return nil
			}
		}
	}
}

// deliverAll sends today's edition to each subscriber from iter with bounded
// concurrency, in each subscriber's local date.
func (e *Engine) deliverAll(ctx context.Context, iter SubscriberIter, stories []Story, opts DeliverOptions, rep *Report) error {
	e.stage("send", 0)
	rec := &recorder{rep: rep}
	sem := make(chan struct{}, max(1, e.Config.SendConcurrency))
	var wg sync.WaitGroup
	err := iter(func(sub Subscriber) bool {
		if ctx.Err() != nil {
			return false
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			date := LocalDate(e.now(), sub.Location())
			outcome, err := e.Deliver(ctx, sub, date, stories, opts)
			e.step("send")
			rec.do(func(rep *Report) {
				rep.Recipients++
				switch outcome {
				case OutcomeSent:
					rep.Sent++
				case OutcomeAlreadySent:
					rep.AlreadySent++
				case OutcomeInFlight:
					rep.InFlight++
				case OutcomeEmpty:
					rep.Empty++
				case OutcomeDeferred:
					rep.Deferred++
				case OutcomeFailed:
					rep.Failed++
				}
				if err != nil {
					rep.Errors = append(rep.Errors, fmt.Sprintf("deliver to %s: %v", sub.Email, err))
				}
			})
		}()
		return true
	})
	wg.Wait()
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
		return err
	}
	return ctx.Err()
}
