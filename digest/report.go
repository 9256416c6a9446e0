package digest

import (
	"context"
	"time"
)

// Report is what one run did, stage by stage. It is printed at the end of
// `digest now`, kept in the store and shown by `digest runs show`.
type Report struct {
	Sources []SourceReport `json:"sources"`

	ArticlesFetched int `json:"articles_fetched"`
	ArticlesNew     int `json:"articles_new"`
	ArticlesOld     int `json:"articles_outside_window"`
	// ArticlesRead is how many articles the run read: those its sources
	// yielded and the stored ones of its window. Fates counts them by what
	// became of them (FateLead, FateMerged, ...); the counts add up to
	// ArticlesRead.
	ArticlesRead int            `json:"articles_read"`
	Fates        map[string]int `json:"fates,omitempty"`
	// Articles is the account itself, one line per article read. It is
	// kept with the run but apart from the report (`digest runs show ID
	// --articles`), so listing runs stays cheap.
	Articles []ArticleFate `json:"-"`

	// HostsFailed is how many hosts failed to resolve, to connect or to
	// agree on TLS during the gather; FetchesSkipped counts the requests
	// to them not sent because they had already failed in the run.
	HostsFailed    int `json:"hosts_failed,omitempty"`
	FetchesSkipped int `json:"fetches_skipped,omitempty"`

	Stories        int `json:"stories"`
	StoriesDropped int `json:"stories_dropped"` // below the relevance threshold

	SummariesNew      int `json:"summaries_new"`
	SummariesCached   int `json:"summaries_cached"`
	SummariesFallback int `json:"summaries_fallback"`
	// SummariesUnfaithful counts the fallbacks made because the LLM's
	// reply stated figures or names the article does not support, twice
	// (Summary.Unfaithful); they are part of SummariesFallback.
	SummariesUnfaithful int            `json:"summaries_unfaithful"`
	SummariesOverBudget int            `json:"summaries_over_budget"`
	SummariesByBackend  map[string]int `json:"summaries_by_backend,omitempty"`
	// SummariesSkipped counts the kept stories `digest now` did not
	// summarise: no edition of the run, nor its archive page or lead,
	// can hold them.
	SummariesSkipped int     `json:"summaries_skipped,omitempty"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`

	Recipients  int `json:"recipients"`
	Sent        int `json:"sent"`
	AlreadySent int `json:"already_sent"`
	InFlight    int `json:"in_flight"` // leased by another worker or waiting to retry
	Empty       int `json:"empty"`
	Failed      int `json:"failed"`
	Deferred    int `json:"deferred"` // temporary failure, retried later
	// NotToday counts subscribers whose frequency has no edition on their
	// local date (weekdays at a weekend, weekly on another day).
	NotToday int `json:"not_today,omitempty"`
	// NotAttempted recipients were left out because the delivery ledger
	// could not be written.
	NotAttempted int `json:"not_attempted,omitempty"`

	Outbox string         `json:"outbox,omitempty"` // where .eml files went
	Stages []StageTiming  `json:"stages"`
	Errors []string       `json:"errors,omitempty"`
	Notes  []string       `json:"notes,omitempty"`
	Meta   map[string]any `json:"meta,omitempty"`
}

// SourceReport is one source's part of a run.
type SourceReport struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Articles int    `json:"articles"`
	New      int    `json:"new"`
	Old      int    `json:"old,omitempty"` // older than the window: not stored
	// Known counts the duplicates among Articles that the source
	// recognised by URL or GUID before reading them in full: their texts
	// were not cleaned, nor saved again (FetchResult.Known).
	Known       int           `json:"known,omitempty"`
	NotModified bool          `json:"not_modified,omitempty"`
	Bytes       int64         `json:"bytes"`
	Error       string        `json:"error,omitempty"`
	Failures    int           `json:"consecutive_failures,omitempty"`
	Duration    time.Duration `json:"duration_ns"`
	// HostsFailed and FetchesSkipped are the source's part of the run's
	// counts of the same names.
	HostsFailed    int `json:"hosts_failed,omitempty"`
	FetchesSkipped int `json:"fetches_skipped,omitempty"`

	failedHosts []string // which, for the run's count of distinct hosts
}

// StageTiming is the wall time of one stage.
type StageTiming struct {
	Stage    string        `json:"stage"`
	Duration time.Duration `json:"duration_ns"`
}

// Progress receives live progress; the CLI draws bars from it. Methods are
// called from several goroutines.
type Progress interface {
	// Stage announces a stage and how many steps it has (0 when unknown).
	Stage(name string, total int)
	// Step advances the current stage by one.
	Step(name string)
}

// RunScoped is implemented by summarizers with per-run state, such as a
// token budget. The engine calls ForRun at the start of each run and uses
// the result for that run; Usage then tells what the run spent.
type RunScoped interface {
	ForRun() Summarizer
}

// UsageReporter is implemented by run-scoped summarizers that can tell what
// a run cost.
type UsageReporter interface {
	Usage() Usage
}

// Usage is LLM spending for one run.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	CostUSD          float64
	OverBudget       int // stories that got the extractive summary for lack of budget
	Calls            int
}

// LeadWriter writes an optional opening paragraph from the day's summaries.
type LeadWriter interface {
	WriteLead(ctx context.Context, stories []Story) (string, error)
}
