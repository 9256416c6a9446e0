package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/redact"
	xhtml "golang.org/x/net/html"
)

// Discovery is what Discover found behind an address.
type Discovery struct {
	// URL is the address to keep: the feed's, or the list's.
	URL string
	// Kind is digest.SourceKindFeed or digest.SourceKindOPML.
	Kind string
	// Format is "RSS", "Atom", "JSON Feed" or "OPML".
	Format string
	Title  string
	// Items counts the feed's items, or the list's feeds.
	Items int
	// Via says how the feed was found: "" for the address itself,
	// `<link rel="alternate">` or "common path".
	Via string
	// Page is the web page the feed was found from, when it was.
	Page string
	// Others are the page's other feeds, not chosen.
	Others []string
}

// Via values.
const (
	ViaLink       = `<link rel="alternate">`
	ViaCommonPath = "common path"
)

// commonPaths are where sites without a <link rel="alternate"> usually
// keep their feed, tried in this order against the site's root.
var commonPaths = []string{"/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json", "/feeds/posts/default"}

// maxCandidates bounds the feeds a page's links may make Discover try.
const maxCandidates = 8

// ErrNoFeed is returned by Discover for a web page without a feed.
var ErrNoFeed = errors.New("no feed found")

// Discover says what rawURL is: a feed (RSS, Atom, JSON Feed), an OPML
// list, or a web page, whose feed it then finds among the page's
// <link rel="alternate"> entries (RSS, Atom, JSON Feed; comment feeds
// last), and failing that at common paths of the site. Every request goes
// through opts.Fetcher with its limits and address guard.
func Discover(ctx context.Context, rawURL string, opts Options) (Discovery, error) {
	opts = opts.withDefaults()
	resp, err := opts.Fetcher.Get(ctx, Request{URL: rawURL, UserAgent: opts.UserAgent, Accept: acceptFeed + ", text/html;q=0.7, text/x-opml;q=0.7"})
	if err != nil {
		return Discovery{}, fmt.Errorf("discover %s: %w", redact.URL(rawURL), err)
	}
	if d, ok := asFeed(resp); ok {
		return d, nil
	}
	if d, ok := asOPML(resp); ok {
		return d, nil
	}
	if !looksLikeHTMLDoc(resp.Body) {
		return Discovery{}, fmt.Errorf("discover %s: %w: the address answers with neither a feed, an OPML list nor a web page", redact.URL(rawURL), ErrNoFeed)
	}
	page, err := url.Parse(resp.URL)
	if err != nil {
		return Discovery{}, fmt.Errorf("discover %s: %w", redact.URL(rawURL), err)
	}
	links := alternateLinks(resp.Body, page)
	for i, l := range links {
		if i == maxCandidates {
			break
		}
		if d, ok := tryFeed(ctx, l, opts); ok {
			d.Via, d.Page = ViaLink, resp.URL
			for _, o := range links {
				if o != l {
					d.Others = append(d.Others, o)
				}
			}
			return d, nil
		}
	}
	root := &url.URL{Scheme: page.Scheme, Host: page.Host}
	for _, p := range commonPaths {
		u := root.JoinPath(p).String()
		if d, ok := tryFeed(ctx, u, opts); ok {
			d.Via, d.Page = ViaCommonPath, resp.URL
			return d, nil
		}
	}
	what := "the page has no <link rel=\"alternate\"> feed"
	if len(links) > 0 {
		what = fmt.Sprintf("none of the page's %d <link rel=\"alternate\"> feeds could be read", len(links))
	}
	return Discovery{}, fmt.Errorf("discover %s: %w: %s, and none of %s answered with a feed",
		redact.URL(rawURL), ErrNoFeed, what, strings.Join(commonPaths, ", "))
}

// tryFeed fetches u and reports whether it is a feed.
func tryFeed(ctx context.Context, u string, opts Options) (Discovery, bool) {
	resp, err := opts.Fetcher.Get(ctx, Request{URL: u, UserAgent: opts.UserAgent, Accept: acceptFeed})
	if err != nil {
		opts.Logger.Debug("discover: candidate refused", "url", u, "error", err)
		return Discovery{}, false
	}
	return asFeed(resp)
}

// asFeed reads resp as a feed.
func asFeed(resp *Response) (Discovery, bool) {
	fd, _, err := parseFeed(resp.Body, resp.ContentType)
	if err != nil {
		return Discovery{}, false
	}
	format := map[string]string{"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}[fd.FeedType]
	if format == "" {
		format = fd.FeedType
	}
	return Discovery{URL: resp.URL, Kind: digest.SourceKindFeed, Format: format, Title: plainTitle(fd.Title), Items: len(fd.Items)}, true
}

// asOPML reads resp as a subscription list.
func asOPML(resp *Response) (Discovery, bool) {
	head := bytes.ToLower(resp.Body[:min(len(resp.Body), 2048)])
	if !bytes.Contains(head, []byte("<opml")) {
		return Discovery{}, false
	}
	feeds, err := ParseOPML(resp.Body, func(u string) (string, bool) { return u, true })
	if err != nil {
		return Discovery{}, false
	}
	return Discovery{URL: resp.URL, Kind: digest.SourceKindOPML, Format: "OPML", Items: len(feeds)}, true
}

func looksLikeHTMLDoc(body []byte) bool {
	head := bytes.ToLower(body[:min(len(body), 4096)])
	return bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html")) || bytes.Contains(head, []byte("<head"))
}

// feedTypes are the link types that name a feed.
var feedTypes = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"application/rss+xml": true, "application/atom+xml": true, "application/feed+json": true,
		"application/json": true, "application/rdf+xml": true, "application/x.atom+xml": true,
	}
}}

// alternateLinks returns the absolute http(s) URLs of the page's
// <link rel="alternate"> feeds, in page order, comment feeds last.
func alternateLinks(body []byte, page *url.URL) []string {
	base := page
	var feeds, comments []string
	seen := map[string]bool{}
	z := xhtml.NewTokenizer(decodeHTML(body, ""))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		tag := string(name)
		if tag == "body" {
			break
		}
		if (tag != "link" && tag != "base") || !hasAttr {
			continue
		}
		attrs := map[string]string{}
		for {
			k, v, more := z.TagAttr()
			attrs[strings.ToLower(string(k))] = strings.TrimSpace(string(v))
			if !more {
				break
			}
		}
		if tag == "base" {
			if b, err := page.Parse(attrs["href"]); err == nil && isHTTP(b.String()) {
				base = b
			}
			continue
		}
		rels := strings.Fields(strings.ToLower(attrs["rel"]))
		typ, _, _ := strings.Cut(strings.ToLower(attrs["type"]), ";")
		if !slices.Contains(rels, "alternate") || !feedTypes.Get()[strings.TrimSpace(typ)] || attrs["href"] == "" {
			continue
		}
		u, err := base.Parse(attrs["href"])
		if err != nil || !isHTTP(u.String()) || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		if strings.Contains(strings.ToLower(attrs["title"]), "comment") {
			comments = append(comments, u.String())
			continue
		}
		feeds = append(feeds, u.String())
	}
	return append(feeds, comments...)
}
