// Package web is the HTTP face of `digest serve`: one-click unsubscribe
// (RFC 8058), double opt-in sign-up, the preferences page, the public
// archive and its Atom feed, and the health, readiness and metrics endpoints.
//
// Pages are server-rendered with html/template from embedded files, work
// without JavaScript, and are served with a strict Content-Security-Policy.
// Personal links carry tokens from package token; the handlers compare a
// token's claims with the stored subscriber, so a token outlives neither an
// address change nor a deleted subscriber.
package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
	"github.com/tradedigest/tradedigest/internal/defaults"
)

// Subscribers is what the handlers need from the subscriber store; a subset
// of digest.SubscriberStore. Errors: digest.ErrNotFound for an absent
// subscriber, digest.ErrConflict from AddSubscriber when the email exists.
type Subscribers interface {
	AddSubscriber(ctx context.Context, s digest.Subscriber) (digest.Subscriber, error)
	UpdateSubscriber(ctx context.Context, s digest.Subscriber) error
	Subscriber(ctx context.Context, id int64) (digest.Subscriber, error)
	SubscriberByEmail(ctx context.Context, email string) (digest.Subscriber, error)
	SetSubscriberStatus(ctx context.Context, id int64, status digest.SubscriberStatus) error
	// TakeSignupMail records a sign-up mail to the subscriber unless limit
	// were recorded within window, and says whether it did; concurrent
	// calls for one subscriber must not exceed limit between them.
	TakeSignupMail(ctx context.Context, subscriberID int64, limit int, window time.Duration) (bool, error)
}

// Editions is what the archive needs from the edition store; a subset of
// digest.EditionStore. Edition returns digest.ErrNotFound when absent.
type Editions interface {
	Edition(ctx context.Context, date string) (digest.ArchivedEdition, error)
	Editions(ctx context.Context, limit int) ([]digest.ArchivedEdition, error)
	// EditionDates lists the editions' dates, newest first, without
	// loading their bodies.
	EditionDates(ctx context.Context, limit int) ([]string, error)
}

// Mailer sends the sign-up confirmation; digest.Mailer satisfies it.
type Mailer interface {
	Send(ctx context.Context, msg digest.Message) error
}

// Check is one readiness check run by /readyz. Fn returns nil when the
// dependency is usable.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
	// Cache, when positive, reuses Fn's result for that long, and requests
	// that arrive while Fn runs share that one run: a check that costs a
	// connection to someone else's server (the mail relay) then costs one
	// per Cache however often probes ask.
	Cache time.Duration
}

// Config configures a Server. BaseURL, Signer and Subscribers are required;
// zero values elsewhere take the defaults listed on each field.
type Config struct {
	// BaseURL is the public address of the server (DIGEST_BASE_URL), e.g.
	// "https://digest.example.com"; links in mails and the feed are built
	// from it.
	BaseURL string
	// Signer signs and verifies the tokens in personal links.
	Signer      *token.Signer
	Subscribers Subscribers
	// Editions backs /archive, /feed.xml and /stories.xml; nil answers 404
	// there.
	Editions Editions
	// Mailer sends sign-up confirmations; nil disables /subscribe (404).
	Mailer Mailer
	// Checks are run by /readyz, concurrently, within ReadyTimeout.
	Checks []Check
	// Metrics serves /metrics (the Prometheus handler); nil answers 404.
	Metrics http.Handler
	// MetricsToken, when set, is the bearer token /metrics requires
	// (Authorization: Bearer <token>); see RequireBearer.
	MetricsToken string

	// Topics are the topics a reader may choose; empty means the sign-up
	// and preferences forms offer none (every reader gets everything).
	Topics []string
	// TopicLabels are the words shown for each topic name ("Export
	// controls and sanctions" for "export-controls"); optional.
	TopicLabels map[string]string
	// SiteName is shown in pages and mails ("Trade Digest").
	SiteName string
	// From is the sender of confirmation mails (digest.DefaultFrom).
	From string
	// MessageIDDomain is the right side of confirmation Message-IDs
	// (default: BaseURL's host).
	MessageIDDomain string
	// DefaultSendTime pre-fills the sign-up form (digest.DefaultSendTime).
	DefaultSendTime string

	// TrustedProxies are the reverse proxies in front of the server
	// (http.trusted_proxies). Only a request whose peer is in one of them
	// has its X-Forwarded-For believed: the client is the right-most entry
	// that is not itself a trusted proxy. Empty: the peer is the client,
	// and X-Forwarded-For is ignored (clients could choose their address).
	TrustedProxies []netip.Prefix
	// SignupBurst sign-ups are allowed per client address (5), refilled
	// one per SignupWindow/SignupBurst (SignupWindow: 10 min).
	SignupBurst  int
	SignupWindow time.Duration
	// SignupMails bounds the sign-up mails (confirmations, "already
	// subscribed" notes) one address receives per SignupMailWindow (3 per
	// 24 h), whoever asks and from however many networks; beyond it the
	// form answers as usual and sends nothing.
	SignupMails      int
	SignupMailWindow time.Duration
	// RateLimitClients bounds the addresses the limiter remembers (10,000);
	// the least recently seen is forgotten first.
	RateLimitClients int

	// ReadyTimeout bounds /readyz (2 s); SendTimeout bounds sending one
	// confirmation mail (15 s).
	ReadyTimeout time.Duration
	SendTimeout  time.Duration
	// MaxBodyBytes bounds request bodies (64 KiB).
	MaxBodyBytes int64

	Logger *slog.Logger
	Now    func() time.Time
}

// Server serves the digest's web pages. Create it with New.
type Server struct {
	cfg     Config
	base    *url.URL
	links   Links
	log     *slog.Logger
	now     func() time.Time
	pages   *pages
	mails   *mailTemplates
	limiter *limiter
	csrf    *http.CrossOriginProtection
	checks  []Check // cfg.Checks, cached ones wrapped
	handler http.Handler
}

// New checks cfg, fills in defaults, parses the embedded templates and
// returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Signer == nil {
		return nil, errors.New("new web server: Signer is required")
	}
	if cfg.Subscribers == nil {
		return nil, errors.New("new web server: Subscribers is required")
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("new web server: base URL: %w", err)
	}
	cfg.BaseURL = strings.TrimRight(base.String(), "/")
	setDefaults(&cfg, base)
	for _, t := range cfg.Topics {
		if strings.TrimSpace(t) == "" {
			return nil, errors.New("new web server: empty topic name")
		}
	}
	if !validSendTime(cfg.DefaultSendTime) {
		return nil, fmt.Errorf("new web server: default send time %q is not HH:MM", cfg.DefaultSendTime)
	}
	pg, err := parsePages(cfg.TopicLabels)
	if err != nil {
		return nil, fmt.Errorf("new web server: %w", err)
	}
	mt, err := parseMailTemplates()
	if err != nil {
		return nil, fmt.Errorf("new web server: %w", err)
	}
	s := &Server{
		cfg:     cfg,
		base:    base,
		links:   Links{BaseURL: cfg.BaseURL, Signer: cfg.Signer},
		log:     cfg.Logger,
		now:     cfg.Now,
		pages:   pg,
		mails:   mt,
		limiter: newLimiter(cfg.SignupBurst, cfg.SignupWindow, cfg.RateLimitClients),
		csrf:    http.NewCrossOriginProtection(),
	}
	// A reverse proxy may rewrite Host, which would make the Origin check
	// refuse the site's own forms; the public origin is always trusted.
	if err := s.csrf.AddTrustedOrigin(base.Scheme + "://" + base.Host); err != nil {
		return nil, fmt.Errorf("new web server: trusted origin: %w", err)
	}
	s.csrf.SetDenyHandler(http.HandlerFunc(s.forbidden))
	s.checks = s.cachedChecks()
	s.handler = s.routes()
	return s, nil
}

func setDefaults(cfg *Config, base *url.URL) {
	cfg.SiteName = cmp.Or(cfg.SiteName, digest.DefaultSiteName)
	cfg.From = cmp.Or(cfg.From, digest.DefaultFrom)
	cfg.MessageIDDomain = cmp.Or(cfg.MessageIDDomain, base.Hostname())
	cfg.DefaultSendTime = cmp.Or(cfg.DefaultSendTime, digest.DefaultSendTime)
	cfg.SignupBurst = defaults.PositiveOr(cfg.SignupBurst, 5)
	cfg.SignupWindow = defaults.PositiveOr(cfg.SignupWindow, 10*time.Minute)
	cfg.SignupMails = defaults.PositiveOr(cfg.SignupMails, 3)
	cfg.SignupMailWindow = defaults.PositiveOr(cfg.SignupMailWindow, 24*time.Hour)
	cfg.RateLimitClients = defaults.PositiveOr(cfg.RateLimitClients, 10000)
	cfg.ReadyTimeout = defaults.PositiveOr(cfg.ReadyTimeout, 2*time.Second)
	cfg.SendTimeout = defaults.PositiveOr(cfg.SendTimeout, 15*time.Second)
	cfg.MaxBodyBytes = defaults.PositiveOr(cfg.MaxBodyBytes, 64<<10)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("empty (set DIGEST_BASE_URL)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%q: scheme must be https (or http for local use)", raw)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q: want scheme://host[/path] only", raw)
	}
	return u, nil
}

// Handler returns the server's routes wrapped in the security headers and
// request logging.
func (s *Server) Handler() http.Handler { return s.handler }

// Links returns the link builder the server's own pages use.
func (s *Server) Links() Links { return s.links }

// HTTPServer returns an http.Server for addr serving Handler, with timeouts
// that keep slow or idle clients from holding connections.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc("GET /static/style.css", s.handleStyle)
	mux.HandleFunc("GET /static/icon.svg", s.handleIcon)
	mux.HandleFunc("GET /favicon.ico", s.handleIcon)

	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", RequireBearer(s.cfg.MetricsToken, s.cfg.Metrics))
	}

	// Unsubscribe is deliberately outside the cross-origin check: RFC 8058
	// one-click POSTs come from mail providers, and the token is the
	// authority.
	mux.HandleFunc("GET /unsubscribe", s.handleUnsubscribePage)
	mux.HandleFunc("POST /unsubscribe", s.handleUnsubscribe)

	if s.cfg.Mailer != nil {
		mux.HandleFunc("GET /subscribe", s.handleSubscribePage)
		mux.Handle("POST /subscribe", s.csrf.Handler(http.HandlerFunc(s.handleSubscribe)))
		mux.HandleFunc("GET /confirm", s.handleConfirmPage)
		mux.Handle("POST /confirm", s.csrf.Handler(http.HandlerFunc(s.handleConfirm)))
	}
	mux.HandleFunc("GET /preferences", s.handlePreferencesPage)
	mux.Handle("POST /preferences", s.csrf.Handler(http.HandlerFunc(s.handlePreferences)))

	if s.cfg.Editions != nil {
		mux.HandleFunc("GET /archive", s.handleArchive)
		mux.HandleFunc("GET /archive/{date}", s.handleEdition)
		mux.HandleFunc("GET /feed.xml", s.handleFeed)
		mux.HandleFunc("GET /stories.xml", s.handleStoriesFeed)
	}
	return s.logRequests(s.secure(mux))
}

// secure sets the headers every response carries. Handlers that serve other
// content (the archived editions) replace the Content-Security-Policy.
func (s *Server) secure(next http.Handler) http.Handler {
	csp := pageCSP()
	hsts := s.base.Scheme == "https"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// Tokens travel in query strings; no Referer may carry them away.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request (see LogRequests).
func (s *Server) logRequests(next http.Handler) http.Handler { return LogRequests(s.log, next) }

// LogRequests logs one line per request served by next. It logs the path
// only: the query string carries tokens, which must never reach the logs
// (nor do headers, such as an admin API's Authorization).
func LogRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		log.Log(r.Context(), level, "http request",
			"method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.bytes, "duration_ms", time.Since(start).Milliseconds())
	})
}
