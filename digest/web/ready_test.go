package web

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// relayCheck is /readyz's mail check as `digest serve` wires it: the real
// SMTP sender's Check, cached.
func relayCheck(t *testing.T, addr string) (Check, *mail.Sender) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	s, err := mail.NewSender(mail.SMTPConfig{Host: host, Port: p, TLS: mail.TLSNone}, mail.SenderOptions{DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return Check{Name: "mail", Fn: s.Check, Cache: 5 * time.Second}, s
}

func withReadyChecks(t *testing.T, checks ...Check) *harness {
	return newHarness(t, func(c *Config) {
		c.ReadyTimeout = 5 * time.Second
		c.Checks = checks
	})
}

// TestServer_Readyz_MailRelay: a relay that does not answer makes the
// server unready, naming the mailer; a live one makes it ready.
func TestServer_Readyz_MailRelay(t *testing.T) {
	t.Run("closed port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := ln.Addr().String()
		ln.Close()
		check, _ := relayCheck(t, closed)
		h := withReadyChecks(t, Check{Name: "store", Fn: func(context.Context) error { return nil }}, check)
		r := h.do("GET", "/readyz", nil)
		wantStatus(t, r, http.StatusServiceUnavailable)
		if strings.TrimSpace(r.body) != "not ready: mail" {
			t.Errorf("readyz body %q, want it to name the mailer only", r.body)
		}
	})
	t.Run("sink", func(t *testing.T) {
		sink := mailtest.StartSink(t, mailtest.SinkOptions{})
		check, _ := relayCheck(t, sink.Addr)
		wantStatus(t, withReadyChecks(t, check).do("GET", "/readyz", nil), http.StatusOK)
		if sink.Connections() != 1 {
			t.Errorf("relay saw %d connections, want 1", sink.Connections())
		}
	})
	t.Run("mailpit", func(t *testing.T) {
		addr, _ := mailtest.StartMailpit(t)
		check, _ := relayCheck(t, addr)
		wantStatus(t, withReadyChecks(t, check).do("GET", "/readyz", nil), http.StatusOK)
	})
	t.Run("refused login", func(t *testing.T) {
		sink := mailtest.StartSink(t, mailtest.SinkOptions{Username: "u", Password: "right", AllowInsecureAuth: true})
		host, port, _ := net.SplitHostPort(sink.Addr)
		p, _ := strconv.Atoi(port)
		s, err := mail.NewSender(mail.SMTPConfig{Host: host, Port: p, TLS: mail.TLSNone, Username: "u", Password: "wrong", Auth: mail.AuthPlain},
			mail.SenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r := withReadyChecks(t, Check{Name: "mail", Fn: s.Check, Cache: time.Second}).do("GET", "/readyz", nil)
		wantStatus(t, r, http.StatusServiceUnavailable)
		wantBody(t, r, "mail")
	})
}

// TestServer_Readyz_CachedCheck: many probes, sequential and concurrent,
// within the cache period cost the relay one connection; after it, one
// more.
func TestServer_Readyz_CachedCheck(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	check, sender := relayCheck(t, sink.Addr)
	h := withReadyChecks(t, check)
	for range 5 {
		wantStatus(t, h.do("GET", "/readyz", nil), http.StatusOK)
	}
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 20 {
		wg.Go(func() {
			if h.do("GET", "/readyz", nil).status != http.StatusOK {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d concurrent probes were not ready", bad.Load())
	}
	if got := sink.Connections(); got != 1 || sender.Dials() != 1 {
		t.Errorf("25 probes within the cache period: %d connections, %d dials, want 1", got, sender.Dials())
	}
	h.clock.Add(5 * time.Second)
	wantStatus(t, h.do("GET", "/readyz", nil), http.StatusOK)
	if got := sink.Connections(); got != 2 {
		t.Errorf("after the cache period: %d connections, want 2", got)
	}

	// A failure is cached too, and so is the recovery after it.
	sink.Close()
	h.clock.Add(5 * time.Second)
	wantStatus(t, h.do("GET", "/readyz", nil), http.StatusServiceUnavailable)
	wantStatus(t, h.do("GET", "/readyz", nil), http.StatusServiceUnavailable)
	if sender.Dials() != 3 {
		t.Errorf("dials = %d after a cached failure, want 3", sender.Dials())
	}
}

// TestServer_Readyz_CachedCheckConcurrentRun: probes that arrive while a
// slow check runs wait for that run instead of starting their own, and a
// probe that gives up does not fail the others.
func TestServer_Readyz_CachedCheckConcurrentRun(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	check := Check{Name: "slow", Cache: time.Minute, Fn: func(ctx context.Context) error {
		runs.Add(1)
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	h := withReadyChecks(t, check)
	c := h.srv.checks[0]
	first, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() { errs <- c.Fn(first) }()
	<-started
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Go(func() { results[i] = c.Fn(context.Background()) })
	}
	cancel() // the first caller gives up
	if err := <-errs; err == nil {
		t.Error("a caller whose context ended got a result")
	}
	close(release)
	wg.Wait()
	for i, err := range results {
		if err != nil {
			t.Errorf("waiter %d: %v", i, err)
		}
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("check ran %d times, want 1", n)
	}
}

// TestServer_MetricsToken: with a token, /metrics answers only a request
// that presents it as a bearer token.
func TestServer_MetricsToken(t *testing.T) {
	const tok = "metrics-token-3f9e2a71c4"
	h := newHarness(t, func(c *Config) {
		c.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("digest_up 1\n")) })
		c.MetricsToken = tok
	})
	for name, hdr := range map[string][]string{
		"none":         nil,
		"wrong":        {"Authorization", "Bearer metrics-token-3f9e2a71c5"},
		"prefix":       {"Authorization", "Bearer " + tok[:10]},
		"longer":       {"Authorization", "Bearer " + tok + "x"},
		"basic":        {"Authorization", "Basic " + tok},
		"no scheme":    {"Authorization", tok},
		"query string": nil,
	} {
		target := "/metrics"
		if name == "query string" {
			target += "?token=" + tok
		}
		r := h.do("GET", target, nil, hdr...)
		if r.status != http.StatusUnauthorized || strings.Contains(r.body, "digest_up") {
			t.Errorf("%s: status %d, want 401", name, r.status)
		}
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no WWW-Authenticate: Bearer", name)
		}
	}
	r := h.do("GET", "/metrics", nil, "Authorization", "Bearer "+tok)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "digest_up 1")
	// The rest of the site needs no token.
	wantStatus(t, h.do("GET", "/healthz", nil), http.StatusOK)
}
