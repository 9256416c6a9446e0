package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	"sync"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
	"github.com/tradedigest/tradedigest/digest/feed"
	dmail "github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/token"
	"github.com/tradedigest/tradedigest/digest/web"
	"github.com/tradedigest/tradedigest/internal/redact"
	"github.com/tradedigest/tradedigest/summarize"
	"github.com/tradedigest/tradedigest/templates"
)

// app is the wired-up program for one command: store, engine and its parts.
type app struct {
	cfg      Config
	log      *slog.Logger
	db       *store.DB
	engine   *digest.Engine
	renderer renderer
	outbox   *dmail.Outbox // set when messages go to .eml files
	signer   *token.Signer
	fetcher  *feed.Fetcher
	links    *web.Links
	closers  []func() error
}

// appOptions choose which parts a command needs.
type appOptions struct {
	mailer    bool   // build a Mailer (SMTP or outbox)
	outboxDir string // overrides cfg.Outbox
	serve     bool   // serve mode: DIGEST_SECRET required
}

// openApp opens the store (migrating it), and builds the engine.
func (c *cli) openApp(ctx context.Context, cfg Config, opts appOptions) (*app, error) {
	log := c.logger(cfg)
	a := &app{cfg: cfg, log: log}
	db, err := store.Open(ctx, cfg.DB, log)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redact.URL(cfg.DB), err)
	}
	// The store stamps created_at and updated_at itself (a released claim,
	// a new subscriber): with the engine's clock, so that every time in a
	// row is on one clock (a test build's simulated one included).
	db.Now = c.now
	a.db = db
	a.closers = append(a.closers, db.Close)
	if err := db.Migrate(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	if err := a.setupSigner(ctx, opts.serve); err != nil {
		a.Close()
		return nil, err
	}
	a.renderer, err = newRenderer(templates.Options{
		Dir: cfg.TemplatesDir, SiteName: cfg.SiteName, Logger: log, Now: c.now, Language: cfg.Edition.Language,
	})
	if err != nil {
		a.Close()
		return nil, badConfig("fix or remove the template override in templates_dir", "templates: %v", err)
	}
	summ, err := a.summarizer()
	if err != nil {
		a.Close()
		return nil, err
	}
	ec := digest.DefaultConfig()
	ec.Lookback = cfg.Edition.Lookback
	ec.RecencyWindow = cfg.Gather.RecencyWindow
	ec.MaxStories = cfg.Edition.MaxStories
	ec.SendEmpty = cfg.Edition.SendEmpty
	ec.GatherConcurrency = digest.GatherWorkers(cfg.Gather.Concurrency)
	ec.SendConcurrency = cfg.SMTP.Pool
	ec.BounceAfter = cfg.Edition.BounceAfter
	ec.RetryWindow = cfg.Edition.RetryWindow
	ec.RecordRetry = cfg.Edition.RecordRetry
	ec.Lease = cfg.Edition.Lease
	ec.From = cfg.From
	ec.DefaultTimeZone = cfg.TimeZone
	ec.Lead = cfg.Edition.Lead
	ec.MessageIDDomain = senderDomain(cfg.From)
	ec.ListID = fmt.Sprintf("%s <digest.%s>", cfg.SiteName, ec.MessageIDDomain)
	if cfg.LLM.Concurrency > 0 && c.llm(cfg) {
		ec.SummarizeConcurrency = cfg.LLM.Concurrency
	}
	a.engine = &digest.Engine{
		Store:      db,
		Clusterer:  newLeanClusterer(newClusterer(a), c.env),
		Ranker:     rank.New(a.rankConfig()),
		Summarizer: summ,
		Renderer:   a.renderer,
		Logger:     log,
		Now:        c.now,
		Config:     ec,
	}
	if a.links != nil {
		a.engine.Links = a.links
	}
	if opts.mailer {
		m, err := a.mailer(ctx, opts.outboxDir)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.engine.Mailer = m
	}
	return a, nil
}

func (c *cli) llm(cfg Config) bool { return cfg.llmEnabled() }

// Close releases what openApp opened, in reverse order.
func (a *app) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// setupSigner loads the HMAC secret for unsubscribe and preference links:
// DIGEST_SECRET when set (required in serve mode, so that replicas agree),
// else one generated on first use and kept in the store.
func (a *app) setupSigner(ctx context.Context, serve bool) error {
	sec := string(a.cfg.Secret)
	if sec == "" {
		if serve {
			return badConfig("generate one with: openssl rand -hex 32, and set DIGEST_SECRET or DIGEST_SECRET_FILE",
				"DIGEST_SECRET is required by digest serve")
		}
		buf := make([]byte, 32)
		if _, err := rand.Read(buf); err != nil {
			return fmt.Errorf("generate secret: %w", err)
		}
		var err error
		sec, err = a.db.SetSettingIfAbsent(ctx, "unsubscribe_secret", hex.EncodeToString(buf))
		if err != nil {
			return fmt.Errorf("store generated secret: %w", err)
		}
	}
	signer, err := token.NewSigner([]byte(sec))
	if err != nil {
		return badConfig("use at least 32 characters", "DIGEST_SECRET: %v", err)
	}
	a.signer = signer
	if a.cfg.BaseURL != "" {
		a.links = &web.Links{BaseURL: a.cfg.BaseURL, Signer: signer}
	}
	return nil
}

// summarizer returns the LLM summariser when configured, else the offline
// extractive one.
func (a *app) summarizer() (digest.Summarizer, error) {
	ext := summarize.NewExtractive()
	if !a.cfg.llmEnabled() {
		return ext, nil
	}
	oc := summarize.DefaultOpenAIConfig()
	l := a.cfg.LLM
	oc.APIKey = string(a.cfg.OpenAIKey)
	oc.BaseURL = l.BaseURL
	oc.Model = l.Model
	oc.Azure = l.Azure
	oc.APIVersion = l.APIVersion
	oc.Timeout = l.Timeout
	oc.MaxInputTokens = l.MaxInputTokens
	oc.RunTokenBudget = l.RunTokenBudget
	oc.Concurrency = l.Concurrency
	oc.RequestsPerMinute = l.RequestsPerMinute
	oc.TokensPerMinute = l.TokensPerMinute
	oc.MaxRetries = l.MaxRetries
	oc.PromptDir = l.PromptDir
	oc.PricePromptPer1M = l.PricePromptPer1M
	oc.PriceCompletionPer1M = l.PriceOutputPer1M
	oc.Topics = rank.TopicNames(a.topics())
	oc.Lead = a.cfg.Edition.Lead
	oc.Language = a.cfg.Edition.Language
	s, err := summarize.NewOpenAI(oc, ext, a.log)
	if err != nil {
		return nil, badConfig("check the llm section and OPENAI_* variables", "llm: %v", err)
	}
	s.SetLeadCache(a.db) // leads are cached by story set, like summaries
	return s, nil
}

func (a *app) topics() []rank.Topic { return a.cfg.topics() }

func (a *app) rankConfig() rank.Config {
	rc := rank.DefaultConfig()
	rc.Topics = a.topics()
	rc.Threshold = a.cfg.Relevance.Threshold // nil: the default
	if len(a.cfg.Relevance.SourceWeights) > 0 {
		rc.SourceWeights = a.cfg.Relevance.SourceWeights
	}
	if a.db != nil {
		rc.Weight = newSourceWeights(a).weight
	}
	return rc
}

// mailer returns the SMTP sender when smtp.url is set, else the outbox.
func (a *app) mailer(ctx context.Context, outboxDir string) (digest.Mailer, error) {
	if a.cfg.SMTP.URL == "" {
		dir := outboxDir
		if dir == "" {
			dir = a.cfg.Outbox
		}
		ob, err := dmail.NewOutbox(dir, dmail.OutboxOptions{Build: a.buildOptions(), Logger: a.log})
		if err != nil {
			return nil, fmt.Errorf("open outbox: %w", err)
		}
		a.outbox = ob
		return ob, nil
	}
	s, err := a.newSender()
	if err != nil {
		return nil, err
	}
	// The pool lives until Close, not until the first signal: sends in
	// flight at SIGTERM must be able to finish.
	if err := s.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("start smtp sender: %w", err)
	}
	a.closers = append(a.closers, s.Close)
	return s, nil
}

// newSender returns the SMTP sender for smtp.url, not started: Check works
// without Start.
func (a *app) newSender() (*dmail.Sender, error) {
	sc, err := dmail.ParseURL(a.cfg.SMTP.URL)
	if err != nil {
		return nil, badConfig("use smtp://user@host:587, smtps://host:465 or smtp://host:1025?tls=none", "DIGEST_SMTP_URL: %v", err)
	}
	sc.Password = string(a.cfg.SMTPPassword)
	s, err := dmail.NewSender(sc, dmail.SenderOptions{
		Connections: a.cfg.SMTP.Pool, RatePerSecond: a.cfg.SMTP.Rate, MessageTimeout: a.cfg.SMTP.Timeout,
		InsecureSkipVerify: a.cfg.SMTP.Insecure, Build: a.buildOptions(), Logger: a.log,
	})
	if err != nil {
		return nil, fmt.Errorf("smtp sender: %w", err)
	}
	return s, nil
}

// mailChecker is a mailer that can tell whether it could send now: the SMTP
// sender (connect, EHLO, STARTTLS, AUTH) and the outbox (directory
// writable) both are.
type mailChecker interface {
	Check(ctx context.Context) error
}

// checkMailer is the readiness check of the engine's mailer.
func (a *app) checkMailer(ctx context.Context) error {
	if a.engine.Mailer == nil {
		return errors.New("no mailer configured")
	}
	if mc, ok := a.engine.Mailer.(mailChecker); ok {
		return mc.Check(ctx)
	}
	return nil
}

func (a *app) buildOptions() dmail.BuildOptions {
	var bo dmail.BuildOptions
	if a.cfg.DKIM.Domain != "" {
		key, err := os.ReadFile(a.cfg.DKIM.KeyFile)
		if err != nil {
			a.log.Error("read DKIM key; messages go out unsigned", "path", a.cfg.DKIM.KeyFile, "error", err)
			return bo
		}
		bo.DKIM = &dmail.DKIMConfig{Domain: a.cfg.DKIM.Domain, Selector: a.cfg.DKIM.Selector, PrivateKeyPEM: key}
	}
	return bo
}

// feedOptions are the options of one run's sources (see openSources).
func (a *app) feedOptions() feed.Options {
	if a.fetcher == nil {
		fc := feed.DefaultFetcherConfig()
		fc.Timeout = a.cfg.Gather.Timeout
		fc.MaxBodyBytes = a.cfg.Gather.MaxBytes
		fc.PerHost = a.cfg.Gather.PerHost
		fc.Global = a.cfg.Gather.Concurrency
		fc.UserAgent = feed.UserAgent(Version)
		if a.cfg.Gather.UserAgent != "" {
			fc.UserAgent = a.cfg.Gather.UserAgent
		}
		fc.AllowPrivate = a.cfg.Gather.AllowPrivate
		fc.AllowHosts = a.cfg.Gather.AllowHosts
		fc.Logger = a.log
		// One fetcher per process, so per-host and global limits hold
		// across every source of every run.
		a.fetcher = feed.NewFetcher(fc)
	}
	ft, _ := digest.NormaliseFullText(a.cfg.Gather.FullText) // checked by Validate
	// Each run gets its own view of the fetcher: the limits and
	// connections are shared, the memory of failed hosts is the run's.
	return feed.Options{Fetcher: a.fetcher.ForRun(), Logger: a.log, Now: a.engine.Now, FullText: ft}
}

// senderDomain returns the domain of the From address, for Message-IDs.
func senderDomain(from string) string {
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return "digest.localhost"
	}
	if _, d, ok := strings.Cut(addr.Address, "@"); ok && d != "" {
		return strings.ToLower(d)
	}
	return "digest.localhost"
}

// newClusterer returns the story clusterer. When an LLM is configured
// (llmEnabled) and the environment variable DIGEST_LLM_EMBEDDINGS_MODEL
// names an embedding model (e.g. text-embedding-3-small, or
// nomic-embed-text on Ollama; the deployment name on Azure), the
// clusterer also joins articles whose title-and-lead embeddings are close,
// fetched from the same endpoint, key and timeout as the summaries.
// Embeddings are opt-in because they cost a request per 96 articles and
// the word-based signals already suffice for most wire copy; any failure
// to get them is logged and clustering goes on without.
func newClusterer(a *app) *cluster.Clusterer {
	cc := cluster.DefaultConfig()
	cc.Logger = a.log
	model := strings.TrimSpace(a.cfg.LLM.EmbeddingsModel)
	if model == "" || !a.cfg.llmEnabled() {
		return cluster.New(cc)
	}
	l := a.cfg.LLM
	e, err := summarize.NewEmbedder(summarize.EmbedderConfig{
		APIKey: string(a.cfg.OpenAIKey), BaseURL: l.BaseURL, Azure: l.Azure, APIVersion: l.APIVersion,
		Model: model, Timeout: l.Timeout, MaxRetries: l.MaxRetries,
	}, a.log)
	if err != nil {
		a.log.Warn("embeddings disabled", "error", err)
		return cluster.New(cc)
	}
	a.log.Debug("clustering with embeddings", "model", model)
	cc.Embedder = e
	return cluster.New(cc)
}

// renderer is what the engine renders editions with: the templates'
// Render and RenderPublic.
type renderer interface {
	digest.Renderer
	digest.PublicRenderer
}

// newRenderer returns the templates of opts. The built-in ones are parsed
// on first use (a run with nothing to send renders nothing); an override
// directory is parsed at once, so that a broken template stops the command
// before it does anything.
func newRenderer(opts templates.Options) (renderer, error) {
	if opts.Dir != "" {
		r, err := templates.New(opts)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return lazyRenderer{sync.OnceValues(func() (*templates.Renderer, error) { return templates.New(opts) })}, nil
}

// lazyRenderer makes its templates on the first render.
type lazyRenderer struct {
	get func() (*templates.Renderer, error)
}

func (l lazyRenderer) Render(ed digest.Edition) (digest.Message, error) {
	r, err := l.get()
	if err != nil {
		return digest.Message{}, fmt.Errorf("templates: %w", err)
	}
	return r.Render(ed)
}

func (l lazyRenderer) RenderPublic(ed digest.Edition) (digest.ArchivedEdition, error) {
	r, err := l.get()
	if err != nil {
		return digest.ArchivedEdition{}, fmt.Errorf("templates: %w", err)
	}
	return r.RenderPublic(ed)
}
