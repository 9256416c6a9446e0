package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/digest/token"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

const testSecret = "test-secret-test-secret-test-secret!"

var testTopics = []string{"tariffs", "shipping", "sanctions"}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a Server behind a real loopback listener, with the real store,
// a capturing mailer and a settable clock.
type harness struct {
	t      testing.TB
	srv    *Server
	ts     *httptest.Server
	store  *testStore
	db     *store.DB // the store behind the wrapper
	mailer *captureMailer
	clock  *clock
	signer *token.Signer
	logs   *testutil.SyncBuffer
	client *http.Client
}

func newHarness(t testing.TB, edit func(*Config)) *harness {
	t.Helper()
	return newHarnessOn(t, storetest.Open, edit)
}

// newHarnessOn is newHarness on the store open returns.
func newHarnessOn(t testing.TB, open func(testing.TB) *store.DB, edit func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}, mailer: &captureMailer{}, logs: &testutil.SyncBuffer{}}
	// The real store (SQLite in a temporary directory), on the test clock
	// so that UpdatedAt and token times compare as in production.
	db := open(t)
	db.Now = h.clock.Now
	h.db = db
	h.store = &testStore{backend: db}
	var err error
	if h.signer, err = token.NewSigner([]byte(testSecret)); err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = http.NotFoundHandler()
	h.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(h.ts.Close)
	cfg := Config{
		BaseURL:     h.ts.URL,
		Signer:      h.signer,
		Subscribers: h.store,
		Editions:    h.store,
		Mailer:      h.mailer,
		Topics:      testTopics,
		SiteName:    "Trade Digest",
		From:        "Trade Digest <digest@example.com>",
		Logger:      slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:         h.clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	if h.srv, err = New(cfg); err != nil {
		t.Fatalf("New: %v", err)
	}
	handler = h.srv.Handler()
	h.client = &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return h
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request; a non-nil form is sent form-encoded. Header pairs
// follow as key, value.
func (h *harness) do(method, target string, form url.Values, header ...string) response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	if strings.HasPrefix(target, "/") {
		target = h.ts.URL + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// confirm presses the confirmation page's button: a same-origin POST to
// the link's target, as the page's form sends it.
func (h *harness) confirm(target string) response {
	h.t.Helper()
	return h.do("POST", target, url.Values{})
}

// addSubscriber stores an active subscriber.
func (h *harness) addSubscriber(email string) digest.Subscriber {
	h.t.Helper()
	sub, err := h.store.AddSubscriber(h.t.Context(), digest.Subscriber{
		Email: email, Topics: []string{"tariffs"}, TimeZone: "Europe/Berlin", SendTime: "07:00", Status: digest.StatusActive,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return sub
}

func (h *harness) subscriber(id int64) digest.Subscriber {
	h.t.Helper()
	sub, err := h.store.Subscriber(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("subscriber %d: %v", id, err)
	}
	return sub
}

// path strips the base URL from an absolute link of the server.
func (h *harness) path(link string) string {
	h.t.Helper()
	if !strings.HasPrefix(link, h.ts.URL+"/") {
		h.t.Fatalf("link %q is not under %s", link, h.ts.URL)
	}
	return strings.TrimPrefix(link, h.ts.URL)
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body:\n%s", r.status, want, r.body)
	}
}

func wantBody(t *testing.T, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Errorf("body lacks %q:\n%s", s, r.body)
		}
	}
}
