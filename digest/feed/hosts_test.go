package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/tradedigest/tradedigest/digest"
)

// dnsServer is a DNS server on a loopback UDP port: it answers A queries
// for the names it knows and NXDOMAIN for every other name, and counts the
// queries per name. A lossy one ignores the first copy of each query, as a
// resolver that drops queries under load does; a silent one answers none.
type dnsServer struct {
	addr    string
	known   map[string][4]byte
	drop    dnsDrop
	mu      sync.Mutex
	queries map[string]int
	seen    map[string]bool // "ID name type" of the queries received
}

// dnsDrop says which queries a dnsServer leaves unanswered.
type dnsDrop int

const (
	dropNone dnsDrop = iota
	dropFirstCopy
	dropAll
)

func startDNS(tb testing.TB, known map[string][4]byte) *dnsServer {
	tb.Helper()
	return startDNSDropping(tb, known, dropNone)
}

func startDNSDropping(tb testing.TB, known map[string][4]byte, drop dnsDrop) *dnsServer {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &dnsServer{addr: pc.LocalAddr().String(), known: known, drop: drop, queries: map[string]int{}, seen: map[string]bool{}}
	done := make(chan struct{})
	tb.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply := s.answer(buf[:n]); reply != nil {
				pc.WriteTo(reply, from)
			}
		}
	}()
	return s
}

func (s *dnsServer) answer(query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
	s.mu.Lock()
	s.queries[name]++
	key := fmt.Sprintf("%d %s %v", h.ID, name, q.Type)
	first := !s.seen[key]
	s.seen[key] = true
	s.mu.Unlock()
	if s.drop == dropAll || (s.drop == dropFirstCopy && first) {
		return nil
	}
	ip, ok := s.known[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !ok {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.StartQuestions()
	b.Question(q)
	if ok && q.Type == dnsmessage.TypeA {
		b.StartAnswers()
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: ip})
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

// asked counts the queries for name, with or without a search domain
// appended by the resolver.
func (s *dnsServer) asked(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for q, c := range s.queries {
		if q == name || strings.HasPrefix(q, name+".") {
			n += c
		}
	}
	return n
}

// resolver sends every lookup to s.
func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.addr)
	}}
}

// closedPort returns host:port on ip where nothing listens.
func closedPort(tb testing.TB, ip string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Skipf("cannot listen on %s (%v); this test needs the 127.0.0.0/8 loopback range", ip, err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestFetcher_ForRunRemembersFailedHosts: within a run, a host whose name
// does not resolve is looked up once, a host that refuses connections is
// dialled once, and later requests to them fail at once with a skipped
// HostError; a new run tries them again. Page fetches of a feed count in
// its FetchResult.
func TestFetcher_ForRunRemembersFailedHosts(t *testing.T) {
	dns := startDNS(t, map[string][4]byte{"feeds.test": {127, 0, 0, 1}})
	refused := closedPort(t, "127.0.0.2")
	var pages atomic.Int32
	mux := http.NewServeMux()
	srv := serveOn(t, "127.0.0.1", mux)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	feedURL := "http://feeds.test:" + port + "/feed.xml"
	links := []string{
		"http://missing.test/a", "http://missing.test/b", "https://missing.test/c", // every port: DNS
		"http://" + refused + "/a", "http://" + refused + "/b",
		"http://feeds.test:" + port + "/page",
	}
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		var items strings.Builder
		for i, l := range links {
			fmt.Fprintf(&items, "<item><title>Item %d</title><link>%s</link><description>Teaser %d.</description></item>", i, l, i)
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>%s</channel></rss>`, items.String())
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		fmt.Fprintf(w, "<html><body><article><p>%s</p></article></body></html>", strings.Repeat("Customs officials described the new procedure at length. ", 15))
	})
	base := testFetcher(func(c *FetcherConfig) { c.Resolver = dns.resolver(); c.PerHost = 1 })

	fetch := func(f *Fetcher) digest.FetchResult {
		t.Helper()
		// One page at a time, so that which request fails first is fixed.
		res, err := NewFeed(feedURL, Options{Fetcher: f, PageConcurrency: 1}).Fetch(context.Background(), digest.SourceState{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := fetch(base.ForRun())
	if got := dns.asked("missing.test"); got == 0 {
		t.Fatal("the resolver was never asked for missing.test")
	}
	asked := dns.asked("missing.test")
	want := []string{refused, "missing.test"} // sorted
	if strings.Join(res.HostsFailed, " ") != strings.Join(want, " ") || res.Skipped != 3 {
		t.Errorf("HostsFailed %q, Skipped %d; want %q, 3 (two to missing.test, one to %s)", res.HostsFailed, res.Skipped, want, refused)
	}
	if pages.Load() != 1 {
		t.Errorf("the reachable page was fetched %d times, want 1", pages.Load())
	}
	if len(res.Warnings) != 5 || !strings.Contains(strings.Join(res.Warnings, "\n"), "failed earlier in this run") {
		t.Errorf("warnings %q: want 5, the skipped ones saying the host failed earlier", res.Warnings)
	}

	// The same run asks nothing more.
	run := base.ForRun()
	fetch(run)
	asked2 := dns.asked("missing.test")
	_, err := run.Get(context.Background(), Request{URL: "http://missing.test/again"})
	if host, skipped, ok := FailedHost(err); !ok || !skipped || host != "missing.test" || !errors.Is(err, ErrHostFailed) {
		t.Errorf("later request: %v (host %q, skipped %v)", err, host, skipped)
	}
	_, err = run.Get(context.Background(), Request{URL: "http://" + refused + "/again"})
	if !errors.Is(err, syscall.ECONNREFUSED) || !errors.Is(err, ErrHostFailed) {
		t.Errorf("later request to the refusing host: %v, want the remembered refusal", err)
	}
	if dns.asked("missing.test") != asked2 {
		t.Errorf("resolver asked %d more times within one run", dns.asked("missing.test")-asked2)
	}
	// A new run tries again.
	if asked2 <= asked {
		t.Errorf("a new run did not look missing.test up again (%d queries, then %d)", asked, asked2)
	}
	// A fetcher outside a run remembers nothing, and does not retry
	// host failures either.
	before := dns.asked("missing.test")
	for range 2 {
		_, err := base.Get(context.Background(), Request{URL: "http://missing.test/x"})
		if _, skipped, ok := FailedHost(err); !ok || skipped {
			t.Errorf("fetcher outside a run: %v", err)
		}
	}
	if n := dns.asked("missing.test") - before; n < 2 {
		t.Errorf("fetcher outside a run: %d queries for two requests, want a lookup each", n)
	}
}

// TestFetcher_ForRunRemembersTLSFailure: a server whose certificate is not
// trusted gets one handshake per run, not one per request, and the
// failure is not retried.
func TestFetcher_ForRunRemembersTLSFailure(t *testing.T) {
	var accepted atomic.Int32
	srv := httptest.NewUnstartedServer(okHandler("hello"))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			accepted.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	run := testFetcher(nil).ForRun()
	_, err := run.Get(context.Background(), Request{URL: srv.URL + "/a"})
	if host, skipped, ok := FailedHost(err); !ok || skipped || !strings.HasPrefix(host, "127.0.0.1:") {
		t.Fatalf("first request: %v (host %q, skipped %v); want a HostError for the untrusted certificate", err, host, skipped)
	}
	for _, p := range []string{"/b", "/c"} {
		_, err := run.Get(context.Background(), Request{URL: srv.URL + p})
		if _, skipped, ok := FailedHost(err); !ok || !skipped {
			t.Errorf("request %s: %v, want skipped", p, err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for accepted.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want 1 (no retry, no second attempt in the run)", n)
	}
}

// TestFetcher_ForRunConcurrent: many requests at once to a host that does
// not resolve all fail, the resolver is asked a bounded number of times,
// and each request is counted either as the failure or as skipped.
func TestFetcher_ForRunConcurrent(t *testing.T) {
	dns := startDNS(t, nil)
	run := testFetcher(func(c *FetcherConfig) { c.Resolver = dns.resolver() }).ForRun()
	var wg sync.WaitGroup
	var failed, skipped atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			_, err := run.Get(context.Background(), Request{URL: fmt.Sprintf("http://missing.test/%d", i)})
			_, sk, ok := FailedHost(err)
			switch {
			case !ok:
				t.Errorf("request %d: %v, want a HostError", i, err)
			case sk:
				skipped.Add(1)
			default:
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	// The per-host limit (2) lets at most two requests reach the dialer
	// before the first failure is known.
	if f := failed.Load(); f < 1 || f > 2 || failed.Load()+skipped.Load() != 40 {
		t.Errorf("%d failed, %d skipped; want 1-2 failed and the rest skipped", f, skipped.Load())
	}
}
