package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

func TestNew(t *testing.T) {
	signer, err := token.NewSigner([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	store := newMemStore(time.Now)
	good := Config{BaseURL: "https://digest.example.com", Signer: signer, Subscribers: store}
	if _, err := New(good); err != nil {
		t.Fatalf("New(minimal config): %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no signer", func(c *Config) { c.Signer = nil }, "Signer"},
		{"no store", func(c *Config) { c.Subscribers = nil }, "Subscribers"},
		{"no base URL", func(c *Config) { c.BaseURL = "" }, "DIGEST_BASE_URL"},
		{"relative base URL", func(c *Config) { c.BaseURL = "digest.example.com" }, "scheme"},
		{"base URL with query", func(c *Config) { c.BaseURL = "https://x.example/?a=b" }, "host"},
		{"bad send time", func(c *Config) { c.DefaultSendTime = "7am" }, "HH:MM"},
		{"empty topic", func(c *Config) { c.Topics = []string{"a", " "} }, "topic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	signer, _ := token.NewSigner([]byte(testSecret))
	sub := digest.Subscriber{ID: 7, Email: "r@example.com"}
	l := Links{BaseURL: "https://d.example", Signer: signer}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		link, prefix, purpose string
		expires               time.Time
	}{
		{l.UnsubscribeURL(sub), "https://d.example/unsubscribe?t=", token.PurposeUnsubscribe, time.Time{}},
		{l.PreferencesURL(sub), "https://d.example/preferences?t=", token.PurposePreferences, time.Time{}},
		{l.ConfirmURL(sub, now), "https://d.example/confirm?t=", token.PurposeConfirm, now.Add(token.ConfirmTTL)},
	} {
		if !strings.HasPrefix(tt.link, tt.prefix) {
			t.Errorf("link %q, want prefix %q", tt.link, tt.prefix)
			continue
		}
		u, _ := url.Parse(tt.link)
		c, err := signer.Verify(u.Query().Get("t"), tt.purpose, now)
		if err != nil || c.SubscriberID != 7 || c.Email != sub.Email || !c.Expires.Equal(tt.expires) {
			t.Errorf("%s: claims %+v, %v", tt.purpose, c, err)
		}
	}
	if got := l.ArchiveURL("2026-03-01"); got != "https://d.example/archive/2026-03-01" {
		t.Errorf("ArchiveURL = %q", got)
	}
	var none Links
	if none.UnsubscribeURL(sub) != "" || none.ArchiveURL("2026-03-01") != "" {
		t.Error("Links without BaseURL made links")
	}
}

func TestServer_Health(t *testing.T) {
	slow := make(chan struct{})
	t.Cleanup(func() { close(slow) })
	withChecks := func(checks ...Check) *harness {
		return newHarness(t, func(c *Config) {
			c.ReadyTimeout = 200 * time.Millisecond
			c.Checks = checks
			c.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "digest_up 1") })
		})
	}
	ok := func(context.Context) error { return nil }

	h := withChecks(Check{Name: "store", Fn: ok}, Check{Name: "mail", Fn: ok})
	r := h.do("GET", "/healthz", nil)
	wantStatus(t, r, http.StatusOK)
	if strings.TrimSpace(r.body) != "ok" {
		t.Errorf("healthz body %q", r.body)
	}
	wantBody(t, h.do("GET", "/metrics", nil), "digest_up 1")
	wantStatus(t, h.do("GET", "/readyz", nil), http.StatusOK)

	h = withChecks(
		Check{Name: "store", Fn: ok},
		Check{Name: "mail", Fn: func(context.Context) error { return errors.New("dial tcp 10.1.2.3:25: refused") }},
		// Ignores its context: /readyz must still answer in time.
		Check{Name: "migrations", Fn: func(context.Context) error { <-slow; return nil }},
	)
	// A hung check would make the client time out and fail the test.
	r = h.do("GET", "/readyz", nil)
	wantStatus(t, r, http.StatusServiceUnavailable)
	if strings.TrimSpace(r.body) != "not ready: mail, migrations" {
		t.Errorf("readyz body %q", r.body)
	}
	if strings.Contains(r.body, "10.1.2.3") {
		t.Error("check error detail reached the response")
	}
	if !strings.Contains(h.logs.String(), "10.1.2.3") {
		t.Error("check error detail missing from the log")
	}

	h = newHarness(t, nil)
	wantStatus(t, h.do("GET", "/metrics", nil), http.StatusNotFound)
}

func TestServer_SecurityHeaders(t *testing.T) {
	h := newHarness(t, nil)
	addEditions(h)
	sub := h.addSubscriber("reader@example.com")
	for _, p := range []string{"/", "/subscribe", "/healthz", "/archive", "/archive/2026-03-08", "/feed.xml",
		"/static/style.css", h.path(h.srv.Links().UnsubscribeURL(sub)), "/unsubscribe?t=bad", "/nope"} {
		r := h.do("GET", p, nil)
		for k, v := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "no-referrer",
		} {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", p, k, got, v)
			}
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src 'unsafe-inline'") {
			t.Errorf("%s: CSP = %q", p, csp)
		}
	}
}

// TestServer_NoSecretsInLogs runs every flow with debug logging and checks
// that no token, secret or email reaches the log.
func TestServer_NoSecretsInLogs(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	unsub := h.srv.Links().UnsubscribeURL(sub)
	prefs := h.srv.Links().PreferencesURL(sub)
	h.do("GET", h.path(prefs), nil)
	h.do("POST", h.path(prefs), prefsValues("active", "tariffs"))
	h.do("GET", h.path(unsub), nil)
	h.do("POST", h.path(unsub), url.Values{"List-Unsubscribe": {"One-Click"}})
	h.do("POST", "/subscribe", signupValues("new@example.com"))
	confirm := mailLink(t, h.mailer.sent()[0], h.ts.URL+"/confirm?t=")
	h.do("GET", h.path(confirm), nil)
	h.do("GET", "/unsubscribe?t="+url.QueryEscape(strings.TrimPrefix(unsub, h.ts.URL+"/unsubscribe?t=")+"x"), nil)

	logs := h.logs.String()
	if !strings.Contains(logs, "subscriber_id=1") {
		t.Fatalf("expected the logs to name subscriber ids:\n%s", logs)
	}
	for _, secret := range []string{
		testSecret,
		strings.TrimPrefix(unsub, h.ts.URL+"/unsubscribe?t="),
		strings.TrimPrefix(prefs, h.ts.URL+"/preferences?t="),
		strings.TrimPrefix(confirm, h.ts.URL+"/confirm?t="),
		"reader@example.com", "new@example.com", "?t=",
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(2, time.Minute, 3)
	for i := range 2 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	if ok, wait := l.allow("a", now); ok || wait != 30*time.Second {
		t.Errorf("third request: ok=%v wait=%v, want refused for 30s", ok, wait)
	}
	// Memory stays bounded: the least recently seen client is forgotten.
	for _, k := range []string{"b", "c", "d", "e"} {
		l.allow(k, now)
	}
	if n := l.len(); n != 3 {
		t.Errorf("limiter remembers %d clients, want 3", n)
	}
	if ok, _ := l.allow("a", now); !ok {
		t.Error("evicted client should start with a full bucket")
	}
}

func TestClientKey(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	tests := []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"192.0.2.1:5555", "", nil, "192.0.2.1"},
		{"192.0.2.1:5555", "198.51.100.7", nil, "192.0.2.1"},
		{"192.0.2.1:5555", "198.51.100.7", proxy, "198.51.100.7"},
		{"192.0.2.1:5555", "1.2.3.4, 198.51.100.7", proxy, "198.51.100.7"},
		{"192.0.2.1:5555", " ", proxy, "192.0.2.1"},
		{"203.0.113.1:5555", "198.51.100.7", proxy, "203.0.113.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", nil, "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "", nil, "2001:db8:1:2::/64"},
		{"192.0.2.1:5555", "2001:db8:1:2:ffff::1", proxy, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.9]:80", "", nil, "192.0.2.9"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/subscribe", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientKey(r, tt.trusted); got != tt.want {
			t.Errorf("clientKey(%s, xff %q, trusted %v) = %q, want %q", tt.remote, tt.xff, tt.trusted, got, tt.want)
		}
	}
}

func TestServer_HTTPServer(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Logger = slog.New(slog.DiscardHandler) })
	hs := h.srv.HTTPServer(":0")
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.Handler == nil {
		t.Errorf("http.Server without timeouts: %+v", hs)
	}
}

func TestServer_Index(t *testing.T) {
	h := newHarness(t, nil)
	r := h.do("GET", "/", nil)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `href="/subscribe"`, `href="/archive"`, `href="/feed.xml"`, `<link rel="icon"`)
	wantStatus(t, h.do("GET", "/favicon.ico", nil), http.StatusOK)

	h = newHarness(t, func(c *Config) { c.Mailer, c.Editions = nil, nil })
	r = h.do("GET", "/", nil)
	if strings.Contains(r.body, `href="/subscribe"`) || strings.Contains(r.body, `href="/archive"`) {
		t.Error("index links to disabled pages")
	}
}
