package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkServer_Unsubscribe measures one-click unsubscribe POSTs through
// the whole handler stack (headers, body cap, token check, real SQLite
// store) without the network. After the first, each is a verified read
// that finds the reader already unsubscribed.
func BenchmarkServer_Unsubscribe(b *testing.B) {
	h := newHarness(b, nil)
	sub := h.addSubscriber("reader@example.com")
	target := h.path(h.srv.Links().UnsubscribeURL(sub))
	handler := h.srv.Handler()
	start := time.Now()
	for b.Loop() {
		req := httptest.NewRequest("POST", target, strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkServer_SubscribePage measures rendering the sign-up page.
func BenchmarkServer_SubscribePage(b *testing.B) {
	h := newHarness(b, nil)
	handler := h.srv.Handler()
	start := time.Now()
	for b.Loop() {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest("GET", "/subscribe", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
