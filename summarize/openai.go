package summarize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/tiktoken-go/tokenizer"
	tkcodec "github.com/tiktoken-go/tokenizer/codec"
	"golang.org/x/time/rate"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// OpenAIConfig configures the OpenAI-compatible summariser. Start from
// DefaultOpenAIConfig; NewOpenAI also puts the default in any zero field.
type OpenAIConfig struct {
	// APIKey is the bearer token (from OPENAI_API_KEY or
	// OPENAI_API_KEY_FILE, read by the CLI). It is never logged and is
	// scrubbed from every error this package returns or logs. It may be
	// empty for local servers such as Ollama when BaseURL is set.
	APIKey string
	// BaseURL of the API, e.g. http://localhost:11434/v1 for Ollama; empty
	// means https://api.openai.com/v1. For Azure, the resource endpoint.
	BaseURL string
	// Model name (the deployment name on Azure). Default "gpt-4o-mini".
	Model string
	// Azure selects Azure OpenAI with APIVersion (default "2024-10-21").
	Azure      bool
	APIVersion string
	// Timeout bounds one HTTP request. Default 60s.
	Timeout time.Duration
	// MaxInputTokens bounds the article text sent per call; it is cut at
	// sentence boundaries keeping the lead. Default 2000.
	MaxInputTokens int
	// MaxOutputTokens bounds each reply. Default 400.
	MaxOutputTokens int
	// RunTokenBudget bounds prompt plus completion tokens per run; stories
	// beyond it get the extractive summary. 0 means unlimited (default).
	RunTokenBudget int
	// Concurrency bounds requests in flight. Default 8.
	Concurrency int
	// RequestsPerMinute and TokensPerMinute rate-limit calls; 0 means
	// unlimited (default).
	RequestsPerMinute int
	TokensPerMinute   int
	// MaxRetries is how many times one request is retried on 429, 5xx and
	// timeouts. Default 4; negative means none.
	MaxRetries int
	// RetryBase is the first backoff, doubled per retry with jitter up to
	// RetryMax. Defaults 500ms and 30s. A Retry-After longer than RetryMax
	// ends the retries for that story.
	RetryBase, RetryMax time.Duration
	// PromptDir overrides the embedded prompts file by file
	// (summary.tmpl, lead.tmpl).
	PromptDir string
	// Topics the model may assign; replies are filtered to them.
	Topics []string
	// Prices in USD per million tokens, for the cost estimate.
	PricePromptPer1M, PriceCompletionPer1M float64
	// Lead enables WriteLead (the digest's opening paragraph).
	Lead bool
	// Language is the ISO 639-1 code of the language the model writes
	// headlines, summaries, key points and the lead in, whatever the
	// article's language (edition.language). Default "en".
	Language string
}

// DefaultOpenAIConfig returns the defaults documented on OpenAIConfig.
func DefaultOpenAIConfig() OpenAIConfig {
	return OpenAIConfig{
		Model:           "gpt-4o-mini",
		APIVersion:      "2024-10-21",
		Timeout:         60 * time.Second,
		MaxInputTokens:  2000,
		MaxOutputTokens: 400,
		Concurrency:     8,
		MaxRetries:      4,
		RetryBase:       500 * time.Millisecond,
		RetryMax:        30 * time.Second,
		Language:        "en",
	}
}

func (c OpenAIConfig) withDefaults() OpenAIConfig {
	d := DefaultOpenAIConfig()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	if c.Model == "" {
		c.Model = d.Model
	}
	if c.APIVersion == "" {
		c.APIVersion = d.APIVersion
	}
	if c.Language == "" {
		c.Language = d.Language
	}
	setD(&c.Timeout, d.Timeout)
	setD(&c.RetryBase, d.RetryBase)
	setD(&c.RetryMax, d.RetryMax)
	set(&c.MaxInputTokens, d.MaxInputTokens)
	set(&c.MaxOutputTokens, d.MaxOutputTokens)
	set(&c.Concurrency, d.Concurrency)
	set(&c.MaxRetries, d.MaxRetries)
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	return c
}

func (c OpenAIConfig) validate() error {
	switch {
	case c.Azure && c.BaseURL == "":
		return errors.New("azure needs base_url (the resource endpoint)")
	case c.APIKey == "" && (c.BaseURL == "" || c.Azure):
		return errors.New("no API key: set OPENAI_API_KEY or OPENAI_API_KEY_FILE (or a base_url for a local server)")
	case c.MaxInputTokens < 100:
		return fmt.Errorf("max_input_tokens %d is below 100", c.MaxInputTokens)
	case c.RunTokenBudget < 0, c.RequestsPerMinute < 0, c.TokensPerMinute < 0, c.Concurrency < 0:
		return errors.New("budgets, limits and concurrency must not be negative")
	case c.PricePromptPer1M < 0 || c.PriceCompletionPer1M < 0:
		return errors.New("prices must not be negative")
	case digest.LanguageName(c.Language) == "":
		return fmt.Errorf("language %q is not an ISO 639-1 code the digest knows (such as en, de, fr)", c.Language)
	}
	return nil
}

// OpenAI summarises with an OpenAI-compatible chat completions API and
// falls back to an offline summariser on any failure. It is safe for
// concurrent use. Per-run state (token budget, usage, a 401 stop) lives in
// the Run that ForRun returns; calling Summarize on OpenAI itself uses one
// default run that lasts as long as the value.
type OpenAI struct {
	cfg      OpenAIConfig
	client   *openai.Client
	fallback digest.Summarizer
	log      *slog.Logger
	sum      *prompt
	lead     *prompt
	codec    tokenizer.Codec
	sem      chan struct{}
	rpm, tpm *rate.Limiter
	// format is the response format the server accepts, downgraded for the
	// life of the value when a server rejects one (400).
	format atomic.Int32
	// completionLimit is set once a server asked for max_completion_tokens
	// instead of max_tokens.
	completionLimit atomic.Bool
	def             *Run

	sysTokens sync.Map // system prompt → token count

	leadMu    sync.Mutex
	leadCache map[string]string
	leadStore digest.SummaryStore
}

// Response formats, best first.
const (
	formatSchema int32 = iota
	formatJSON
	formatNone
)

var (
	_ digest.Summarizer    = (*OpenAI)(nil)
	_ digest.RunScoped     = (*OpenAI)(nil)
	_ digest.UsageReporter = (*OpenAI)(nil)
	_ digest.LeadWriter    = (*OpenAI)(nil)
	_ digest.Summarizer    = (*Run)(nil)
	_ digest.UsageReporter = (*Run)(nil)
	_ digest.LeadWriter    = (*Run)(nil)
)

// NewOpenAI returns the LLM summariser. fallback makes the summary whenever
// the LLM cannot (nil means NewExtractive()). The prompts are parsed here,
// so a broken override fails at start-up.
func NewOpenAI(cfg OpenAIConfig, fallback digest.Summarizer, log *slog.Logger) (*OpenAI, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("openai config: %w", err)
	}
	if fallback == nil {
		fallback = NewExtractive()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The language is an input of the prompt: summaries written in
	// another language are another version.
	sum, err := loadPrompt(cfg.PromptDir, "summary.tmpl", append([]string{"language=" + cfg.Language}, cfg.Topics...)...)
	if err != nil {
		return nil, err
	}
	lead, err := loadPrompt(cfg.PromptDir, "lead.tmpl", "language="+cfg.Language)
	if err != nil {
		return nil, err
	}
	// One vocabulary for every model: cl100k_base. Token counts only size
	// budgets, and linking all of tiktoken's vocabularies (ForModel) adds
	// about 12 MB to a binary whose image must stay under 40 MB. Newer
	// models' o200k vocabulary is larger, so cl100k counts English text at
	// or above their real count: budgets err on the safe side.
	var codec tokenizer.Codec = tkcodec.NewCl100kBase()
	// The codec builds its tables on first use; pay that at start-up, not
	// inside the first run's deadline.
	_, _ = codec.Count("warm up")
	client := newClient(cfg.APIKey, cfg.BaseURL, cfg.Azure, cfg.APIVersion, cfg.Timeout, cfg.Concurrency)
	o := &OpenAI{
		cfg: cfg, client: client, fallback: fallback, log: log,
		sum: sum, lead: lead, codec: codec, sem: make(chan struct{}, cfg.Concurrency),
		leadCache: map[string]string{},
	}
	if cfg.RequestsPerMinute > 0 {
		o.rpm = rate.NewLimiter(rate.Limit(float64(cfg.RequestsPerMinute)/60), max(1, min(cfg.RequestsPerMinute/60, cfg.Concurrency)))
	}
	if cfg.TokensPerMinute > 0 {
		burst := max(cfg.TokensPerMinute/6, cfg.MaxInputTokens*2+cfg.MaxOutputTokens)
		o.tpm = rate.NewLimiter(rate.Limit(float64(cfg.TokensPerMinute)/60), burst)
	}
	o.def = o.ForRunScoped()
	return o, nil
}

// Version names backend, model and prompt version (with a hash of the
// prompt source and topics), so a new model or prompt means new summaries.
func (o *OpenAI) Version() string { return "openai/" + o.cfg.Model + "/" + o.sum.version }

// ForRun returns a summariser with a fresh token budget and usage for one
// run; it implements digest.RunScoped.
func (o *OpenAI) ForRun() digest.Summarizer { return o.ForRunScoped() }

// ForRunScoped is ForRun with the concrete type.
func (o *OpenAI) ForRunScoped() *Run { return &Run{o: o} }

// Summarize summarises in the default run.
func (o *OpenAI) Summarize(ctx context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	return o.def.Summarize(ctx, req)
}

// Usage reports the default run's spending.
func (o *OpenAI) Usage() digest.Usage { return o.def.Usage() }

// WriteLead writes the digest lead in the default run.
func (o *OpenAI) WriteLead(ctx context.Context, stories []digest.Story) (string, error) {
	return o.def.WriteLead(ctx, stories)
}

// SetLeadCache makes WriteLead keep leads in store (as summaries keyed by
// LeadKey), so a re-run or another replica reuses them; without it leads
// are cached in memory only.
func (o *OpenAI) SetLeadCache(store digest.SummaryStore) {
	o.leadMu.Lock()
	defer o.leadMu.Unlock()
	o.leadStore = store
}

// Run is the OpenAI summariser scoped to one run: it owns the run's token
// budget and usage, and stops calling the LLM after a 401.
type Run struct {
	o *OpenAI

	mu       sync.Mutex
	usage    digest.Usage
	reserved int // tokens of calls in flight, estimated

	unauthorized atomic.Bool
	authOnce     sync.Once
}

// Version is the parent's version.
func (r *Run) Version() string { return r.o.Version() }

// Usage returns what the run spent so far, with the estimated cost.
func (r *Run) Usage() digest.Usage {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.usage
	u.CostUSD = float64(u.PromptTokens)*r.o.cfg.PricePromptPer1M/1e6 +
		float64(u.CompletionTokens)*r.o.cfg.PriceCompletionPer1M/1e6
	return u
}

// reserve books est tokens of the run budget; false means the call would
// exceed it.
func (r *Run) reserve(est int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.o.cfg.RunTokenBudget
	if b > 0 && r.usage.PromptTokens+r.usage.CompletionTokens+r.reserved+est > b {
		return false
	}
	r.reserved += est
	return true
}

// settle releases a reservation and records what the call really used.
func (r *Run) settle(est int, u openai.Usage, calls int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reserved -= est
	r.usage.PromptTokens += u.PromptTokens
	r.usage.CompletionTokens += u.CompletionTokens
	r.usage.Calls += calls
}

func (r *Run) overBudget() {
	r.mu.Lock()
	r.usage.OverBudget++
	r.mu.Unlock()
}

// Summarize asks the LLM for a structured summary of req. A valid reply
// must also pass the faithfulness guard (Unfaithful): a reply stating a
// figure or a name the article does not support is asked again once,
// naming what was unsupported, and a second such reply gives the fallback
// marked digest.FallbackUnfaithful. Whatever goes wrong — budget, 401,
// exhausted retries, a reply invalid or unsupported twice — it
// returns the fallback summary with Fallback and FallbackReason set; it
// returns an error only when ctx ends or the fallback itself fails.
func (r *Run) Summarize(ctx context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	if err := ctx.Err(); err != nil {
		return digest.Summary{}, err
	}
	o := r.o
	if r.unauthorized.Load() {
		return r.fallback(ctx, req, "llm disabled for this run after 401 unauthorized", true)
	}
	msgs, est, err := o.summaryPrompt(req)
	if err != nil {
		return r.fallback(ctx, req, err.Error(), true)
	}
	var reason string
	// An invalid reply is asked again once, with the reason; then the
	// fallback is used.
	for attempt := range 2 {
		if !r.reserve(est) {
			r.overBudget()
			return r.fallback(ctx, req, "run token budget exhausted", true)
		}
		content, usage, calls, err := o.complete(ctx, msgs, est, true)
		r.settle(est, usage, calls)
		if err != nil {
			if ctx.Err() != nil {
				return digest.Summary{}, ctx.Err()
			}
			if !errors.Is(err, errInvalidReply) {
				return r.fallback(ctx, req, r.failed(err), true)
			}
			reason = o.redact(err.Error())
		} else {
			var rep reply
			var ls llmSummary
			if err = o.checkNoKey(content); err == nil {
				rep, err = parseReply(content)
			}
			if err == nil {
				err = o.checkNoKey(rep.fields()...)
			}
			if err == nil {
				ls, err = validate(rep, o.cfg.Topics)
			}
			var bad []string
			if err == nil {
				bad = Unfaithful(supportText(req), req.Language, o.cfg.Language, append([]string{ls.Headline, ls.Text}, ls.KeyPoints...)...)
			}
			if err == nil && len(bad) == 0 {
				return digest.Summary{
					ContentHash: hashOf(req), Version: o.Version(), Backend: "openai",
					Headline: ls.Headline, Text: ls.Text, KeyPoints: ls.KeyPoints, Countries: ls.Countries,
					Topics: ls.Topics, Importance: ls.Importance,
					PromptTokens: usage.PromptTokens, CompletionTokens: usage.CompletionTokens,
				}, nil
			}
			var fix string
			if err != nil {
				reason = o.redact(err.Error())
				fix = "That reply was not valid (" + clip(reason, 200) + "). Answer again with only the JSON object described, within its limits."
			} else {
				// The article supports the reply's form but not all of its
				// facts: name them, so the model can drop or correct them.
				reason = o.redact(digest.FallbackUnfaithful + clip(quoteAll(bad), 300))
				fix = "That reply states things the article does not support: " + clip(quoteAll(bad), 300) +
					". Answer again with only the JSON object described, using only names and figures as the article writes them, and without repeating yourself."
			}
			msgs = append(msgs[:2:2],
				openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: o.redact(clip(content, 4000))},
				openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: fix})
			est += o.count(msgs[2].Content) + o.count(fix)
		}
		o.log.Warn("llm reply rejected", "title", clip(req.Title, 80), "attempt", attempt+1, "error", reason)
	}
	// The model answered twice with unusable replies: asking again on a
	// re-run would likely pay for the same answer.
	return r.fallback(ctx, req, reason, false)
}

// summaryPrompt returns the messages for req and an estimate of the tokens
// the call will use, reply included.
func (o *OpenAI) summaryPrompt(req digest.SummaryRequest) ([]openai.ChatCompletionMessage, int, error) {
	text, textTokens := o.cutInput(req.Text)
	data := summaryData{
		Begin: beginArticle, End: endArticle, Title: fence(digest.ClipTitle(clean(req.Title))), Text: fence(text),
		Sources: fenceAll(req.Sources), Topics: o.cfg.Topics,
		MaxHeadlineWords: MaxHeadlineWords, MaxSummaryWords: MaxSummaryWords, MinKeyPoints: MinKeyPoints, MaxKeyPoints: MaxKeyPoints,
		Language: digest.LanguageName(o.cfg.Language), ArticleLanguage: digest.LanguageName(req.Language),
	}
	sys, user, err := o.sum.render(data)
	if err != nil {
		return nil, 0, err
	}
	// The article was counted while cutting; the rest of the user message
	// is short, so a bytes/3 estimate is close and saves tokenising twice.
	est := o.countSystem(sys) + textTokens + (len(user)-len(text))/3 + o.cfg.MaxOutputTokens
	return messages(sys, user), est, nil
}

func messages(system, user string) []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: system},
		{Role: openai.ChatMessageRoleUser, Content: user},
	}
}

// failed turns a call error into a fallback reason, and on a 401 stops the
// LLM for the rest of the run with one logged error.
func (r *Run) failed(err error) string {
	msg := r.o.redact(err.Error())
	if errors.Is(err, errUnauthorized) {
		r.unauthorized.Store(true)
		r.authOnce.Do(func() {
			r.o.log.Error("llm rejected the API key; using extractive summaries for the rest of this run",
				"hint", "check OPENAI_API_KEY or OPENAI_API_KEY_FILE", "error", msg)
		})
	}
	return msg
}

// fallback makes the extractive summary; retry says the LLM could not be
// asked and should be on a later run (digest.Summary.RetryLater).
func (r *Run) fallback(ctx context.Context, req digest.SummaryRequest, reason string, retry bool) (digest.Summary, error) {
	s, err := r.o.fallback.Summarize(ctx, req)
	if err != nil {
		return digest.Summary{}, fmt.Errorf("fallback summary after %s: %w", reason, err)
	}
	s.Fallback = true
	s.FallbackReason = reason
	s.RetryLater = retry
	return s, nil
}

// summaryData is what summary.tmpl sees.
type summaryData struct {
	Begin, End       string
	Title, Text      string
	Sources, Topics  []string
	MaxHeadlineWords int
	MaxSummaryWords  int
	MinKeyPoints     int
	MaxKeyPoints     int
	// Language is the English name of the language to write in;
	// ArticleLanguage the article's, empty when unknown.
	Language, ArticleLanguage string
}

func fenceAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	seen := map[string]bool{}
	for _, s := range ss {
		if s = fence(clean(s)); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// count returns the number of tokens in s.
func (o *OpenAI) count(s string) int {
	n, err := o.codec.Count(s)
	if err != nil {
		return len(s)/4 + 1
	}
	return n
}

// countSystem counts a system prompt once: it is the same for every story
// of a configuration.
func (o *OpenAI) countSystem(s string) int {
	if n, ok := o.sysTokens.Load(s); ok {
		return n.(int)
	}
	n := o.count(s)
	o.sysTokens.Store(s, n)
	return n
}

// cutInput cuts text to MaxInputTokens at sentence boundaries, keeping
// the lead (the first sentence alone is cut by tokens if it must be), and
// returns it with its token count.
func (o *OpenAI) cutInput(text string) (string, int) {
	limit := o.cfg.MaxInputTokens
	if total := o.count(text); total <= limit {
		return text, total
	}
	var kept []string
	n := 0
	for i, s := range nlp.Sentences(text) {
		c := o.count(s) + 1
		if n+c > limit {
			if i == 0 {
				if ids, _, err := o.codec.Encode(s); err == nil && len(ids) > limit {
					if cut, err := o.codec.Decode(ids[:limit]); err == nil {
						kept, n = append(kept, cut), limit
					}
				}
			}
			break
		}
		kept = append(kept, s)
		n += c
	}
	return strings.Join(kept, " "), n
}

// newClient returns a go-openai client for an OpenAI-compatible or Azure
// endpoint (an empty baseURL means OpenAI's), keeping up to idle
// connections to it open.
func newClient(apiKey, baseURL string, azure bool, apiVersion string, timeout time.Duration, idle int) *openai.Client {
	var cc openai.ClientConfig
	if azure {
		cc = openai.DefaultAzureConfig(apiKey, baseURL)
		cc.APIVersion = apiVersion
	} else {
		cc = openai.DefaultConfig(apiKey)
		if baseURL != "" {
			cc.BaseURL = strings.TrimRight(baseURL, "/")
		}
	}
	// go-openai sets no timeout and hides response headers on errors; the
	// doer adds both (Retry-After is read from the headers it records).
	// The default transport keeps 2 idle connections per host, so at
	// Concurrency 16 most calls would dial anew.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = idle
	cc.HTTPClient = headerDoer{&http.Client{Timeout: timeout, Transport: tr}}
	return openai.NewClientWithConfig(cc)
}
