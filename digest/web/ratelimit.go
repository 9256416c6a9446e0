package web

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a per-client token bucket with a bounded memory: it remembers
// at most max clients and forgets the least recently seen first. A
// forgotten client starts again with a full bucket, which only matters when
// more than max addresses sign up within one window.
type limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	max     int
	order   *list.List // of *client, most recently seen at the front
	clients map[string]*list.Element
}

type client struct {
	key string
	lim *rate.Limiter
}

func newLimiter(burst int, window time.Duration, max int) *limiter {
	return &limiter{
		every:   rate.Every(window / time.Duration(burst)),
		burst:   burst,
		max:     max,
		order:   list.New(),
		clients: make(map[string]*list.Element),
	}
}

// allow takes one token for key at now. When the bucket is empty it returns
// false and how long until the next token.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c *client
	if e, ok := l.clients[key]; ok {
		l.order.MoveToFront(e)
		c = e.Value.(*client)
	} else {
		if l.order.Len() >= l.max {
			oldest := l.order.Back()
			l.order.Remove(oldest)
			delete(l.clients, oldest.Value.(*client).key)
		}
		c = &client{key: key, lim: rate.NewLimiter(l.every, l.burst)}
		l.clients[key] = l.order.PushFront(c)
	}
	r := c.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// len reports how many clients are remembered.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// clientKey returns the rate-limit key of r: the client's IPv4 address, or
// the /64 of an IPv6 address (one subscriber line usually owns a whole /64).
func clientKey(r *http.Request, trusted []netip.Prefix) string {
	ip := clientIP(r, trusted)
	if !ip.IsValid() {
		return r.RemoteAddr
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// clientIP returns the address of the client that sent r. The peer is the
// client unless it is a trusted proxy; then X-Forwarded-For is read from
// the right (each proxy appends the address it was reached from), skipping
// trusted proxies, and the first other address is the client: whatever a
// client writes into the header itself stands to the left of it and is
// never reached. An unreadable entry stops the walk at the last proxy.
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseIP(r.RemoteAddr)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip := parseIP(strings.TrimSpace(hops[i]))
		if !ip.IsValid() {
			break
		}
		client = ip
		if !isTrusted(ip, trusted) {
			break
		}
	}
	return client
}

// parseIP reads "1.2.3.4", "1.2.3.4:5678", "[::1]:80" or "::1", unmapped
// and without a zone; the zero Addr when it is none of those.
func parseIP(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap().WithZone("")
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
