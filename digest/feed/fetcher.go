package feed

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tradedigest/tradedigest/internal/defaults"
	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// FetcherConfig tunes a Fetcher. Start from DefaultFetcherConfig; zero
// fields fall back to the defaults noted on each.
type FetcherConfig struct {
	// ConnectTimeout bounds the TCP (and TLS) connection set-up (10 s).
	ConnectTimeout time.Duration
	// Timeout bounds one request attempt from dial to the last body byte
	// (30 s).
	Timeout time.Duration
	// MaxBodyBytes caps a response body after decompression (10 MB).
	MaxBodyBytes int64
	// MaxRedirects is how many redirects one request may follow (5).
	MaxRedirects int
	// UserAgent is sent with every request unless a Request overrides it
	// (UserAgent("dev")).
	UserAgent string
	// PerHost is how many requests run at once against one host (2).
	PerHost int
	// Global is how many requests run at once in total (16).
	Global int
	// Retries is how many times a request is retried after a 5xx, a 429 or
	// a timeout (2). Negative means no retries.
	Retries int
	// RetryBase is the first back-off; it doubles per retry, with full
	// jitter (500 ms).
	RetryBase time.Duration
	// MaxRetryAfter caps how long a Retry-After header may make us wait;
	// a longer demand fails the request instead (30 s).
	MaxRetryAfter time.Duration
	// AllowPrivate lets requests reach loopback, private, link-local and
	// other non-public addresses. Off by default: feed and page URLs are
	// untrusted input.
	AllowPrivate bool
	// AllowHosts are exceptions to the address guard: host names as they
	// appear in URLs ("intranet.example"), IP addresses, or CIDR prefixes
	// ("10.1.0.0/16"), each alone (ports 80 and 443), with a port
	// ("intranet.example:8080") or with ":*" (every port); see
	// CheckAllowHost. A malformed entry makes every Get fail with an error
	// naming it.
	AllowHosts []string
	// Resolver looks host names up; nil is the system's configuration.
	// Tests and the benchmarks point it at a DNS server of their own. The
	// Fetcher looks up through Go's resolver over r's Dial, resending
	// unanswered UDP queries (see retransmitting).
	Resolver *net.Resolver
	// Logger receives retries and refusals at debug level; nil discards.
	Logger *slog.Logger
}

// UserAgent returns the default User-Agent for a build version.
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "digest/" + version + " (+https://github.com/tradedigest/tradedigest)"
}

// DefaultFetcherConfig returns the defaults: 10 s connect, 30 s total,
// 10 MB body, 5 redirects, 2 per host, 16 in all, 2 retries from 500 ms,
// Retry-After up to 30 s, private addresses refused.
func DefaultFetcherConfig() FetcherConfig {
	return FetcherConfig{
		ConnectTimeout: 10 * time.Second,
		Timeout:        30 * time.Second,
		MaxBodyBytes:   10 << 20,
		MaxRedirects:   5,
		UserAgent:      UserAgent("dev"),
		PerHost:        2,
		Global:         16,
		Retries:        2,
		RetryBase:      500 * time.Millisecond,
		MaxRetryAfter:  30 * time.Second,
	}
}

func (c FetcherConfig) withDefaults() FetcherConfig {
	d := DefaultFetcherConfig()
	c.ConnectTimeout = defaults.PositiveOr(c.ConnectTimeout, d.ConnectTimeout)
	c.Timeout = defaults.PositiveOr(c.Timeout, d.Timeout)
	c.MaxBodyBytes = defaults.PositiveOr(c.MaxBodyBytes, d.MaxBodyBytes)
	c.MaxRedirects = defaults.PositiveOr(c.MaxRedirects, d.MaxRedirects)
	if c.UserAgent == "" {
		c.UserAgent = d.UserAgent
	}
	c.PerHost = defaults.PositiveOr(c.PerHost, d.PerHost)
	c.Global = defaults.PositiveOr(c.Global, d.Global)
	if c.Retries == 0 {
		c.Retries = d.Retries
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	c.RetryBase = defaults.PositiveOr(c.RetryBase, d.RetryBase)
	c.MaxRetryAfter = defaults.PositiveOr(c.MaxRetryAfter, d.MaxRetryAfter)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Errors a Fetcher returns, wrapped with the URL; test with errors.Is.
var (
	// ErrBlockedAddress: the host resolved to an address the guard refuses.
	ErrBlockedAddress = errors.New("address not allowed")
	// ErrTooLarge: the body exceeded MaxBodyBytes after decompression.
	ErrTooLarge = errors.New("response too large")
	// ErrTooManyRedirects: more than MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrScheme: only http and https URLs are fetched.
	ErrScheme = errors.New("only http and https URLs are fetched")
)

// StatusError is an HTTP reply that is neither 2xx nor 304.
type StatusError struct {
	Code int
	// RetryAfter is the server's Retry-After demand, when it gave one.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Request is one GET.
type Request struct {
	URL string
	// ETag and LastModified are the validators of the last successful
	// fetch; when set, the request is conditional.
	ETag         string
	LastModified string
	// UserAgent overrides the configured one (per-source setting).
	UserAgent string
	// Accept is the Accept header; empty sends none.
	Accept string
}

// Response is a fetched body.
type Response struct {
	// URL is the final URL, after redirects.
	URL         string
	StatusCode  int
	ContentType string
	// NotModified is set when a conditional request got 304; Body is empty.
	NotModified bool
	// Body is the decompressed body.
	Body []byte
	// WireBytes counts the bytes received for the body (before
	// decompression), over all attempts.
	WireBytes int64
	// ETag and LastModified are the new validators (the old ones on 304
	// when the server repeats none).
	ETag         string
	LastModified string
}

// Fetcher does polite, bounded, guarded HTTP GETs. It is safe for
// concurrent use; one Fetcher should serve a whole run so that its
// per-host and global limits hold across sources.
//
// A Fetcher from ForRun also remembers the hosts that failed during the
// run (see HostError): later requests to them fail at once instead of
// waiting for the resolver or the connection again.
type Fetcher struct {
	*pool
	failed *hostMemory // nil: nothing remembered (NewFetcher's)
}

// pool is what every Fetcher of a process shares: the connections and the
// limits.
type pool struct {
	cfg    FetcherConfig
	client *http.Client
	global chan struct{}

	mu    sync.Mutex
	hosts map[string]*hostSlot

	allow allowList
}

type hostSlot struct {
	sem  chan struct{}
	refs int
}

// NewFetcher returns a Fetcher with its own http.Client and connection pool.
func NewFetcher(cfg FetcherConfig) *Fetcher {
	cfg = cfg.withDefaults()
	f := &Fetcher{pool: &pool{
		cfg:    cfg,
		global: make(chan struct{}, cfg.Global),
		hosts:  map[string]*hostSlot{},
		allow:  parseAllowList(cfg.AllowHosts),
	}}
	dialer := &net.Dialer{
		Timeout:        cfg.ConnectTimeout,
		KeepAlive:      30 * time.Second,
		ControlContext: f.guard,
		Resolver:       retransmitting(cfg.Resolver),
	}
	tr := &http.Transport{
		// No proxy from the environment: a proxy would dial for us and
		// the address guard would check the proxy, not the target.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			// Names are allowed as the URL spells them, before DNS; the
			// guard then lets any address they resolve to through.
			if host, port, err := net.SplitHostPort(addr); err == nil {
				p, _ := strconv.Atoi(port)
				ok, near := f.allow.name(host, p)
				ctx = context.WithValue(ctx, allowKey{}, allowed{ok: ok, near: near})
			}
			// The run's memory of failed hosts travels with the request:
			// this also catches a redirect to a host that failed before.
			mem, _ := ctx.Value(memoryKey{}).(*hostMemory)
			if herr := mem.check(addr); herr != nil {
				return nil, herr
			}
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				if herr := mem.record(addr, err); herr != nil {
					return nil, herr
				}
			}
			return conn, err
		},
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          cfg.Global * 2,
		MaxIdleConnsPerHost:   cfg.PerHost,
		MaxConnsPerHost:       cfg.PerHost * 2,
		IdleConnTimeout:       90 * time.Second,
		// We ask for gzip ourselves so that the size cap applies to the
		// decompressed body and a gzip bomb is refused.
		DisableCompression: true,
		ForceAttemptHTTP2:  true,
	}
	f.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, cfg.MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %q: %w", redact.URL(req.URL.String()), ErrScheme)
			}
			return nil
		},
	}
	return f
}

// Config returns the effective configuration (defaults filled in).
func (f *Fetcher) Config() FetcherConfig { return f.cfg }

// ForRun returns a Fetcher for one run: it shares f's connections and
// limits, and remembers the hosts that fail during the run.
func (f *Fetcher) ForRun() *Fetcher {
	return &Fetcher{pool: f.pool, failed: &hostMemory{hosts: map[string]error{}}}
}

// Close releases idle connections.
func (f *Fetcher) Close() { f.client.CloseIdleConnections() }

// allowKey carries the allow list's verdict on the dialled name from
// DialContext to guard.
type allowKey struct{}

type allowed struct {
	ok   bool
	near *allowRule // a rule for the name, or the address, on other ports
}

// guard runs after DNS resolution, on the address actually dialled, so a
// name that resolves (or re-resolves) to a private address is refused
// whatever the URL or redirect said.
func (f *pool) guard(ctx context.Context, network, address string, _ syscall.RawConn) error {
	if f.cfg.AllowPrivate {
		return nil
	}
	byName, _ := ctx.Value(allowKey{}).(allowed)
	if byName.ok {
		return nil
	}
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrBlockedAddress, address)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return fmt.Errorf("%w: cannot parse %q", ErrBlockedAddress, address)
	}
	port, _ := strconv.Atoi(portText)
	ok, near := f.allow.addr(ip, port)
	if ok {
		return nil
	}
	why := blockedReason(ip)
	if why == "" {
		return nil
	}
	f.cfg.Logger.Debug("address refused", "address", address, "reason", why)
	if near == nil {
		near = byName.near
	}
	if near != nil {
		return fmt.Errorf("%w: %s is %s, and gather.allow_hosts entry %q opens %s only, not %d (add %s)",
			ErrBlockedAddress, ip, why, near.entry, near.portsText(), port, near.withPort(port))
	}
	return fmt.Errorf("%w: %s is %s", ErrBlockedAddress, ip, why)
}

var blockedNets = lazy.Value[[]blockedNet]{Build: func() []blockedNet {
	list := []struct{ cidr, why string }{
		{"0.0.0.0/8", "unspecified"},
		{"10.0.0.0/8", "private"},
		{"100.64.0.0/10", "shared (CGNAT)"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private"},
		{"192.0.0.0/24", "reserved"},
		{"192.168.0.0/16", "private"},
		{"198.18.0.0/15", "reserved (benchmarking)"},
		{"224.0.0.0/4", "multicast"},
		{"240.0.0.0/4", "reserved"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"fc00::/7", "private (ULA)"},
		{"fe80::/10", "link-local"},
		{"ff00::/8", "multicast"},
		{"64:ff9b::/96", "NAT64"},
	}
	out := make([]blockedNet, 0, len(list))
	for _, e := range list {
		_, n, err := net.ParseCIDR(e.cidr)
		if err != nil {
			panic(err) // constant table
		}
		out = append(out, blockedNet{n, e.why})
	}
	return out
}}

// blockedNet is a network fetches may not reach, and why.
type blockedNet struct {
	n   *net.IPNet
	why string
}

// blockedReason says why ip is refused, or "" when it is a public address.
func blockedReason(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		ip = v4 // also catches IPv4-mapped IPv6 (::ffff:127.0.0.1)
	}
	for _, b := range blockedNets.Get() {
		if b.n.Contains(ip) {
			return b.why
		}
	}
	return ""
}

// Get fetches req.URL, retrying transient failures, and returns the body.
// A 304 to a conditional request is a success with NotModified set. Errors
// name the URL.
func (f *Fetcher) Get(ctx context.Context, req Request) (*Response, error) {
	// Errors and logs name the URL with its credentials hidden: they end
	// up in run reports, source health and metrics.
	shown := redact.URL(req.URL)
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("fetch %q: %w", shown, redactURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("fetch %q: %w", shown, ErrScheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("fetch %q: missing host", shown)
	}
	if f.allow.err != nil {
		return nil, fmt.Errorf("fetch %q: gather.%w", shown, f.allow.err)
	}
	if herr := f.failed.check(hostPort(u)); herr != nil {
		return nil, fmt.Errorf("fetch %q: %w", shown, herr)
	}
	if f.failed != nil {
		ctx = context.WithValue(ctx, memoryKey{}, f.failed)
	}
	var wire int64
	for attempt := 0; ; attempt++ {
		resp, n, err := f.once(ctx, u, req)
		wire += n
		if err == nil {
			resp.WireBytes = wire
			return resp, nil
		}
		err = redactURLError(err)
		wait, retry := f.retryable(ctx, err, attempt)
		if !retry {
			return nil, fmt.Errorf("fetch %q: %w", shown, err)
		}
		f.cfg.Logger.Debug("fetch retry", "url", shown, "attempt", attempt+1, "wait", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("fetch %q: %w (after %v)", shown, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// redactURLError hides credentials in the URL a *url.Error from the HTTP
// client carries (it strips a password, not a query's keys).
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redact.URL(ue.URL)
	}
	return err
}

// retryable decides whether err deserves another attempt and how long to
// wait first.
func (f *Fetcher) retryable(ctx context.Context, err error, attempt int) (time.Duration, bool) {
	if ctx.Err() != nil || attempt >= f.cfg.Retries {
		return 0, false
	}
	// A name that does not resolve, a refused connection or a failed TLS
	// handshake will not be different in a second: the next run tries
	// again.
	if hostFailure(err) {
		return 0, false
	}
	backoff := func() time.Duration {
		d := f.cfg.RetryBase << attempt
		return d/2 + rand.N(d/2+1) // jitter, but never zero
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable:
			if se.RetryAfter > f.cfg.MaxRetryAfter {
				return 0, false
			}
			if se.RetryAfter > 0 {
				return se.RetryAfter, true
			}
			return backoff(), true
		case se.Code >= 500:
			return backoff(), true
		}
		return 0, false
	}
	if errors.Is(err, ErrBlockedAddress) || errors.Is(err, ErrTooLarge) ||
		errors.Is(err, ErrTooManyRedirects) || errors.Is(err, ErrScheme) {
		return 0, false
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return backoff(), true
	}
	return 0, false
}

// once makes one attempt. It returns the wire bytes read even on error.
func (f *Fetcher) once(ctx context.Context, u *url.URL, req Request) (*Response, int64, error) {
	release, err := f.acquire(ctx, strings.ToLower(u.Hostname()))
	if err != nil {
		return nil, 0, err
	}
	defer release()
	// The host may have failed while this request waited for its slot.
	if herr := f.failed.check(hostPort(u)); herr != nil {
		return nil, 0, herr
	}

	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	ua := req.UserAgent
	if ua == "" {
		ua = f.cfg.UserAgent
	}
	hreq.Header.Set("User-Agent", ua)
	hreq.Header.Set("Accept-Encoding", "gzip")
	if req.Accept != "" {
		hreq.Header.Set("Accept", req.Accept)
	}
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	hresp, err := f.client.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is added once, by Get
			// A failed TLS handshake shows only here, after the dial;
			// the URL is the one that failed, after any redirect.
			if fu, perr := url.Parse(ue.URL); perr == nil {
				if herr := f.failed.record(hostPort(fu), err); herr != nil {
					return nil, 0, herr
				}
			}
		}
		return nil, 0, err
	}
	defer hresp.Body.Close()

	resp := &Response{
		URL:          hresp.Request.URL.String(),
		StatusCode:   hresp.StatusCode,
		ContentType:  hresp.Header.Get("Content-Type"),
		ETag:         hresp.Header.Get("ETag"),
		LastModified: hresp.Header.Get("Last-Modified"),
	}
	wire := &countReader{r: hresp.Body}
	switch {
	case hresp.StatusCode == http.StatusNotModified:
		_, _ = io.Copy(io.Discard, io.LimitReader(wire, 64<<10))
		resp.NotModified = true
		if resp.ETag == "" && resp.LastModified == "" {
			resp.ETag, resp.LastModified = req.ETag, req.LastModified
		}
		return resp, wire.n, nil
	case hresp.StatusCode < 200 || hresp.StatusCode > 299:
		_, _ = io.Copy(io.Discard, io.LimitReader(wire, 64<<10))
		return nil, wire.n, &StatusError{Code: hresp.StatusCode, RetryAfter: retryAfter(hresp.Header.Get("Retry-After"), time.Now())}
	}
	var body io.Reader = wire
	if strings.EqualFold(strings.TrimSpace(hresp.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return nil, wire.n, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		body = zr
	}
	data, err := io.ReadAll(io.LimitReader(body, f.cfg.MaxBodyBytes+1))
	if err != nil {
		return nil, wire.n, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > f.cfg.MaxBodyBytes {
		return nil, wire.n, fmt.Errorf("%w: body exceeds %d bytes after decompression", ErrTooLarge, f.cfg.MaxBodyBytes)
	}
	resp.Body = data
	return resp, wire.n, nil
}

// acquire takes a slot for host, then a global one (so a busy host does not
// hold global slots while it waits), and
// returns the function that gives both back.
func (f *pool) acquire(ctx context.Context, host string) (func(), error) {
	f.mu.Lock()
	hs := f.hosts[host]
	if hs == nil {
		hs = &hostSlot{sem: make(chan struct{}, f.cfg.PerHost)}
		f.hosts[host] = hs
	}
	hs.refs++
	f.mu.Unlock()
	unref := func() {
		f.mu.Lock()
		hs.refs--
		if hs.refs == 0 {
			delete(f.hosts, host) // the map stays as small as the live hosts
		}
		f.mu.Unlock()
	}
	select {
	case hs.sem <- struct{}{}:
	case <-ctx.Done():
		unref()
		return nil, ctx.Err()
	}
	select {
	case f.global <- struct{}{}:
	case <-ctx.Done():
		<-hs.sem
		unref()
		return nil, ctx.Err()
	}
	return func() {
		<-f.global
		<-hs.sem
		unref()
	}, nil
}

// retryAfter parses a Retry-After value (seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		// A demand beyond what a Duration holds would wrap around to a
		// short (or negative) wait and defeat MaxRetryAfter.
		if s > int(math.MaxInt64/time.Second) {
			return math.MaxInt64
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
