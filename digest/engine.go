package digest

import (
	"cmp"
	"log/slog"
	"sync"
	"time"
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

	// GatherConcurrency is how many sources are gathered at once
	// (GatherWorkers(16): 24 on two processors).
	GatherConcurrency    int
	SummarizeConcurrency int // summaries made at once (8)
	SendConcurrency      int // messages composed and sent at once (4)

	// Lease is how long a claimed delivery is reserved for one worker (10 min).
	Lease time.Duration
	// RecordRetry is how long recording a delivery the relay accepted is
	// retried while the store fails (2 min; never past the row's lease, so
	// no other worker can take the row over meanwhile).
	RecordRetry time.Duration
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

// DefaultSiteName names the digest in pages and messages when no site
// name is configured.
const DefaultSiteName = "Trade Digest"

// DefaultFrom is the sender address when none is configured.
const DefaultFrom = DefaultSiteName + " <digest@localhost>"

// DefaultConfig returns the engine defaults.
func DefaultConfig() Config {
	return Config{
		Lookback:             36 * time.Hour,
		RecencyWindow:        36 * time.Hour,
		MaxStories:           20,
		GatherConcurrency:    GatherWorkers(16),
		SummarizeConcurrency: 8,
		SendConcurrency:      4,
		Lease:                10 * time.Minute,
		RecordRetry:          2 * time.Minute,
		RetryBase:            2 * time.Minute,
		RetryMax:             2 * time.Hour,
		RetryWindow:          24 * time.Hour,
		BounceAfter:          3,
		FailingSourceWarn:    3,
		From:                 DefaultFrom,
		ListID:               "Trade digest <digest.localhost>",
		MessageIDDomain:      defaultMessageIDDomain,
	}
}

// defaultMessageIDDomain is the right side of Message-IDs when
// Config.MessageIDDomain is not set.
const defaultMessageIDDomain = "digest.localhost"

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
	Store      EngineStore
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
	summaries flight[summaryResult]

	// unrecorded holds deliveries the relay accepted but the ledger could
	// not record (a store outage longer than RecordRetry). A later attempt
	// at such a row in this process records it instead of sending again.
	unrecordedMu sync.Mutex
	unrecorded   map[int64]int // delivery ID -> stories in the message
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// lookback is the edition window: Config.Lookback, or the default when
// it is not set.
func (e *Engine) lookback() time.Duration {
	return cmp.Or(e.Config.Lookback, DefaultConfig().Lookback)
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
