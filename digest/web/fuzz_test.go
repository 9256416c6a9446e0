package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

// FuzzServer_Subscribe posts arbitrary form bodies to /subscribe. The
// handler must not panic, must answer 200 or 400 (or 413 for a body over
// the cap), must store only valid subscribers, and must never echo input
// as markup. Run it with -fuzzminimizetime 2s: the default minute spent
// shrinking each new input stalls a short run.
func FuzzServer_Subscribe(f *testing.F) {
	store := &testStore{backend: newMemStore(time.Now)}
	signer, err := token.NewSigner([]byte(testSecret))
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(Config{
		BaseURL: "https://digest.example.com", Signer: signer, Subscribers: store, Mailer: &captureMailer{},
		Topics: testTopics, SignupBurst: 1 << 30, MaxBodyBytes: 512, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	// Seeds are in testdata/fuzz/FuzzServer_Subscribe.
	f.Fuzz(func(t *testing.T, body string) {
		// Longer bodies add nothing past the 512-byte cap but make the
		// fuzzer's minimisation crawl.
		if len(body) > 1024 {
			t.Skip()
		}
		req := httptest.NewRequest("POST", "/subscribe", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		before := store.writeCount()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if store.writeCount() != before {
				t.Fatalf("status %d but the store was written", rec.Code)
			}
		default:
			t.Fatalf("status %d for body %q", rec.Code, body)
		}
		if n := strings.Count(rec.Body.String(), "<script"); n > 1 {
			t.Fatalf("%d script tags in the page: input echoed as markup", n)
		}
		if rec.Code != http.StatusOK {
			return
		}
		form, _ := url.ParseQuery(body)
		email := strings.ToLower(strings.TrimSpace(form.Get("email")))
		sub, err := store.SubscriberByEmail(t.Context(), email)
		if err != nil {
			t.Fatalf("200 but no subscriber %q: %v", email, err)
		}
		if !validSendTime(sub.SendTime) || !validTimeZone(sub.TimeZone) || sub.Status != digest.StatusPending {
			t.Fatalf("stored invalid subscriber %+v", sub)
		}
		for _, tp := range sub.Topics {
			if !slices.Contains(testTopics, tp) {
				t.Fatalf("stored unknown topic %q", tp)
			}
		}
	})
}
