package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
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
	confirm := h.path(mailLink(t, msg, h.ts.URL+"/confirm?t="))

	// Opening the link (as a mail scanner does, as often as it likes)
	// shows a button and confirms nothing.
	before := h.store.writeCount()
	for range 3 {
		r = h.do("GET", confirm, nil)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Confirm your subscription", "new.reader@example.com", `method="post"`, `action="`+strings.ReplaceAll(confirm, "&", "&amp;")+`"`)
	}
	if got := h.subscriber(sub.ID).Status; got != digest.StatusPending || h.store.writeCount() != before {
		t.Fatalf("GET /confirm changed the subscriber: status %q, %d writes", got, h.store.writeCount()-before)
	}
	r = h.confirm(confirm)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "You are subscribed", "06:30 (Asia/Tokyo)", "/preferences?t=")
	if got := h.subscriber(sub.ID).Status; got != digest.StatusActive {
		t.Fatalf("status after confirm = %q", got)
	}
	// Idempotent: a second post or visit changes nothing and still says so.
	before = h.store.writeCount()
	wantStatus(t, h.confirm(confirm), http.StatusOK)
	wantBody(t, h.do("GET", confirm, nil), "You are subscribed")
	if h.store.writeCount() != before {
		t.Error("second confirmation wrote to the store")
	}
}

// TestServer_Confirm_CrossSite: the confirmation button is a form like the
// others: a post from another site confirms nothing.
func TestServer_Confirm_CrossSite(t *testing.T) {
	h := newHarness(t, nil)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("x@example.com")), http.StatusOK)
	sub, _ := h.store.SubscriberByEmail(t.Context(), "x@example.com")
	confirm := h.path(mailLink(t, h.mailer.sent()[0], h.ts.URL+"/confirm?t="))
	for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		wantStatus(t, h.do("POST", confirm, url.Values{}, hdr...), http.StatusForbidden)
	}
	if got := h.subscriber(sub.ID).Status; got != digest.StatusPending {
		t.Fatalf("a cross-site post confirmed: %q", got)
	}
	wantStatus(t, h.do("POST", confirm, url.Values{}, "Sec-Fetch-Site", "same-origin", "Origin", h.ts.URL), http.StatusOK)
	if got := h.subscriber(sub.ID).Status; got != digest.StatusActive {
		t.Fatalf("the site's own post did not confirm: %q", got)
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
		{"IP literal", signupValues("victim@[127.0.0.1]"), "email"},
		{"IPv6 literal", signupValues("victim@[IPv6:::1]"), "email"},
		{"bare IP domain", signupValues("victim@127.0.0.1"), "email"},
		{"bidi override", signupValues("moc.elpmaxe@\u202eevil.example"), "email"},
		{"bidi isolate", signupValues("ana\u2067@example.com"), "email"},
		{"zero-width", signupValues("a\u200b@example.com"), "email"},
		{"control", signupValues("a\x01b@example.com"), "email"},
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

// TestServer_Subscribe_RateLimitBehindProxy: behind a trusted proxy each
// visitor has their own budget (before http.trusted_proxies one client's
// five sign-ups gave every other visitor 429), and nothing a client writes
// into X-Forwarded-For buys it another.
func TestServer_Subscribe_RateLimitBehindProxy(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} // the test client's peer address
	h := newHarness(t, func(c *Config) { c.TrustedProxies, c.SignupBurst = proxy, 1 })
	post := func(email, xff string) int {
		return h.do("POST", "/subscribe", signupValues(email), "X-Forwarded-For", xff).status
	}
	if post("a@example.com", "198.51.100.1") != http.StatusOK || post("b@example.com", "198.51.100.1") != http.StatusTooManyRequests {
		t.Fatal("one client's budget is not one sign-up")
	}
	if got := post("d@example.com", "198.51.100.2"); got != http.StatusOK {
		t.Errorf("another client behind the proxy: %d, want 200", got)
	}
	// A client-supplied entry left of the one the proxy appended does not
	// change the address.
	if got := post("c@example.com", "10.9.9.9, 198.51.100.1"); got != http.StatusTooManyRequests {
		t.Errorf("forged left entry: %d, want 429", got)
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:a::/48")}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct, header ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"proxy", "10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"proxy, forged left entries", "10.0.0.2:5000", []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", "10.0.0.2:5000", []string{"198.51.100.7, 10.3.3.3"}, "198.51.100.7"},
		{"two header lines", "10.0.0.2:5000", []string{"1.1.1.1", "198.51.100.8"}, "198.51.100.8"},
		{"no header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"only proxies", "10.0.0.2:5000", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"garbage stops at the last proxy", "10.0.0.2:5000", []string{"198.51.100.1, not-an-ip"}, "10.0.0.2"},
		{"ipv6 proxy and client", "[2001:db8:a::1]:443", []string{"2001:db8:ff::5"}, "2001:db8:ff::5"},
		{"mapped peer", "[::ffff:10.0.0.2]:5000", []string{"198.51.100.3"}, "198.51.100.3"},
		{"untrusted ipv6 peer", "[2001:db8:b::1]:443", []string{"198.51.100.1"}, "2001:db8:b::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, trusted); got.String() != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestServer_Subscribe_PerAddressLimit: twenty sign-ups of one address at
// once, each from a different network, send it three mails, not twenty;
// every request gets the same answer; the budget comes back after a day.
func TestServer_Subscribe_PerAddressLimit(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	h := newHarness(t, func(c *Config) { c.TrustedProxies = proxy })
	var wg sync.WaitGroup
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Go(func() {
			r := h.do("POST", "/subscribe", signupValues("victim@example.com"), "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
			if r.status != http.StatusOK {
				t.Errorf("request %d: status %d", i, r.status)
			}
			bodies[i] = r.body
		})
	}
	wg.Wait()
	if n := len(h.mailer.sent()); n != 3 {
		t.Fatalf("20 sign-ups sent %d mails to one address, want 3", n)
	}
	for i, b := range bodies {
		if b != bodies[0] {
			t.Errorf("answer %d differs from the first: the limit is visible to a stranger", i)
		}
	}
	wantBody(t, response{body: bodies[0]}, "at most 3 such emails a day")
	// An address already receiving the digest is protected the same way.
	h.addSubscriber("reader@example.com")
	for i := range 5 {
		h.do("POST", "/subscribe", signupValues("reader@example.com"), "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
	}
	if n := len(h.mailer.sent()); n != 6 {
		t.Fatalf("%d mails after 5 sign-ups of an active address, want 3 more", n-3)
	}
	h.clock.Add(24*time.Hour + time.Minute)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("victim@example.com"), "X-Forwarded-For", "192.0.2.1"), http.StatusOK)
	if n := len(h.mailer.sent()); n != 7 {
		t.Errorf("no mail a day later (%d in all)", n)
	}
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
			for _, r := range []response{h.do("GET", tt.target, nil), h.confirm(tt.target)} {
				wantStatus(t, r, http.StatusBadRequest)
				wantBody(t, r, "Sign up again")
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		h.clock.Add(token.ConfirmTTL + time.Minute)
		wantStatus(t, h.do("GET", confirm, nil), http.StatusBadRequest)
		wantStatus(t, h.confirm(confirm), http.StatusBadRequest)
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
	wantStatus(t, h.confirm(first), http.StatusOK)

	h.clock.Add(time.Hour)
	wantStatus(t, h.do("POST", h.path(h.srv.Links().UnsubscribeURL(sub)), url.Values{}), http.StatusOK)
	h.clock.Add(time.Hour)
	wantStatus(t, h.do("GET", first, nil), http.StatusBadRequest)
	wantStatus(t, h.confirm(first), http.StatusBadRequest)
	if got := h.subscriber(sub.ID).Status; got != digest.StatusUnsubscribed {
		t.Fatalf("old confirmation link undid the unsubscribe: %q", got)
	}

	h.clock.Add(time.Hour)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("u@example.com")), http.StatusOK)
	msgs := h.mailer.sent()
	second := h.path(mailLink(t, msgs[len(msgs)-1], h.ts.URL+"/confirm?t="))
	wantStatus(t, h.confirm(second), http.StatusOK)
	if got := h.subscriber(sub.ID).Status; got != digest.StatusActive {
		t.Errorf("new confirmation did not resubscribe: %q", got)
	}
}

func TestServer_NoMailer(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Mailer = nil })
	wantStatus(t, h.do("GET", "/subscribe", nil), http.StatusNotFound)
	wantStatus(t, h.do("POST", "/subscribe", signupValues("a@example.com")), http.StatusNotFound)
}
