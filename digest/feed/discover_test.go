package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

const (
	rssDoc  = `<?xml version="1.0"?><rss version="2.0"><channel><title>Example Trade Wire</title><item><title>One</title><link>https://news.example.com/1</link></item><item><title>Two</title><link>https://news.example.com/2</link></item></channel></rss>`
	atomDoc = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title><entry><title>A</title><link href="https://atom.example.com/a"/><id>urn:a</id><updated>2026-01-01T00:00:00Z</updated></entry></feed>`
	jsonDoc = `{"version":"https://jsonfeed.org/version/1.1","title":"JSON Wire","items":[{"id":"1","url":"https://json.example.com/1","title":"J","content_text":"x"}]}`
)

// site serves the given paths; anything else is a 404. It counts requests.
func site(t *testing.T, pages map[string]string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		switch {
		case strings.HasPrefix(body, "<!doctype"), strings.HasPrefix(body, "<html"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		case strings.HasPrefix(body, "{"):
			w.Header().Set("Content-Type", "application/feed+json")
		default:
			w.Header().Set("Content-Type", "application/xml")
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestDiscover(t *testing.T) {
	ctx := context.Background()
	opts := Options{Fetcher: testFetcher(nil)}

	t.Run("the address is a feed", func(t *testing.T) {
		srv, _ := site(t, map[string]string{"/rss": rssDoc})
		d, err := Discover(ctx, srv.URL+"/rss", opts)
		if err != nil || d.Kind != digest.SourceKindFeed || d.Format != "RSS" || d.Title != "Example Trade Wire" || d.Items != 2 || d.Via != "" || d.URL != srv.URL+"/rss" {
			t.Fatalf("%+v %v", d, err)
		}
	})
	t.Run("link rel alternate, comment feed last, relative href and base", func(t *testing.T) {
		srv, _ := site(t, map[string]string{
			"/": `<!doctype html><html><head><base href="/site/">
				<link rel="alternate" type="application/rss+xml" title="Comments Feed" href="comments.xml">
				<link rel="stylesheet" href="x.css">
				<link rel="alternate" type="application/atom+xml" title="Posts" href="posts.atom">
				<link rel="alternate" type="application/feed+json" href="/feed.json">
				</head><body><link rel="alternate" type="application/rss+xml" href="/in-body.xml"></body></html>`,
			"/site/comments.xml": rssDoc,
			"/site/posts.atom":   atomDoc,
			"/feed.json":         jsonDoc,
		})
		d, err := Discover(ctx, srv.URL+"/", opts)
		if err != nil {
			t.Fatal(err)
		}
		if d.URL != srv.URL+"/site/posts.atom" || d.Format != "Atom" || d.Via != ViaLink || d.Page != srv.URL+"/" {
			t.Errorf("chosen %+v", d)
		}
		if strings.Join(d.Others, " ") != srv.URL+"/feed.json "+srv.URL+"/site/comments.xml" {
			t.Errorf("others = %q (the link in the body is not the page's)", d.Others)
		}
	})
	t.Run("a broken link is skipped for the next", func(t *testing.T) {
		srv, _ := site(t, map[string]string{
			"/":          `<html><head><link rel="alternate" type="application/rss+xml" href="/gone.xml"><link rel="alternate" type="application/json" href="/feed.json"></head></html>`,
			"/feed.json": jsonDoc,
		})
		d, err := Discover(ctx, srv.URL+"/", opts)
		if err != nil || d.Format != "JSON Feed" || d.URL != srv.URL+"/feed.json" {
			t.Fatalf("%+v %v", d, err)
		}
	})
	t.Run("common path", func(t *testing.T) {
		srv, _ := site(t, map[string]string{
			"/news/article": `<!doctype html><html><head><title>No links</title></head><body>x</body></html>`,
			"/atom.xml":     atomDoc,
		})
		d, err := Discover(ctx, srv.URL+"/news/article", opts)
		if err != nil || d.URL != srv.URL+"/atom.xml" || d.Via != ViaCommonPath {
			t.Fatalf("%+v %v", d, err)
		}
	})
	t.Run("OPML list", func(t *testing.T) {
		srv, _ := site(t, map[string]string{"/lists/trade": `<?xml version="1.0"?><opml version="2.0"><body>
			<outline text="Trade"><outline text="A" xmlUrl="https://a.example.com/rss"/><outline text="B" xmlUrl="/b.xml"/></outline></body></opml>`})
		d, err := Discover(ctx, srv.URL+"/lists/trade", opts)
		if err != nil || d.Kind != digest.SourceKindOPML || d.Items != 2 {
			t.Fatalf("%+v %v", d, err)
		}
	})
	t.Run("no feed anywhere", func(t *testing.T) {
		srv, n := site(t, map[string]string{"/": `<!doctype html><html><head></head><body>nothing</body></html>`})
		_, err := Discover(ctx, srv.URL+"/", opts)
		if !errors.Is(err, ErrNoFeed) || !strings.Contains(err.Error(), "/feed.xml") {
			t.Fatalf("err = %v", err)
		}
		if got := n.Load(); got != int64(1+len(commonPaths)) {
			t.Errorf("%d requests, want the page and %d common paths", got, len(commonPaths))
		}
	})
	t.Run("private address refused by the guard", func(t *testing.T) {
		srv, _ := site(t, map[string]string{"/rss": rssDoc})
		_, err := Discover(ctx, srv.URL+"/rss", Options{Fetcher: NewFetcher(DefaultFetcherConfig())})
		if !errors.Is(err, ErrBlockedAddress) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestOpen_RemoteOPML: a list at a URL (by its .opml suffix, or by Kind)
// expands to its feeds, relative ones resolved against the list; a path to
// a local file in a list from the network is refused.
func TestOpen_RemoteOPML(t *testing.T) {
	ctx := context.Background()
	list := `<?xml version="1.0"?><opml version="2.0"><body>
		<outline text="Wire" xmlUrl="feeds/wire.xml"/>
		<outline text="Secrets" xmlUrl="/etc/passwd"/>
		<outline text="File" xmlUrl="file:///etc/passwd"/>
		<outline title="Remote" xmlUrl="https://remote.example.com/rss"/></body></opml>`
	srv, _ := site(t, map[string]string{"/lists/trade.opml": list, "/lists/trade": list})
	for _, tt := range []struct {
		name, url string
		opts      Options
	}{
		{"by suffix", srv.URL + "/lists/trade.opml", Options{Fetcher: testFetcher(nil)}},
		{"by kind", srv.URL + "/lists/trade", Options{Fetcher: testFetcher(nil), Kind: digest.SourceKindOPML}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srcs, err := Open(ctx, tt.url, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var ids, names []string
			for _, s := range srcs {
				ids = append(ids, s.ID())
				names = append(names, s.Name())
			}
			want := srv.URL + "/lists/feeds/wire.xml " + srv.URL + "/etc/passwd https://remote.example.com/rss"
			if strings.Join(ids, " ") != want {
				t.Errorf("feeds = %q, want %q (file: refused, paths resolved as URLs)", ids, want)
			}
			if names[0] != "Wire" || names[2] != "Remote" {
				t.Errorf("names = %q", names)
			}
		})
	}
}
