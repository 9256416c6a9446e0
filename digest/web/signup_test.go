package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

func signupValues(email string, topics ...string) url.Values {
	return url.Values{"email": {email}, "topic": topics, "send_time": {"06:30"}, "timezone": {"Asia/Tokyo"}}
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+`)

// mailLink returns the first link in msg's text part that starts with prefix.
func mailLink(t *testing.T, msg digest.Message, prefix string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(msg.Text, -1) {
		if strings.HasPrefix(l, prefix) {
			if !strings.Contains(msg.HTML, strings.ReplaceAll(l, "&", "&amp;")) {
				t.Errorf("link %s is in the text part but not the HTML part", l)
			}
			return l
		}
	}
	t.Fatalf("no %s link in mail:\n%s", prefix, msg.Text)
	return ""
}

func TestServer_SubscribePage(t *testing.T) {
	h := newHarness(t, nil)
	r := h.do("GET", "/subscribe", nil)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r,
		`<html lang="en">`, `name="viewport"`, `href="#main"`, `<main id="main"`,
		`<label for="email">`, `id="email"`, `<label for="send_time">`, `<label for="timezone">`,
		`<legend>Topics</legend>`, `value="tariffs"`, `value="sanctions"`,
		`value="UTC"`, `data-autofill`, `value="07:00"`)
	// Every label points at an input that exists.
	for _, m := range regexp.MustCompile(`<label for="([^"]+)"`).FindAllStringSubmatch(r.body, -1) {
		if !strings.Contains(r.body, `id="`+m[1]+`"`) {
			t.Errorf("label for %q has no input", m[1])
		}
	}
	// The inline script is exactly the one the CSP allows by hash.
	m := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no inline script")
	}
	if m[1] != tzScript {
		t.Errorf("script was altered by the template:\n%s", m[1])
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, pageCSP()[strings.Index(pageCSP(), "'sha256-"):][:52]) {
		t.Errorf("CSP %q lacks the script hash", csp)
	}
}

func TestServer_Subscribe_DoubleOptIn(t *testing.T) {
	h := newHarness(t, nil)
	r := h.do("POST", "/subscribe", signupValues(" New.Reader@Example.COM ", "tariffs", "shipping"))
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "Check your inbox")

	sub, err := h.store.SubscriberByEmail(t.Context(), "new.reader@example.com")
	if err != nil {
		t.Fatalf("subscriber not stored under the normalised address: %v", err)
	}
	if sub.Status != digest.StatusPending || sub.TimeZone != "Asia/Tokyo" || sub.SendTime != "06:30" ||
		!slices.Equal(sub.Topics, []string{"tariffs", "shipping"}) {
		t.Errorf("stored %+v", sub)
	}
	msgs := h.mailer.sent()
	if len(msgs) != 1 {
		t.Fatalf("sent %d mails, want 1", len(msgs))
	}
	msg := msgs[0]
	if msg.To != sub.Email || msg.From != "Trade Digest <digest@example.com>" || msg.MessageID == "" || msg.HTML == "" {
		t.Errorf("mail = %+v", msg)
	}
	confirm := mailLink(t, msg, h.ts.URL+"/confirm?t=")

	r = h.do("GET", h.path(confirm), nil)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "You are subscribed", "06:30 (Asia/Tokyo)", "/preferences?t=")
	if got := h.subscriber(sub.ID).Status; got != digest.StatusActive {
		t.Fatalf("status after confirm = %q", got)
	}
	// Idempotent: a second visit changes nothing and still says so.
	before := h.store.writeCount()
	wantStatus(t, h.do("GET", h.path(confirm), nil), http.StatusOK)
	if h.store.writeCount() != before {
		t.Error("second confirmation wrote to the store")
	}
}

// TestServer_Subscribe_NoLeak signs up an address that is active and one
// that is new: the pages must be identical but for the address, the
// existing subscriber must be untouched, and each gets one mail.
func TestServer_Subscribe_NoLeak(t *testing.T) {
	h := newHarness(t, nil)
	existing := h.addSubscriber("old@example.com")
	rOld := h.do("POST", "/subscribe", signupValues("old@example.com", "sanctions"))
	rNew := h.do("POST", "/subscribe", signupValues("fresh@example.com", "sanctions"))
	wantStatus(t, rOld, http.StatusOK)
	wantStatus(t, rNew, http.StatusOK)
	if strings.ReplaceAll(rOld.body, "old@example.com", "X") != strings.ReplaceAll(rNew.body, "fresh@example.com", "X") {
		t.Errorf("pages differ:\n%s\n----\n%s", rOld.body, rNew.body)
	}
	got := h.subscriber(existing.ID)
	if got.Status != digest.StatusActive || !slices.Equal(got.Topics, existing.Topics) || got.TimeZone != existing.TimeZone {
		t.Errorf("existing subscriber changed by a sign-up form: %+v", got)
	}
	msgs := h.mailer.sent()
	if len(msgs) != 2 {
		t.Fatalf("sent %d mails, want 2", len(msgs))
	}
	if !strings.Contains(msgs[0].Subject, "already subscribed") {
		t.Errorf("mail to existing subscriber: %q", msgs[0].Subject)
	}
	// The note's preferences link works for that subscriber.
	wantStatus(t, h.do("GET", h.path(mailLink(t, msgs[0], h.ts.URL+"/preferences?t=")), nil), http.StatusOK)
}

func TestServer_Subscribe_PendingAgain(t *testing.T) {
	h := newHarness(t, nil)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("p@example.com", "tariffs")), http.StatusOK)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("p@example.com", "shipping")), http.StatusOK)
	sub, err := h.store.SubscriberByEmail(t.Context(), "p@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != digest.StatusPending || !slices.Equal(sub.Topics, []string{"shipping"}) {
		t.Errorf("pending subscriber after a second sign-up: %+v", sub)
	}
	if n := len(h.mailer.sent()); n != 2 {
		t.Errorf("sent %d confirmations, want 2", n)
	}
}

func TestServer_Subscribe_Invalid(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SignupBurst = 100 })
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"bad email", signupValues("not-an-address"), "email"},
		{"display name", signupValues("Eve <eve@example.com>"), "email"},
		{"header injection", signupValues("a@example.com\r\nBcc: x@example.com"), "email"},
		{"unknown topic", signupValues("a@example.com", "tariffs", "gossip"), "topics"},
		{"bad zone", url.Values{"email": {"a@example.com"}, "send_time": {"07:00"}, "timezone": {"Mars/Olympus"}}, "timezone"},
		{"Local zone", url.Values{"email": {"a@example.com"}, "send_time": {"07:00"}, "timezone": {"Local"}}, "timezone"},
		{"path in zone", url.Values{"email": {"a@example.com"}, "send_time": {"07:00"}, "timezone": {"../../etc/passwd"}}, "timezone"},
		{"bad time", url.Values{"email": {"a@example.com"}, "send_time": {"25:00"}, "timezone": {"UTC"}}, "send_time"},
		{"time with seconds", url.Values{"email": {"a@example.com"}, "send_time": {"07:00:00"}, "timezone": {"UTC"}}, "send_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.store.writeCount()
			r := h.do("POST", "/subscribe", tt.form)
			wantStatus(t, r, http.StatusBadRequest)
			wantBody(t, r, `role="alert"`, `id="`+tt.field+`-error"`)
			if h.store.writeCount() != before || len(h.mailer.sent()) != 0 {
				t.Error("an invalid sign-up stored or sent something")
			}
		})
	}
	// The form keeps what was typed (escaped).
	r := h.do("POST", "/subscribe", signupValues(`"><script>x</script>`))
	wantBody(t, r, `value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"`)
}

func TestServer_Subscribe_RateLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SignupBurst, c.SignupWindow = 5, 10*time.Minute })
	for i := range 5 {
		wantStatus(t, h.do("POST", "/subscribe", signupValues(fmt.Sprintf("r%d@example.com", i))), http.StatusOK)
	}
	r := h.do("POST", "/subscribe", signupValues("r5@example.com"))
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "120" {
		t.Errorf("Retry-After = %q, want 120", r.header.Get("Retry-After"))
	}
	if _, err := h.store.SubscriberByEmail(t.Context(), "r5@example.com"); err == nil {
		t.Error("a rate-limited sign-up was stored")
	}
	h.clock.Add(2 * time.Minute)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("r5@example.com")), http.StatusOK)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("r6@example.com")), http.StatusTooManyRequests)

	// Without TrustProxy a forged X-Forwarded-For does not buy a new bucket.
	wantStatus(t, h.do("POST", "/subscribe", signupValues("r7@example.com"), "X-Forwarded-For", "203.0.113.9"), http.StatusTooManyRequests)
}

func TestServer_Subscribe_RateLimitBehindProxy(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.TrustProxy, c.SignupBurst = true, 1 })
	wantStatus(t, h.do("POST", "/subscribe", signupValues("a@example.com"), "X-Forwarded-For", "198.51.100.1"), http.StatusOK)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("b@example.com"), "X-Forwarded-For", "198.51.100.1"), http.StatusTooManyRequests)
	// A client-supplied first entry does not change the address the proxy appended.
	wantStatus(t, h.do("POST", "/subscribe", signupValues("c@example.com"), "X-Forwarded-For", "10.0.0.1, 198.51.100.1"), http.StatusTooManyRequests)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("d@example.com"), "X-Forwarded-For", "198.51.100.2"), http.StatusOK)
}

func TestServer_Subscribe_CrossSite(t *testing.T) {
	h := newHarness(t, nil)
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		r := h.do("POST", "/subscribe", signupValues("victim@example.com"), hdr...)
		wantStatus(t, r, http.StatusForbidden)
		if h.store.writeCount() != 0 || len(h.mailer.sent()) != 0 {
			t.Fatalf("cross-site sign-up (%s) stored or sent something", hdr[0])
		}
	}
	// The site's own page, as a browser sends it.
	wantStatus(t, h.do("POST", "/subscribe", signupValues("me@example.com"), "Sec-Fetch-Site", "same-origin", "Origin", h.ts.URL), http.StatusOK)
}

func TestServer_Subscribe_MailFails(t *testing.T) {
	h := newHarness(t, nil)
	h.mailer.err = errBoom
	r := h.do("POST", "/subscribe", signupValues("m@example.com"))
	wantStatus(t, r, http.StatusServiceUnavailable)
	if strings.Contains(r.body, "boom") {
		t.Error("mailer error reached the page")
	}
	// Trying again once the mailer works sends the confirmation.
	h.mailer.err = nil
	wantStatus(t, h.do("POST", "/subscribe", signupValues("m@example.com")), http.StatusOK)
	if len(h.mailer.sent()) != 1 {
		t.Error("no confirmation after retry")
	}
}

func TestServer_Confirm_Refused(t *testing.T) {
	h := newHarness(t, nil)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("c@example.com")), http.StatusOK)
	sub, _ := h.store.SubscriberByEmail(t.Context(), "c@example.com")
	confirm := h.path(mailLink(t, h.mailer.sent()[0], h.ts.URL+"/confirm?t="))

	tests := []struct{ name, target string }{
		{"forged", "/confirm?t=" + url.QueryEscape(h.signer.Sign(token.PurposeConfirm, sub.ID, sub.Email, time.Time{})[:40])},
		{"unsubscribe token", "/confirm?t=" + h.signer.Sign(token.PurposeUnsubscribe, sub.ID, sub.Email, time.Time{})},
		{"other address", "/confirm?t=" + h.signer.Sign(token.PurposeConfirm, sub.ID, "x@example.com", h.clock.Now().Add(time.Hour))},
		{"missing", "/confirm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do("GET", tt.target, nil)
			wantStatus(t, r, http.StatusBadRequest)
			wantBody(t, r, "Sign up again")
		})
	}
	t.Run("expired", func(t *testing.T) {
		h.clock.Add(token.ConfirmTTL + time.Minute)
		wantStatus(t, h.do("GET", confirm, nil), http.StatusBadRequest)
	})
	if got := h.subscriber(sub.ID).Status; got != digest.StatusPending {
		t.Errorf("status = %q after refused confirmations, want pending", got)
	}
}

// TestServer_Confirm_AfterUnsubscribe: a confirmation link older than an
// unsubscribe must not resubscribe (mail scanners reopen old links), but a
// new sign-up's link does.
func TestServer_Confirm_AfterUnsubscribe(t *testing.T) {
	h := newHarness(t, nil)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("u@example.com")), http.StatusOK)
	sub, _ := h.store.SubscriberByEmail(t.Context(), "u@example.com")
	first := h.path(mailLink(t, h.mailer.sent()[0], h.ts.URL+"/confirm?t="))
	wantStatus(t, h.do("GET", first, nil), http.StatusOK)

	h.clock.Add(time.Hour)
	wantStatus(t, h.do("POST", h.path(h.srv.Links().UnsubscribeURL(sub)), url.Values{}), http.StatusOK)
	h.clock.Add(time.Hour)
	wantStatus(t, h.do("GET", first, nil), http.StatusBadRequest)
	if got := h.subscriber(sub.ID).Status; got != digest.StatusUnsubscribed {
		t.Fatalf("old confirmation link undid the unsubscribe: %q", got)
	}

	h.clock.Add(time.Hour)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("u@example.com")), http.StatusOK)
	msgs := h.mailer.sent()
	second := h.path(mailLink(t, msgs[len(msgs)-1], h.ts.URL+"/confirm?t="))
	wantStatus(t, h.do("GET", second, nil), http.StatusOK)
	if got := h.subscriber(sub.ID).Status; got != digest.StatusActive {
		t.Errorf("new confirmation did not resubscribe: %q", got)
	}
}

func TestServer_NoMailer(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Mailer = nil })
	wantStatus(t, h.do("GET", "/subscribe", nil), http.StatusNotFound)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("a@example.com")), http.StatusNotFound)
}
