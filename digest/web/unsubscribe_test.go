package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

func TestServer_Unsubscribe(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	link := h.path(h.srv.Links().UnsubscribeURL(sub))

	t.Run("GET shows a button and changes nothing", func(t *testing.T) {
		before := h.store.writeCount()
		r := h.do("GET", link, nil)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "reader@example.com", `<form method="post" action="`+strings.ReplaceAll(link, "&", "&amp;")+`"`, "<button")
		if h.store.writeCount() != before || h.subscriber(sub.ID).Status != digest.StatusActive {
			t.Error("GET changed the store")
		}
	})
	t.Run("POST from the page unsubscribes", func(t *testing.T) {
		r := h.do("POST", link, url.Values{"List-Unsubscribe": {"One-Click"}})
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "You are unsubscribed")
		if got := h.subscriber(sub.ID).Status; got != digest.StatusUnsubscribed {
			t.Errorf("status = %q, want unsubscribed", got)
		}
	})
	t.Run("second POST is also 200 and writes nothing", func(t *testing.T) {
		before := h.store.writeCount()
		r := h.do("POST", link, url.Values{"List-Unsubscribe": {"One-Click"}})
		wantStatus(t, r, http.StatusOK)
		if h.store.writeCount() != before {
			t.Error("repeated unsubscribe wrote to the store")
		}
	})
}

// TestServer_Unsubscribe_OneClick posts exactly what a mail provider sends
// under RFC 8058: the List-Unsubscribe URL, form-encoded body
// "List-Unsubscribe=One-Click", no cookies, no Origin; the answer must be
// 200 without a redirect.
func TestServer_Unsubscribe_OneClick(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	req, err := http.NewRequest("POST", h.srv.Links().UnsubscribeURL(sub), strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 (no redirect)", resp.StatusCode)
	}
	if got := h.subscriber(sub.ID).Status; got != digest.StatusUnsubscribed {
		t.Errorf("status = %q, want unsubscribed", got)
	}
}

func TestServer_Unsubscribe_Refused(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	other := h.addSubscriber("other@example.com")
	good := h.signer.Sign(token.PurposeUnsubscribe, sub.ID, sub.Email, time.Time{})
	foreign, err := token.NewSigner([]byte("an-attackers-secret-of-32-bytes!!"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct{ name, tok string }{
		{"missing", ""},
		{"garbage", "hello"},
		{"forged with another secret", foreign.Sign(token.PurposeUnsubscribe, sub.ID, sub.Email, time.Time{})},
		{"truncated", good[:len(good)-4]},
		{"altered in the middle", flip(good, len(good)/2)},
		{"altered at the end", flip(good, len(good)-1)},
		{"preferences token", h.signer.Sign(token.PurposePreferences, sub.ID, sub.Email, time.Time{})},
		{"other subscriber's id with this email", h.signer.Sign(token.PurposeUnsubscribe, other.ID, sub.Email, time.Time{})},
		{"old address of this subscriber", h.signer.Sign(token.PurposeUnsubscribe, sub.ID, "previous@example.com", time.Time{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.store.writeCount()
			target := "/unsubscribe?t=" + url.QueryEscape(tt.tok)
			wantStatus(t, h.do("GET", target, nil), http.StatusBadRequest)
			r := h.do("POST", target, url.Values{"List-Unsubscribe": {"One-Click"}})
			wantStatus(t, r, http.StatusBadRequest)
			wantBody(t, r, "This link does not work")
			if h.store.writeCount() != before {
				t.Error("a refused token changed the store")
			}
			for _, id := range []int64{sub.ID, other.ID} {
				if got := h.subscriber(id).Status; got != digest.StatusActive {
					t.Errorf("subscriber %d status = %q, want active", id, got)
				}
			}
		})
	}
}

func TestServer_Unsubscribe_Deleted(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("gone@example.com")
	link := h.path(h.srv.Links().UnsubscribeURL(sub))
	if err := h.store.DeleteSubscriber(t.Context(), sub.ID); err != nil {
		t.Fatal(err)
	}
	// A deleted reader already gets nothing: the request is satisfied.
	wantStatus(t, h.do("GET", link, nil), http.StatusOK)
	wantStatus(t, h.do("POST", link, url.Values{}), http.StatusOK)
}

func TestServer_Unsubscribe_StoreDown(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	h.store.setFail(errBoom)
	r := h.do("POST", h.path(h.srv.Links().UnsubscribeURL(sub)), url.Values{})
	wantStatus(t, r, http.StatusInternalServerError)
	if strings.Contains(r.body, "boom") {
		t.Error("internal error text reached the page")
	}
}

func TestServer_BodyLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxBodyBytes = 1024 })
	sub := h.addSubscriber("reader@example.com")
	r := h.do("POST", h.path(h.srv.Links().UnsubscribeURL(sub)), url.Values{"x": {strings.Repeat("a", 4096)}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	if got := h.subscriber(sub.ID).Status; got != digest.StatusActive {
		t.Errorf("status = %q after an oversized request", got)
	}
}
