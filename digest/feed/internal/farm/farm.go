// Package farm serves many synthetic news feeds on loopback addresses with
// a fixed latency, for the gather benchmarks and the rss2email comparison.
// Each feed honours conditional GET (ETag and Last-Modified) and gzip, and
// the farm counts what it served.
package farm

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradedigest/tradedigest/internal/defaults"
)

// Config describes a farm.
type Config struct {
	// Hosts are the loopback addresses to listen on ("127.0.0.2", ...);
	// feeds are spread over them round robin.
	Hosts   []string
	Feeds   int           // number of feeds (200)
	Items   int           // items per feed (50)
	Latency time.Duration // added before every reply (50 ms)
	// Now dates the items: the newest is an hour before it.
	Now time.Time
	// ShortPercent of the items (0-100) carry a one-sentence teaser
	// instead of their text, so a reader fetches their pages; those pages
	// sit on MissingHosts host names under .invalid, which never resolve
	// (RFC 6761).
	ShortPercent int
	MissingHosts int
}

// Stats counts what a farm served.
type Stats struct {
	Requests    int64
	NotModified int64
	BodyBytes   int64 // response body bytes written (compressed when gzip)
}

// Farm is a running set of feed servers.
type Farm struct {
	URLs []string // one per feed

	servers []*http.Server
	feeds   map[string]*feedDoc // by host:port + path

	requests, notModified, bodyBytes atomic.Int64

	cfg   Config
	addrs []string
	mu    sync.RWMutex // guards feeds against Grow
}

type feedDoc struct {
	body, gz     []byte
	etag         string
	lastModified string
}

// HostRange returns n addresses 127.0.0.<first> ... for distinct hosts.
func HostRange(first, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("127.0.0.%d", first+i)
	}
	return out
}

// Start listens on every host and serves cfg.Feeds feeds.
func Start(cfg Config) (*Farm, error) {
	cfg.Feeds = defaults.PositiveOr(cfg.Feeds, 200)
	cfg.Items = defaults.PositiveOr(cfg.Items, 50)
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = HostRange(2, 8)
	}
	f := &Farm{feeds: map[string]*feedDoc{}, cfg: cfg}
	addrs := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, "0"))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("farm: listen on %s: %w", h, err)
		}
		addrs[i] = ln.Addr().String()
		srv := &http.Server{Handler: f.handler(cfg.Latency), ReadHeaderTimeout: 10 * time.Second}
		f.servers = append(f.servers, srv)
		go srv.Serve(ln)
	}
	f.addrs = addrs
	for i := range cfg.Feeds {
		f.URLs = append(f.URLs, "http://"+addrs[i%len(addrs)]+fmt.Sprintf("/feeds/%03d.xml", i))
	}
	f.Grow(0)
	return f, nil
}

// Grow serves every feed with extra new items above its first ones
// (newer, with ids of their own), changing its ETag and Last-Modified: a
// second run then finds a few new items per feed. Grow(0) serves the
// feeds as they started.
func (f *Farm) Grow(extra int) {
	cfg := f.cfg
	lastMod := cfg.Now.Add(time.Duration(extra) * time.Minute).Add(-time.Hour).UTC().Format(http.TimeFormat)
	docs := make(map[string]*feedDoc, cfg.Feeds)
	for i := range cfg.Feeds {
		addr := f.addrs[i%len(f.addrs)]
		path := fmt.Sprintf("/feeds/%03d.xml", i)
		body := []byte(feedXML(i, cfg.Items, "http://"+addr, cfg.Now, cfg.ShortPercent, cfg.MissingHosts, extra))
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(body)
		zw.Close()
		sum := sha256.Sum256(body)
		docs[addr+path] = &feedDoc{body: body, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, lastModified: lastMod}
	}
	f.mu.Lock()
	f.feeds = docs
	f.mu.Unlock()
}

func (f *Farm) handler(latency time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		f.mu.RLock()
		doc := f.feeds[r.Host+r.URL.Path]
		f.mu.RUnlock()
		if doc == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", doc.etag)
		w.Header().Set("Last-Modified", doc.lastModified)
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == doc.etag ||
			inm == "" && r.Header.Get("If-Modified-Since") == doc.lastModified {
			f.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		body := doc.body
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			body = doc.gz
		}
		n, _ := w.Write(body)
		f.bodyBytes.Add(int64(n))
	})
}

// Stats returns the counters.
func (f *Farm) Stats() Stats {
	return Stats{Requests: f.requests.Load(), NotModified: f.notModified.Load(), BodyBytes: f.bodyBytes.Load()}
}

// ResetStats zeroes the counters.
func (f *Farm) ResetStats() {
	f.requests.Store(0)
	f.notModified.Store(0)
	f.bodyBytes.Store(0)
}

// OPML lists every feed.
func (f *Farm) OPML() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<opml version="2.0"><head><title>farm</title></head><body>` + "\n")
	for i, u := range f.URLs {
		fmt.Fprintf(&b, `<outline type="rss" text="Farm wire %03d" xmlUrl="%s"/>`+"\n", i, html.EscapeString(u))
	}
	b.WriteString("</body></opml>\n")
	return b.Bytes()
}

// Close stops every server.
func (f *Farm) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range f.servers {
		s.Shutdown(ctx)
	}
}

var (
	countries = []string{"Japan", "Canada", "Mexico", "Brazil", "India", "Vietnam", "Germany", "Kenya", "Chile", "Korea"}
	goods     = []string{"steel", "soybeans", "semiconductors", "electric vehicles", "aluminium", "rice", "solar panels", "beef", "lithium", "textiles"}
)

// FeedXML writes one RSS feed whose items carry their full text (about
// 750 characters, above the 600-character short-text threshold), so
// gathering it needs no page fetches.
func FeedXML(n, items int, base string, now time.Time) string {
	return feedXML(n, items, base, now, 0, 0, 0)
}

// feedXML is FeedXML with shortPercent of the items short, their links on
// missing hosts, and extra newer items first (see Farm.Grow).
func feedXML(n, items int, base string, now time.Time, shortPercent, missingHosts, extra int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Farm wire %03d</title><link>%s/</link><description>Synthetic trade news</description>
`, n, base)
	for k := range extra + items {
		// The extra items are numbered after the first ones and are newer.
		i, pub := k-extra, now.Add(-time.Hour-time.Duration(k-extra)*17*time.Minute).UTC()
		if k < extra {
			i, pub = items+extra-1-k, now.Add(-time.Hour+time.Duration(extra-k)*time.Minute).UTC()
		}
		c, g := countries[(n+i)%len(countries)], goods[(n*7+i)%len(goods)]
		if k := n*items + i; missingHosts > 0 && (k*37)%100 < shortPercent {
			fmt.Fprintf(&b, `<item><title>%s weighs new duties on %s imports (%03d-%02d)</title>
<link>http://m%03d.farm.invalid/news/%03d/%02d</link><guid isPermaLink="false">farm-%03d-%02d</guid>
<pubDate>%s</pubDate><description>Officials in %s are considering new duties on %s, in story %d of wire %d.</description></item>
`, c, g, n, i, k%missingHosts, n, i, n, i, pub.Format(time.RFC1123Z), c, g, i, n)
			continue
		}
		fmt.Fprintf(&b, `<item><title>%s weighs new duties on %s imports (%03d-%02d)</title>
<link>%s/news/%03d/%02d?utm_source=rss</link><guid isPermaLink="false">farm-%03d-%02d</guid>
<pubDate>%s</pubDate><description><![CDATA[`, c, g, n, i, base, n, i, n, i, pub.Format(time.RFC1123Z))
		fmt.Fprintf(&b, `<p>Officials in %s said on %s that they were considering new duties on imports of %s after a surge in shipments over the past quarter, in story %d of wire %d.</p>`, c, pub.Weekday(), g, i, n)
		fmt.Fprintf(&b, `<p>The trade ministry will publish a consultation next month. Industry groups have asked for safeguard measures, while importers warned that higher tariffs on %s would raise costs for manufacturers and consumers alike.</p>`, g)
		b.WriteString(`<p>Analysts said the move could prompt retaliation from trading partners and complicate talks on a wider agreement, which have stalled over rules of origin and agricultural market access.</p>`)
		fmt.Fprintf(&b, `<p>Exports of %s from %s to the region rose by a fifth last year, according to customs data, and the government has said it wants any new measures to comply with its commitments at the World Trade Organization.</p>`, g, c)
		b.WriteString(`<p>Subscribe to our newsletter for the latest trade news.</p>]]></description></item>
`)
	}
	b.WriteString("</channel></rss>\n")
	return b.String()
}
