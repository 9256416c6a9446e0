package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// serveOn starts an HTTP test server listening on ip (a loopback address
// such as 127.0.0.2, so tests can have distinct hosts).
func serveOn(tb testing.TB, ip string, h http.Handler) *httptest.Server {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Skipf("cannot listen on %s (%v); this test needs the 127.0.0.0/8 loopback range", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}

// testFetcher opts loopback in, as every test with a local server must.
func testFetcher(mod func(*FetcherConfig)) *Fetcher {
	cfg := DefaultFetcherConfig()
	cfg.AllowHosts = []string{"127.0.0.0/8:*"}
	cfg.RetryBase = 10 * time.Millisecond
	if mod != nil {
		mod(&cfg)
	}
	return NewFetcher(cfg)
}

func okHandler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body)
	})
}

func TestFetcher_GuardRefusesPrivateTargets(t *testing.T) {
	srv := serveOn(t, "127.0.0.1", okHandler("secret"))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	f := NewFetcher(DefaultFetcherConfig()) // no opt-in
	for _, u := range []string{
		srv.URL,
		fmt.Sprintf("http://localhost:%d/", port), // a name that resolves to loopback
		fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port),
	} {
		t.Run(u, func(t *testing.T) {
			_, err := f.Get(context.Background(), Request{URL: u})
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("Get(%s) error = %v, want ErrBlockedAddress", u, err)
			}
			if !strings.Contains(err.Error(), u) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
}

func TestFetcher_GuardBlocksRedirectToPrivate(t *testing.T) {
	inner := serveOn(t, "127.0.0.1", okHandler("metadata"))
	outer := serveOn(t, "127.0.0.2", http.RedirectHandler(inner.URL+"/latest/meta-data", http.StatusFound))
	f := NewFetcher(FetcherConfig{AllowHosts: []string{"127.0.0.2:*"}})
	_, err := f.Get(context.Background(), Request{URL: outer.URL})
	if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("redirect to a private address: error = %v, want ErrBlockedAddress", err)
	}
	// The allowed host itself is reachable.
	direct := serveOn(t, "127.0.0.2", okHandler("ok"))
	resp, err := f.Get(context.Background(), Request{URL: direct.URL})
	if err != nil || string(resp.Body) != "ok" {
		t.Fatalf("allowed host: %v", err)
	}
}

func TestFetcher_AllowPrivate(t *testing.T) {
	srv := serveOn(t, "127.0.0.1", okHandler("hello"))
	f := NewFetcher(FetcherConfig{AllowPrivate: true})
	resp, err := f.Get(context.Background(), Request{URL: srv.URL})
	if err != nil || string(resp.Body) != "hello" {
		t.Fatalf("AllowPrivate: %v", err)
	}
}

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		ip      string
		blocked bool
	}{
		{"127.0.0.1", true}, {"127.9.9.9", true}, {"10.1.2.3", true}, {"172.16.0.1", true},
		{"172.32.0.1", false}, {"192.168.1.1", true}, {"169.254.169.254", true}, {"100.64.0.1", true},
		{"100.128.0.1", false}, {"0.0.0.0", true}, {"224.0.0.1", true}, {"255.255.255.255", true},
		{"::1", true}, {"::", true}, {"fc00::1", true}, {"fd12:3456::1", true}, {"fe80::1", true},
		{"ff02::1", true}, {"::ffff:10.0.0.1", true}, {"::ffff:8.8.8.8", false},
		{"8.8.8.8", false}, {"93.184.216.34", false}, {"2606:4700::1111", false},
	}
	for _, tt := range tests {
		if got := blockedReason(net.ParseIP(tt.ip)) != ""; got != tt.blocked {
			t.Errorf("blockedReason(%s) blocked = %v, want %v", tt.ip, got, tt.blocked)
		}
	}
}

func TestFetcher_BodyCap(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	plain := serveOn(t, "127.0.0.1", okHandler(big))
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zeros := make([]byte, 1<<20)
	for range 64 { // 64 MB of zeros, about 64 KB on the wire
		zw.Write(zeros)
	}
	zw.Close()
	gz := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	}))
	f := testFetcher(func(c *FetcherConfig) { c.MaxBodyBytes = 1 << 20 })
	for name, u := range map[string]string{"plain": plain.URL, "gzip bomb": gz.URL} {
		t.Run(name, func(t *testing.T) {
			_, err := f.Get(context.Background(), Request{URL: u})
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error = %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), "after decompression") || !strings.Contains(err.Error(), u) {
				t.Errorf("error %q should say the limit and name the URL", err)
			}
		})
	}
}

func TestFetcher_GzipAndUserAgent(t *testing.T) {
	var gotUA, gotAE atomic.Value
	srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA.Store(r.UserAgent())
		gotAE.Store(r.Header.Get("Accept-Encoding"))
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, "<rss>compressed</rss>")
		zw.Close()
	}))
	f := testFetcher(nil)
	resp, err := f.Get(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "<rss>compressed</rss>" {
		t.Errorf("body %q", resp.Body)
	}
	if resp.WireBytes <= 0 || resp.WireBytes == int64(len(resp.Body)) {
		t.Errorf("WireBytes = %d, want the compressed size", resp.WireBytes)
	}
	if ua := gotUA.Load().(string); !strings.HasPrefix(ua, "digest/") || !strings.Contains(ua, "github.com/tradedigest") {
		t.Errorf("default User-Agent %q", ua)
	}
	if ae := gotAE.Load().(string); ae != "gzip" {
		t.Errorf("Accept-Encoding %q", ae)
	}
	if _, err := f.Get(context.Background(), Request{URL: srv.URL, UserAgent: "custom/1"}); err != nil {
		t.Fatal(err)
	}
	if ua := gotUA.Load().(string); ua != "custom/1" {
		t.Errorf("per-request User-Agent %q", ua)
	}
}

func TestFetcher_Redirects(t *testing.T) {
	var srv *httptest.Server
	srv = serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Query().Get("n"), "%d", &n)
		if n > 0 {
			http.Redirect(w, r, fmt.Sprintf("%s/?n=%d", srv.URL, n-1), http.StatusFound)
			return
		}
		fmt.Fprint(w, "landed")
	}))
	f := testFetcher(nil)
	resp, err := f.Get(context.Background(), Request{URL: srv.URL + "/?n=5"})
	if err != nil || string(resp.Body) != "landed" {
		t.Fatalf("5 redirects: %v", err)
	}
	if !strings.HasSuffix(resp.URL, "?n=0") {
		t.Errorf("final URL %q", resp.URL)
	}
	if _, err := f.Get(context.Background(), Request{URL: srv.URL + "/?n=6"}); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("6 redirects: error = %v, want ErrTooManyRedirects", err)
	}
}

func TestFetcher_Retries(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		wantErr  bool
		wantHits int32
	}{
		{"503 twice then ok", []int{503, 503, 200}, false, 3},
		{"500 three times gives up", []int{500, 500, 500, 200}, true, 3},
		{"404 not retried", []int{404, 200}, true, 1},
		{"429 retried", []int{429, 200}, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := hits.Add(1) - 1
				w.WriteHeader(tt.statuses[min(int(i), len(tt.statuses)-1)])
				fmt.Fprint(w, "body")
			}))
			_, err := testFetcher(nil).Get(context.Background(), Request{URL: srv.URL})
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			var se *StatusError
			if err != nil && !errors.As(err, &se) {
				t.Errorf("error %v is not a *StatusError", err)
			}
			if got := hits.Load(); got != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestFetcher_RetryAfter(t *testing.T) {
	t.Run("honoured", func(t *testing.T) {
		var hits atomic.Int32
		var first, second time.Time
		srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				first = time.Now()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			second = time.Now()
			fmt.Fprint(w, "ok")
		}))
		if _, err := testFetcher(nil).Get(context.Background(), Request{URL: srv.URL}); err != nil {
			t.Fatal(err)
		}
		if gap := second.Sub(first); gap < 900*time.Millisecond {
			t.Errorf("retried after %v, server asked for 1s", gap)
		}
	})
	t.Run("over the cap fails at once", func(t *testing.T) {
		var hits atomic.Int32
		srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		_, err := testFetcher(nil).Get(context.Background(), Request{URL: srv.URL})
		var se *StatusError
		if !errors.As(err, &se) || se.RetryAfter != time.Hour {
			t.Fatalf("error = %v, want a StatusError with RetryAfter 1h", err)
		}
		if hits.Load() != 1 {
			t.Errorf("server saw %d requests, want 1", hits.Load())
		}
	})
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		"-5":                            0,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:05:05 GMT": time.Minute,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0,
		// 2^64 ns in seconds: times time.Second it wrapped to 290 ms.
		"18446744074":       time.Duration(math.MaxInt64),
		"99999999999999999": time.Duration(math.MaxInt64),
	}
	for in, want := range tests {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestFetcher_Timeout(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	var logged bytes.Buffer
	// The attempt's deadline also bounds the dial, and a dial cut short is
	// taken for a host that does not answer (not retried): 100 ms let a
	// starved dial on a loaded machine end the test that way, so the
	// attempt gets 500 ms, far more than a loopback connection needs.
	f := testFetcher(func(c *FetcherConfig) {
		c.Timeout, c.Retries = 500*time.Millisecond, 1
		c.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	_, err := f.Get(context.Background(), Request{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("error = %v, want a timeout naming the URL", err)
	}
	if n := strings.Count(logged.String(), `msg="fetch retry"`); n != 1 {
		t.Errorf("%d retries logged, want 1 (after the first attempt timed out):\n%s", n, logged.String())
	}
	if hits.Load() != 2 {
		t.Errorf("server saw %d requests, want 2 (one retry after a timeout)", hits.Load())
	}
}

func TestFetcher_ConditionalGet(t *testing.T) {
	const etag = `"v1"`
	const lastMod = "Tue, 01 Dec 2026 10:00:00 GMT"
	var conditional atomic.Int32
	srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		fmt.Fprint(w, "<rss/>")
	}))
	f := testFetcher(nil)
	first, err := f.Get(context.Background(), Request{URL: srv.URL})
	if err != nil || first.NotModified || first.ETag != etag || first.LastModified != lastMod {
		t.Fatalf("first fetch: %+v, %v", first, err)
	}
	second, err := f.Get(context.Background(), Request{URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified})
	if err != nil || !second.NotModified || len(second.Body) != 0 {
		t.Fatalf("second fetch: %+v, %v", second, err)
	}
	if second.ETag != etag || second.LastModified != lastMod {
		t.Errorf("validators lost on 304: %q %q", second.ETag, second.LastModified)
	}
	if conditional.Load() != 1 {
		t.Errorf("server answered %d conditional requests, want 1", conditional.Load())
	}
}

// concurrencyProbe records the most requests it ever had in flight.
type concurrencyProbe struct {
	mu       sync.Mutex
	cur, max int
	shared   *concurrencyProbe // also counted here when set
}

func (p *concurrencyProbe) enter() {
	p.mu.Lock()
	p.cur++
	p.max = max(p.max, p.cur)
	p.mu.Unlock()
	if p.shared != nil {
		p.shared.enter()
	}
}

func (p *concurrencyProbe) leave() {
	p.mu.Lock()
	p.cur--
	p.mu.Unlock()
	if p.shared != nil {
		p.shared.leave()
	}
}

func (p *concurrencyProbe) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.enter()
		defer p.leave()
		time.Sleep(30 * time.Millisecond)
		fmt.Fprint(w, "ok")
	})
}

func TestFetcher_ConcurrencyLimits(t *testing.T) {
	total := &concurrencyProbe{}
	a := &concurrencyProbe{shared: total}
	b := &concurrencyProbe{shared: total}
	c := &concurrencyProbe{shared: total}
	srvA := serveOn(t, "127.0.0.1", a.handler())
	srvB := serveOn(t, "127.0.0.2", b.handler())
	srvC := serveOn(t, "127.0.0.3", c.handler())
	f := testFetcher(func(c *FetcherConfig) { c.PerHost = 2; c.Global = 5 })
	var wg sync.WaitGroup
	for i := range 30 {
		u := []string{srvA.URL, srvB.URL, srvC.URL}[i%3]
		wg.Go(func() {
			if _, err := f.Get(context.Background(), Request{URL: u}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for name, p := range map[string]*concurrencyProbe{"127.0.0.1": a, "127.0.0.2": b, "127.0.0.3": c} {
		if p.max > 2 || p.max == 0 {
			t.Errorf("host %s saw %d requests at once, want 1..2", name, p.max)
		}
	}
	if total.max > 5 {
		t.Errorf("%d requests at once in all, global limit is 5", total.max)
	}
	t.Logf("max in flight: per host %d/%d/%d, total %d", a.max, b.max, c.max, total.max)
}

func TestFetcher_RejectsOtherSchemes(t *testing.T) {
	f := testFetcher(nil)
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/feed", "gopher://x", "http:///nohost"} {
		if _, err := f.Get(context.Background(), Request{URL: u}); err == nil {
			t.Errorf("Get(%q) succeeded", u)
		}
	}
}
