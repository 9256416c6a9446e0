package web

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// TestServer_Flow runs a reader's whole life on every database the store
// supports (Postgres when DIGEST_TEST_POSTGRES_DSN is set): sign up,
// confirm, change preferences, pause, unsubscribe, sign up again.
func TestServer_Flow(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			h := newHarnessOn(t, o.Open, nil)
			wantStatus(t, h.do("POST", "/subscribe", signupValues("Flow@Example.com", "tariffs")), http.StatusOK)
			sub, err := h.store.SubscriberByEmail(t.Context(), "flow@example.com")
			if err != nil || sub.Status != digest.StatusPending {
				t.Fatalf("after sign-up: %+v, %v", sub, err)
			}
			h.clock.Add(time.Minute)
			wantStatus(t, h.confirm(h.path(mailLink(t, h.mailer.sent()[0], h.ts.URL+"/confirm?t="))), http.StatusOK)
			if got := h.subscriber(sub.ID); got.Status != digest.StatusActive {
				t.Fatalf("after confirm: %q", got.Status)
			}

			prefs := h.path(h.srv.Links().PreferencesURL(sub))
			wantStatus(t, h.do("POST", prefs, prefsValues("paused", "shipping", "sanctions")), http.StatusOK)
			if got := h.subscriber(sub.ID); got.Status != digest.StatusPaused || !slices.Equal(got.Topics, []string{"shipping", "sanctions"}) ||
				got.TimeZone != "America/New_York" || got.SendTime != "18:45" {
				t.Fatalf("after preferences: %+v", got)
			}

			h.clock.Add(time.Minute)
			wantStatus(t, h.do("POST", h.path(h.srv.Links().UnsubscribeURL(sub)), url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusOK)
			if got := h.subscriber(sub.ID); got.Status != digest.StatusUnsubscribed {
				t.Fatalf("after unsubscribe: %q", got.Status)
			}

			h.clock.Add(time.Minute)
			wantStatus(t, h.do("POST", "/subscribe", signupValues("flow@example.com")), http.StatusOK)
			msgs := h.mailer.sent()
			wantStatus(t, h.confirm(h.path(mailLink(t, msgs[len(msgs)-1], h.ts.URL+"/confirm?t="))), http.StatusOK)
			if got := h.subscriber(sub.ID); got.Status != digest.StatusActive {
				t.Fatalf("after signing up again: %q", got.Status)
			}
		})
	}
}

// TestServer_Subscribe_Concurrent signs one address up from many requests
// at once: every request gets the same answer and the store ends with one
// subscriber (AddSubscriber's ErrConflict is the race's loser path).
func TestServer_Subscribe_Concurrent(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SignupBurst = 100 })
	const n = 12
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() {
			statuses[i] = h.do("POST", "/subscribe", signupValues("race@example.com")).status
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	subs, err := h.db.Subscribers(t.Context(), "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].Email != "race@example.com" || subs[0].Status != digest.StatusPending {
		t.Errorf("store holds %+v, want one pending subscriber", subs)
	}
	if got := len(h.mailer.sent()); got != 3 {
		t.Errorf("%d mails for %d sign-ups of one address, want 3 (the per-address limit)", got, n)
	}
}
