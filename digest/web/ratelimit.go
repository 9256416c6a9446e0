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
// With trustProxy the address is the last X-Forwarded-For entry, the one the
// proxy itself appended; earlier entries are whatever the client sent.
func clientKey(r *http.Request, trustProxy bool) string {
	raw := r.RemoteAddr
	if host, _, err := net.SplitHostPort(raw); err == nil {
		raw = host
	}
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if v := strings.TrimSpace(last); v != "" {
				raw = v
			}
		}
	}
	ip, err := netip.ParseAddr(raw)
	if err != nil {
		return raw
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
