package feed

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// TestRetransmitting_ResendsDroppedQuery: against a DNS server that
// ignores the first copy of every query, a page on a known name is
// fetched and a missing name fails as a HostError, each within a fraction
// of a second (the resend) instead of the resolver's 5 s timeout, over real
// UDP and TCP sockets.
func TestRetransmitting_ResendsDroppedQuery(t *testing.T) {
	dns := startDNSDropping(t, map[string][4]byte{"feeds.test": {127, 0, 0, 1}}, dropFirstCopy)
	srv := serveOn(t, "127.0.0.1", okHandler("page"))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	run := testFetcher(func(c *FetcherConfig) { c.Resolver = dns.resolver() }).ForRun()

	const within = 4 * time.Second // Go's resolver alone waits 5 s for a dropped query
	start := time.Now()
	resp, err := run.Get(context.Background(), Request{URL: "http://feeds.test:" + port + "/page"})
	if err != nil || string(resp.Body) != "page" {
		t.Fatalf("known name: %v", err)
	}
	if d := time.Since(start); d > within {
		t.Errorf("known name took %v, want under %v", d, within)
	}
	if n := dns.asked("feeds.test"); n < 2 {
		t.Errorf("server saw %d queries for feeds.test, want the dropped one and its resend", n)
	}

	start = time.Now()
	_, err = run.Get(context.Background(), Request{URL: "http://missing.test/a"})
	if host, skipped, ok := FailedHost(err); !ok || skipped || host != "missing.test" {
		t.Fatalf("missing name: %v (host %q, skipped %v), want a HostError", err, host, skipped)
	}
	if d := time.Since(start); d > within {
		t.Errorf("missing name took %v to fail, want under %v", d, within)
	}
}

// TestRetransmitting_KeepsDeadline: resending does not lengthen a lookup;
// against a server that never answers, it ends at the caller's deadline,
// having sent the query more than once.
func TestRetransmitting_KeepsDeadline(t *testing.T) {
	dns := startDNSDropping(t, nil, dropAll)
	r := retransmitting(dns.resolver())
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.LookupIPAddr(ctx, "silent.test")
	if err == nil {
		t.Fatal("lookup against a silent server succeeded")
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("lookup took %v, want it to end at the 1.5 s deadline", d)
	}
	// A and AAAA, each sent, then resent after firstRetransmit, and
	// again after twice that: by 1.5 s three copies of each at most.
	// Resending without backing off would send six of each.
	if n := dns.asked("silent.test"); n < 4 || n > 6 {
		t.Errorf("server saw %d queries, want each of the two resent, backing off (4 to 6)", n)
	}
}

// TestRetransmitting_OverTCP: a resolver whose Dial gives a stream
// connection is used as it is (messages are length-prefixed, nothing is
// resent).
func TestRetransmitting_OverTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	dns := startDNS(t, map[string][4]byte{"stream.test": {127, 0, 0, 9}})
	go serveDNSOverTCP(ln, dns)
	r := retransmitting(&net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, "stream.test")
	if err != nil || len(addrs) != 1 || addrs[0] != "127.0.0.9" {
		t.Fatalf("LookupHost over TCP: %v, %v", addrs, err)
	}
}

// serveDNSOverTCP answers length-prefixed DNS messages with s's answers.
func serveDNSOverTCP(ln net.Listener, s *dnsServer) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				msg := make([]byte, int(l[0])<<8|int(l[1]))
				if _, err := io.ReadFull(c, msg); err != nil {
					return
				}
				reply := s.answer(msg)
				if reply == nil {
					return
				}
				if _, err := c.Write(append([]byte{byte(len(reply) >> 8), byte(len(reply))}, reply...)); err != nil {
					return
				}
			}
		}()
	}
}
