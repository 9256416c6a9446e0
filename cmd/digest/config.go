package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/api"
	"github.com/tradedigest/tradedigest/digest/bounce"
	"github.com/tradedigest/tradedigest/digest/feed"
	dmail "github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/queue"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/summarize"
)

// Config is the whole configuration: DefaultConfig, then the YAML file, then
// the environment, then flags, then Validate. Secrets are never read from
// the file or flags, only from the environment or *_FILE paths, and they are
// kept out of the YAML/JSON shape so they cannot be printed by accident.
type Config struct {
	DB           string         `yaml:"db"`
	Sources      []SourceConfig `yaml:"sources"`
	Since        time.Duration  `yaml:"since"`
	Outbox       string         `yaml:"outbox"`
	TemplatesDir string         `yaml:"templates_dir"`
	From         string         `yaml:"from"`
	BaseURL      string         `yaml:"base_url"`
	HTTPAddr     string         `yaml:"http_addr"`
	TimeZone     string         `yaml:"timezone"`
	SiteName     string         `yaml:"site_name"`

	HTTP      HTTPConfig      `yaml:"http"`
	SMTP      SMTPConfig      `yaml:"smtp"`
	Edition   EditionConfig   `yaml:"edition"`
	Gather    GatherConfig    `yaml:"gather"`
	Relevance RelevanceConfig `yaml:"relevance"`
	LLM       LLMConfig       `yaml:"llm"`
	DKIM      DKIMConfig      `yaml:"dkim"`
	Schedule  ScheduleConfig  `yaml:"schedule"`
	Queue     QueueConfig     `yaml:"queue"`
	Bounce    BounceConfig    `yaml:"bounce"`
	Log       LogConfig       `yaml:"log"`

	// Secrets, from the environment or files only.
	SMTPPassword secret `yaml:"-"`
	Secret       secret `yaml:"-"`
	OpenAIKey    secret `yaml:"-"`
	AdminToken   secret `yaml:"-"` // DIGEST_ADMIN_TOKEN: the admin API is off without it
	MetricsToken secret `yaml:"-"`
	// Bounce reports: the mailbox password and the webhook credentials.
	POP3Password      secret `yaml:"-"` // DIGEST_BOUNCE_POP3_PASSWORD
	MailgunSigningKey secret `yaml:"-"` // DIGEST_BOUNCE_MAILGUN_SIGNING_KEY
	PostmarkPassword  secret `yaml:"-"` // DIGEST_BOUNCE_POSTMARK_PASSWORD
}

// HTTPConfig tunes the HTTP side of `digest serve` beyond its address
// (http_addr, kept at the top level as DIGEST_HTTP_ADDR).
type HTTPConfig struct {
	// MetricsAddr, when set, serves /metrics on this address only (e.g.
	// "127.0.0.1:9090" or an internal interface), not on http_addr.
	MetricsAddr string `yaml:"metrics_addr"`
	// PprofAddr, when set, serves the Go runtime profiles (/debug/pprof/)
	// on this address only; DIGEST_PPROF sets it too. Keep it on loopback
	// or an internal interface: profiles show the program's internals.
	PprofAddr string `yaml:"pprof_addr"`
	// TrustedProxies are the reverse proxies in front of `digest serve`,
	// as CIDR prefixes or addresses; only a request from one of them has
	// its X-Forwarded-For believed (see web.Config.TrustedProxies).
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// trustedProxies parses http.trusted_proxies: CIDR prefixes ("10.0.0.0/8")
// or single addresses; the error names the entry.
func (h HTTPConfig) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range h.TrustedProxies {
		e = strings.TrimSpace(e)
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(e)
		if err != nil || ip.Zone() != "" {
			return nil, fmt.Errorf("entry %q is neither a CIDR prefix (10.0.0.0/8) nor an IP address", e)
		}
		ip = ip.Unmap()
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// BounceConfig says where bounces and complaints reported after the relay
// accepted a digest come from: a POP3 mailbox, and provider webhooks (each
// on when its credential is set).
type BounceConfig struct {
	POP3URL           string        `yaml:"pop3_url"`            // pop3s://user@host:995 | pop3://user@host:1110?tls=none
	Poll              string        `yaml:"poll"`                // cron: when the mailbox is read
	SoftWindow        time.Duration `yaml:"soft_window"`         // soft bounces count toward edition.bounce_after this long
	SESTopicARNs      []string      `yaml:"ses_topic_arns"`      // SNS topics whose SES notifications are accepted
	SendGridPublicKey string        `yaml:"sendgrid_public_key"` // Event Webhook verification key (base64)
	PostmarkUser      string        `yaml:"postmark_user"`       // basic-auth user of the Postmark webhook URL
}

// SMTPConfig is the relay; an empty URL means the .eml outbox.
type SMTPConfig struct {
	URL      string        `yaml:"url"`
	Pool     int           `yaml:"pool"`
	Rate     float64       `yaml:"rate"` // messages per second, 0 = unlimited
	Timeout  time.Duration `yaml:"timeout"`
	Insecure bool          `yaml:"insecure_skip_verify"`
}

// EditionConfig shapes each digest.
type EditionConfig struct {
	MaxStories  int           `yaml:"max_stories"`
	Lookback    time.Duration `yaml:"lookback"`
	SendEmpty   bool          `yaml:"send_empty"`
	Lead        bool          `yaml:"lead"`
	BounceAfter int           `yaml:"bounce_after"`
	RetryWindow time.Duration `yaml:"retry_window"`
	RecordRetry time.Duration `yaml:"record_retry"`
	// Lease is how long a worker holds a delivery it is sending before
	// another worker may take it over (10m). It must outlast a message's
	// SMTP timeout and a queue job, so that no send outlives its lease.
	Lease time.Duration `yaml:"lease"`
	// Language (ISO 639-1) is what an LLM writes headlines, summaries and
	// key points in, whatever the article's language; the digest names
	// the original's language. Default "en".
	Language string `yaml:"language"`
}

// GatherConfig tunes fetching.
type GatherConfig struct {
	RecencyWindow time.Duration `yaml:"recency_window"`
	// Concurrency is how many HTTP requests run at once in all; the
	// gather works on digest.GatherWorkers(Concurrency) sources at once.
	Concurrency  int           `yaml:"concurrency"`
	PerHost      int           `yaml:"per_host"`
	Timeout      time.Duration `yaml:"timeout"`
	MaxBytes     int64         `yaml:"max_bytes"`
	UserAgent    string        `yaml:"user_agent"`
	AllowPrivate bool          `yaml:"allow_private"`
	AllowHosts   []string      `yaml:"allow_hosts"`
	// FullText is when items' pages are fetched for their main text: auto
	// (items whose own text is short), always or never; a source's
	// full_text setting overrides it.
	FullText string `yaml:"full_text"`
}

// RelevanceConfig filters and ranks stories.
type RelevanceConfig struct {
	// Threshold is the relevance below which a story is dropped: absent
	// (nil) means the built-in default, 0 keeps every story.
	Threshold     *float64           `yaml:"threshold"`
	Topics        []TopicConfig      `yaml:"topics"` // empty: the built-in trade topics
	SourceWeights map[string]float64 `yaml:"source_weights"`
}

// TopicConfig is one topic with weighted terms.
type TopicConfig struct {
	Name    string             `yaml:"name"`
	Label   string             `yaml:"label"`
	Terms   map[string]float64 `yaml:"terms"`   // strong signals of the topic
	Context map[string]float64 `yaml:"context"` // words that count only beside strong terms
}

// LLMConfig configures the OpenAI-compatible summariser; it is used only
// when an API key is present (or base_url points at a local server).
type LLMConfig struct {
	Model             string        `yaml:"model"`
	BaseURL           string        `yaml:"base_url"`
	Azure             bool          `yaml:"azure"`
	APIVersion        string        `yaml:"api_version"`
	Timeout           time.Duration `yaml:"timeout"`
	MaxInputTokens    int           `yaml:"max_input_tokens"`
	RunTokenBudget    int           `yaml:"run_token_budget"`
	Concurrency       int           `yaml:"concurrency"`
	RequestsPerMinute int           `yaml:"requests_per_minute"`
	TokensPerMinute   int           `yaml:"tokens_per_minute"`
	MaxRetries        int           `yaml:"max_retries"`
	PromptDir         string        `yaml:"prompt_dir"`
	PricePromptPer1M  float64       `yaml:"price_prompt_per_1m"`
	PriceOutputPer1M  float64       `yaml:"price_completion_per_1m"`
	// EmbeddingsModel, when set, also clusters stories by the cosine of
	// their embeddings from the same OpenAI-compatible server.
	EmbeddingsModel string `yaml:"embeddings_model"`
}

// DKIMConfig enables DKIM signing when Domain is set.
type DKIMConfig struct {
	Domain   string `yaml:"domain"`
	Selector string `yaml:"selector"`
	KeyFile  string `yaml:"key_file"`
}

// ScheduleConfig sets the cron schedules of `digest serve`.
type ScheduleConfig struct {
	Gather      string `yaml:"gather"`
	Plan        string `yaml:"plan"`
	CatchUpDays int    `yaml:"catch_up_days"`
}

// QueueConfig tunes the job queue of `digest serve`; zero values take the
// queue's defaults.
type QueueConfig struct {
	Workers         int           `yaml:"workers"`          // jobs worked at once (8)
	JobTimeout      time.Duration `yaml:"job_timeout"`      // one deliver or summarise job (5m)
	RescueAfter     time.Duration `yaml:"rescue_after"`     // a job of a dead replica runs again after this (15m)
	MaxSnooze       time.Duration `yaml:"max_snooze"`       // longest wait of a deferred delivery between checks (15m)
	PollInterval    time.Duration `yaml:"poll_interval"`    // how often idle workers look for jobs (1s)
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"` // in-flight work allowed after SIGTERM (30s)
}

// LogConfig sets logging.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"` // text or json
}

// secret holds a credential; its String and Format never show the value.
type secret string

func (s secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s secret) GoString() string { return s.String() }

// DefaultConfig returns the built-in defaults: embedded SQLite, the outbox,
// offline summaries.
func DefaultConfig() Config {
	ec := digest.DefaultConfig()
	oc := summarize.DefaultOpenAIConfig()
	qc := queue.DefaultConfig()
	fc := feed.DefaultFetcherConfig()
	return Config{
		DB:       store.DefaultPath,
		Since:    24 * time.Hour,
		Outbox:   "./outbox",
		From:     ec.From,
		HTTPAddr: ":8080",
		TimeZone: digest.DefaultTimeZone,
		SiteName: digest.DefaultSiteName,
		SMTP:     SMTPConfig{Pool: dmail.DefaultConnections, Timeout: dmail.DefaultMessageTimeout},
		Edition: EditionConfig{
			MaxStories: ec.MaxStories, Lookback: ec.Lookback,
			BounceAfter: ec.BounceAfter, RetryWindow: ec.RetryWindow, RecordRetry: ec.RecordRetry,
			Lease: ec.Lease, Language: digest.DefaultLanguage,
		},
		Gather: GatherConfig{
			RecencyWindow: ec.RecencyWindow, Concurrency: fc.Global, PerHost: fc.PerHost,
			Timeout: fc.Timeout, MaxBytes: fc.MaxBodyBytes, FullText: digest.FullTextAuto,
		},
		LLM: LLMConfig{
			Model: oc.Model, Timeout: oc.Timeout, MaxInputTokens: oc.MaxInputTokens,
			Concurrency: oc.Concurrency, MaxRetries: oc.MaxRetries,
		},
		Schedule: ScheduleConfig{Gather: qc.GatherSchedule, Plan: qc.PlanSchedule},
		Bounce:   BounceConfig{Poll: qc.MailboxSchedule, SoftWindow: 30 * 24 * time.Hour},
		Log:      LogConfig{Level: "info", Format: "text"},
	}
}

// configError is a configuration mistake: exit status 2 with a hint.
type configError struct {
	msg  string
	hint string
}

func (e *configError) Error() string { return e.msg }

func badConfig(hint, format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// LoadFile decodes a YAML file over cfg; unknown keys are errors naming the
// key and line.
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return badConfig("check the --config path", "read config %s: %v", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty file decodes to io.EOF: accepted, it changes nothing.
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return badConfig("see examples/digest.yaml for every key", "config %s: %v", path, err)
	}
	return nil
}

// envLookup is os.LookupEnv, injectable in tests.
type envLookup func(string) (string, bool)

// ApplyEnv overlays the environment and reads secrets: every key as
// DIGEST_<SECTION>_<KEY> (see applyEnvKeys), the short names the README
// documents (DIGEST_SMTP_URL, DIGEST_LOG_LEVEL, ...), which are the same
// rule, plus a few aliases and OPENAI_BASE_URL (docs/architecture.md,
// Conventions).
func (c *Config) ApplyEnv(env envLookup) error {
	if err := applyEnvKeys(c, env); err != nil {
		return err
	}
	aliases := []struct {
		name string
		dst  *string
	}{
		{"OPENAI_BASE_URL", &c.LLM.BaseURL},
		{"DIGEST_PPROF", &c.HTTP.PprofAddr},
		{"DIGEST_GATHER_SCHEDULE", &c.Schedule.Gather},
		{"DIGEST_PLAN_SCHEDULE", &c.Schedule.Plan},
	}
	for _, a := range aliases {
		if v, ok := env(a.name); ok && v != "" {
			*a.dst = v
		}
	}
	for name, dst := range map[string]*bool{"DIGEST_SEND_EMPTY": &c.Edition.SendEmpty, "DIGEST_ALLOW_PRIVATE": &c.Gather.AllowPrivate} {
		if v, ok := env(name); ok && v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return badConfig("use true or false", "%s=%q is not a boolean", name, v)
			}
			*dst = b
		}
	}
	var err error
	if c.SMTPPassword, err = readSecret(env, "DIGEST_SMTP_PASSWORD"); err != nil {
		return err
	}
	if c.Secret, err = readSecret(env, "DIGEST_SECRET"); err != nil {
		return err
	}
	if c.OpenAIKey, err = readSecret(env, "OPENAI_API_KEY"); err != nil {
		return err
	}
	for name, dst := range map[string]*secret{
		"DIGEST_ADMIN_TOKEN": &c.AdminToken, "DIGEST_BOUNCE_POP3_PASSWORD": &c.POP3Password,
		"DIGEST_BOUNCE_MAILGUN_SIGNING_KEY": &c.MailgunSigningKey, "DIGEST_BOUNCE_POSTMARK_PASSWORD": &c.PostmarkPassword,
	} {
		if *dst, err = readSecret(env, name); err != nil {
			return err
		}
	}
	if c.MetricsToken, err = readSecret(env, "DIGEST_METRICS_TOKEN"); err != nil {
		return err
	}
	return nil
}

// readSecret reads NAME, or the file named by NAME_FILE (trailing newline
// trimmed, as Docker and Kubernetes secrets usually carry one).
func readSecret(env envLookup, name string) (secret, error) {
	if v, ok := env(name); ok && v != "" {
		return secret(v), nil
	}
	path, ok := env(name + "_FILE")
	if !ok || path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		// The path is not secret; the content never appears in messages.
		return "", badConfig("point "+name+"_FILE at a readable file", "read %s_FILE: %v", name, err)
	}
	return secret(strings.TrimRight(string(data), "\r\n")), nil
}

// Validate checks values that defaults, file, env and flags produced.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.DB) == "" {
		return badConfig("set db in the config file or DIGEST_DB", "db: empty")
	}
	if t := c.Relevance.Threshold; t != nil && (*t < 0 || *t > 1 || math.IsNaN(*t)) {
		return badConfig("use a number from 0 (keep every story) to 1, or leave it out for the default", "relevance.threshold: %v is not between 0 and 1", *t)
	}
	if c.Since <= 0 {
		return badConfig("use a Go duration such as 24h or 90m", "since: must be positive, got %s", c.Since)
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		return badConfig("use an IANA zone name such as Europe/Berlin", "timezone: %v", err)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return badConfig("use the public https address of digest serve", "base_url: %q is not an http(s) URL", c.BaseURL)
		}
	}
	if c.SMTP.URL != "" {
		u, err := url.Parse(c.SMTP.URL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return badConfig("use smtp://user@host:587, smtps://host:465 or smtp://host:1025?tls=none",
				"smtp.url (DIGEST_SMTP_URL): not an smtp:// or smtps:// URL")
		}
		if _, hasPass := u.User.Password(); hasPass {
			return badConfig("put the password in DIGEST_SMTP_PASSWORD or DIGEST_SMTP_PASSWORD_FILE",
				"smtp.url (DIGEST_SMTP_URL): must not contain a password")
		}
	}
	if c.SMTP.Pool < 1 || c.SMTP.Pool > 64 {
		return badConfig("use 1–64 connections", "smtp.pool: %d out of range", c.SMTP.Pool)
	}
	if c.Edition.MaxStories < 1 || c.Edition.MaxStories > 200 {
		return badConfig("use 1–200", "edition.max_stories: %d out of range", c.Edition.MaxStories)
	}
	if c.Edition.Language = strings.ToLower(strings.TrimSpace(c.Edition.Language)); digest.LanguageName(c.Edition.Language) == "" {
		return badConfig("use a two-letter ISO 639-1 code such as en, de or fr", "edition.language: %q is not a language the digest knows", c.Edition.Language)
	}
	if c.Edition.RecordRetry < 0 {
		return badConfig("use a Go duration such as 2m", "edition.record_retry: must not be negative")
	}
	if err := c.checkLease(); err != nil {
		return err
	}
	if c.Edition.Lookback <= 0 {
		return badConfig("use a Go duration such as 36h", "edition.lookback: must be positive")
	}
	if c.Gather.Concurrency < 1 || c.Gather.PerHost < 1 {
		return badConfig("use positive numbers", "gather.concurrency and gather.per_host must be ≥ 1")
	}
	for _, h := range c.Gather.AllowHosts {
		if err := feed.CheckAllowHost(h); err != nil {
			return badConfig("write host, host:port or host:* (a name, an IP address or a CIDR prefix; a bare host opens ports 80 and 443)",
				"gather.%v", err)
		}
	}
	if _, err := digest.NormaliseFullText(c.Gather.FullText); err != nil {
		return badConfig("use auto (pages of items with short text), always or never", "gather.%v", err)
	}
	if c.Gather.MaxBytes < 1<<10 {
		return badConfig("use at least 1024 bytes", "gather.max_bytes: %d too small", c.Gather.MaxBytes)
	}
	if f := strings.ToLower(c.Log.Format); f != "text" && f != "json" {
		return badConfig("use text or json", "log.format: %q", c.Log.Format)
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		return badConfig("use debug, info, warn or error", "log.level: %v", err)
	}
	for i, t := range c.Relevance.Topics {
		if strings.TrimSpace(t.Name) == "" || len(t.Terms) == 0 {
			return badConfig("each topic needs a name and terms", "relevance.topics[%d]: name or terms missing", i)
		}
	}
	if len(c.Relevance.Topics) > 0 {
		if err := rank.ValidateTopics(c.topics()); err != nil {
			return badConfig("each topic needs a unique name and positive term weights", "relevance.topics: %v", err)
		}
	}
	if c.DKIM.Domain != "" && (c.DKIM.Selector == "" || c.DKIM.KeyFile == "") {
		return badConfig("set dkim.selector and dkim.key_file too", "dkim: incomplete")
	}
	if _, err := c.HTTP.trustedProxies(); err != nil {
		return badConfig("list your reverse proxies' addresses, e.g. 10.0.0.0/8 or 127.0.0.1", "http.trusted_proxies (DIGEST_HTTP_TRUSTED_PROXIES): %v", err)
	}
	if c.HTTP.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.MetricsAddr); err != nil {
			return badConfig("use host:port, e.g. 127.0.0.1:9090", "http.metrics_addr (DIGEST_HTTP_METRICS_ADDR): %v", err)
		}
	}
	if c.HTTP.PprofAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.PprofAddr); err != nil {
			return badConfig("use host:port, e.g. 127.0.0.1:6060", "http.pprof_addr (DIGEST_PPROF): %v", err)
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return badConfig("generate one with: openssl rand -hex 32", "DIGEST_METRICS_TOKEN: must be at least 16 characters")
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		return badConfig("generate one with: openssl rand -hex 32", "DIGEST_SECRET: must be at least 32 characters")
	}
	if c.Bounce.POP3URL != "" {
		if _, err := bounce.ParsePOP3URL(c.Bounce.POP3URL); err != nil {
			return badConfig("use pop3s://user@host:995, or pop3://user@host:1110?tls=none for a local test server", "bounce.pop3_url (DIGEST_BOUNCE_POP3_URL): %v", err)
		}
	}
	if (c.Bounce.PostmarkUser == "") != (c.PostmarkPassword == "") {
		return badConfig("set both, or neither", "bounce.postmark_user and DIGEST_BOUNCE_POSTMARK_PASSWORD go together")
	}
	if c.Bounce.SoftWindow < 0 {
		return badConfig("use a Go duration such as 720h", "bounce.soft_window: must not be negative")
	}
	if c.AdminToken != "" && len(c.AdminToken) < api.MinTokenLength {
		return badConfig("generate one with: openssl rand -hex 32", "DIGEST_ADMIN_TOKEN: must be at least %d characters", api.MinTokenLength)
	}
	return nil
}

// llmEnabled reports whether summaries should come from an LLM.
func (c *Config) llmEnabled() bool {
	return c.OpenAIKey != "" || c.LLM.BaseURL != ""
}

// topics returns the configured topics, or the built-in trade topics.
func (c *Config) topics() []rank.Topic {
	if len(c.Relevance.Topics) == 0 {
		return rank.DefaultTopics()
	}
	out := make([]rank.Topic, 0, len(c.Relevance.Topics))
	for _, t := range c.Relevance.Topics {
		out = append(out, rank.Topic{Name: t.Name, Label: t.Label, Terms: t.Terms, Context: t.Context})
	}
	return out
}

// checkLease refuses a delivery lease that a send could outlive: shorter
// than a minute, than a message's SMTP timeout or than a queue job (whose
// default, 5m, counts when queue.job_timeout is 0). Another worker takes a
// row over when its lease ends, so a send still running then could reach
// the reader twice.
func (c *Config) checkLease() error {
	lease := c.Edition.Lease
	if lease < time.Minute {
		return badConfig("use a Go duration of at least 1m, such as 10m", "edition.lease: %s is shorter than a minute", lease)
	}
	if c.SMTP.Timeout >= lease {
		return badConfig("make edition.lease longer than smtp.timeout", "edition.lease: %s does not outlast smtp.timeout (%s)", lease, c.SMTP.Timeout)
	}
	job := cmp.Or(c.Queue.JobTimeout, queue.DefaultConfig().JobTimeout)
	if job >= lease {
		return badConfig("make edition.lease longer than queue.job_timeout", "edition.lease: %s does not outlast a queue job (%s)", lease, job)
	}
	return nil
}
