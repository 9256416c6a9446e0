package feed

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// feedXML builds an RSS document; pageURL is the link of the short item.
func feedXML(pageURL string) string {
	long := strings.Repeat("The trade ministers met in Geneva and agreed to extend the moratorium on customs duties for electronic transmissions. ", 8)
	return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example &amp; Trade Wire</title><link>https://wire.example/</link>
<item><title>WTO extends e-commerce moratorium</title>
<link>https://wire.example/news/moratorium?utm_source=rss#top</link>
<guid isPermaLink="false">wire-0001</guid>
<pubDate>Tue, 03 Mar 2026 09:00:00 GMT</pubDate>
<description><![CDATA[<p>` + long + `</p><p>Share this article</p>]]></description></item>
<item><title>Port strike &lt;b&gt;ends&lt;/b&gt;</title>
<link>` + pageURL + `</link>
<guid>wire-0002</guid>
<pubDate>Wed, 04 Mar 2026 09:00:00 GMT</pubDate>
<description>Dock workers return.</description></item>
<item><title>Undated note</title><link>https://wire.example/news/note</link>
<description>No date on this one.</description></item>
</channel></rss>`
}

func TestFeed_FetchOverHTTP(t *testing.T) {
	var feedHits, pageHits, conditional atomic.Int32
	mux := http.NewServeMux()
	srv := serveOn(t, "127.0.0.1", mux)
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		feedHits.Add(1)
		if r.Header.Get("If-None-Match") == `"f1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"f1"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, feedXML(srv.URL+"/page?utm_medium=rss"))
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		pageHits.Add(1)
		fmt.Fprint(w, articleHTML)
	})
	now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	src := NewFeed(srv.URL+"/feed", Options{Fetcher: testFetcher(nil), Now: func() time.Time { return now }})
	if src.Name() != "127.0.0.1" {
		t.Errorf("Name before fetch = %q, want the host", src.Name())
	}
	res, err := src.Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) != 3 || res.NotModified || res.State.ETag != `"f1"` || res.Bytes == 0 {
		t.Fatalf("result: %d articles, NotModified %v, ETag %q, Bytes %d", len(res.Articles), res.NotModified, res.State.ETag, res.Bytes)
	}
	if src.Name() != "Example & Trade Wire" {
		t.Errorf("Name after fetch = %q", src.Name())
	}
	byTitle := map[string]digest.Article{}
	for _, a := range res.Articles {
		byTitle[a.Title] = a
		if a.SourceName != "Example & Trade Wire" || a.SourceID != srv.URL+"/feed" || a.ContentHash != digest.ContentHash(a.Text) {
			t.Errorf("article %q: SourceName %q SourceID %q hash ok %v", a.Title, a.SourceName, a.SourceID, a.ContentHash == digest.ContentHash(a.Text))
		}
	}
	long := byTitle["WTO extends e-commerce moratorium"]
	if long.URL != "https://wire.example/news/moratorium" || long.GUID != "wire-0001" {
		t.Errorf("long item URL %q GUID %q", long.URL, long.GUID)
	}
	if !long.Published.Equal(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("long item Published %v", long.Published)
	}
	if strings.Contains(long.Text, "Share this article") {
		t.Errorf("boilerplate kept: %q", long.Text)
	}
	short, ok := byTitle["Port strike ends"]
	if !ok {
		t.Fatalf("title markup not stripped; titles %v", res.Articles)
	}
	if !strings.Contains(short.Text, "three-year wage deal") || strings.Contains(short.Text, "Subscribe") {
		t.Errorf("short item not filled from its page: %q", short.Text)
	}
	if short.URL != srv.URL+"/page" {
		t.Errorf("short item URL %q", short.URL)
	}
	if undated := byTitle["Undated note"]; !undated.Published.Equal(now) {
		t.Errorf("undated item Published %v, want first-seen %v", undated.Published, now)
	}
	if res.Articles[0].Title != "Port strike ends" {
		t.Errorf("articles not newest first: %q", res.Articles[0].Title)
	}
	// The undated item links to wire.example, which the guard or DNS
	// refuses; its failure is a warning, not an error.
	if pageHits.Load() != 1 {
		t.Errorf("page fetched %d times, want 1 (only the short item with a reachable page)", pageHits.Load())
	}

	again, err := src.Fetch(context.Background(), res.State)
	if err != nil || !again.NotModified || len(again.Articles) != 0 {
		t.Fatalf("second fetch: NotModified %v, %d articles, %v", again.NotModified, len(again.Articles), err)
	}
	if conditional.Load() != 1 || again.State.ETag != `"f1"` {
		t.Errorf("conditional hits %d, ETag kept %q", conditional.Load(), again.State.ETag)
	}
}

func TestFeed_PageFetchIsGuarded(t *testing.T) {
	var pageHits atomic.Int32
	private := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageHits.Add(1)
		fmt.Fprint(w, articleHTML)
	}))
	feedSrv := serveOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, feedXML(private.URL+"/latest/meta-data"))
	}))
	// Only the feed's host is allowed; its item points at another
	// private address, which must not be fetched.
	f := NewFetcher(FetcherConfig{AllowHosts: []string{"127.0.0.2:*"}})
	res, err := NewFeed(feedSrv.URL, Options{Fetcher: f}).Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	if pageHits.Load() != 0 {
		t.Fatalf("private page fetched %d times", pageHits.Load())
	}
	found := false
	for _, w := range res.Warnings {
		if strings.Contains(w, "address not allowed") && strings.Contains(w, private.URL) {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %q lack the refused page", res.Warnings)
	}
	for _, a := range res.Articles {
		if a.Title == "Port strike ends" && a.Text != "Dock workers return." {
			t.Errorf("feed text not kept after a refused page fetch: %q", a.Text)
		}
	}
}

func TestFeed_Errors(t *testing.T) {
	srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/html":
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Welcome</body></html>")
		case "/404":
			http.NotFound(w, r)
		default:
			fmt.Fprint(w, `<rss><channel><title>cut before any item`)
		}
	}))
	for _, path := range []string{"/html", "/404", "/broken"} {
		u := srv.URL + path
		_, err := NewFeed(u, Options{Fetcher: testFetcher(nil)}).Fetch(context.Background(), digest.SourceState{})
		if err == nil || !strings.Contains(err.Error(), u) {
			t.Errorf("%s: error %v should name the feed", path, err)
		}
	}
}

func TestFeed_TruncatedKeepsItems(t *testing.T) {
	srv := serveOn(t, "127.0.0.1", okHandler(`<rss version="2.0"><channel><title>x</title><item><title>Whole item</title><description>Complete text.</description></item><item><title>Second</title></item><item><title>Cut</tit`))
	res, err := NewFeed(srv.URL, Options{Fetcher: testFetcher(nil), ShortText: -1}).Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) < 2 || res.Articles[0].Title != "Whole item" {
		t.Errorf("articles %+v, want the items before the cut", res.Articles)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "cut off") || !strings.Contains(res.Warnings[0], srv.URL) {
		t.Errorf("warnings %q, want one naming the feed and saying it is cut off", res.Warnings)
	}
}

func TestCloseTruncated(t *testing.T) {
	in := "<rss version=\"2.0\"><channel><title>T</title><item><title>One</title></item><item><title>Tw"
	out, ok := closeTruncated([]byte(in))
	if !ok {
		t.Fatal("closeTruncated found nothing to close")
	}
	if want := "<rss version=\"2.0\"><channel><title>T</title><item><title>One</title></item><item><title>Tw</title></item></channel></rss>"; string(out) != want {
		t.Errorf("closeTruncated = %q, want %q", out, want)
	}
	if _, ok := closeTruncated([]byte("<rss></rss>")); ok {
		t.Error("closeTruncated changed a complete document")
	}
}

func TestFeed_ItemBoundsAndGUIDs(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>Many</title>`)
	for i := range 10 {
		fmt.Fprintf(&b, `<item><title>Item %d</title><link>https://x.example/%d</link><guid>%s</guid><pubDate>%s</pubDate><description>Text %d with enough words to stand alone.</description></item>`,
			i, i, map[bool]string{true: "same-guid", false: fmt.Sprintf("guid-%04d", i)}[i < 2],
			time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.RFC1123Z), i)
	}
	b.WriteString(`</channel></rss>`)
	srv := serveOn(t, "127.0.0.1", okHandler(b.String()))
	res, err := NewFeed(srv.URL, Options{Fetcher: testFetcher(nil), MaxItems: 3, ShortText: -1}).Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, a := range res.Articles {
		titles = append(titles, a.Title)
	}
	if strings.Join(titles, ",") != "Item 9,Item 8,Item 7" {
		t.Errorf("MaxItems 3 kept %q, want the 3 newest", titles)
	}
	res, err = NewFeed(srv.URL, Options{Fetcher: testFetcher(nil), ShortText: -1}).Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Articles {
		dup := a.Title == "Item 0" || a.Title == "Item 1"
		if dup && a.GUID != "" {
			t.Errorf("%s: duplicated GUID %q kept", a.Title, a.GUID)
		}
		if !dup && a.GUID == "" {
			t.Errorf("%s: unique GUID dropped", a.Title)
		}
	}
}

func TestExtract(t *testing.T) {
	srv := serveOn(t, "127.0.0.1", okHandler(articleHTML))
	p, err := Extract(context.Background(), srv.URL+"/x", Options{Fetcher: testFetcher(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Port strike ends after wage deal" || p.CanonicalURL != "https://example.com/news/port-strike-ends" || p.SourceName != "Example Wire" || p.Date.IsZero() {
		t.Errorf("page %+v", p)
	}
	if !strings.HasPrefix(p.Text, "Dock workers") || strings.Contains(p.Text, "Subscribe") || strings.Contains(p.Text, "All rights reserved") {
		t.Errorf("text %q", p.Text)
	}
	// The same limits and guard as gathering.
	if _, err := Extract(context.Background(), srv.URL, Options{}); err == nil || !strings.Contains(err.Error(), "address not allowed") {
		t.Errorf("Extract without opt-in: %v, want the guard to refuse", err)
	}
	if _, err := Extract(context.Background(), srv.URL, Options{Fetcher: testFetcher(func(c *FetcherConfig) { c.MaxBodyBytes = 100 })}); err == nil {
		t.Errorf("Extract ignored the body cap")
	}
}

func TestFeed_FileFeedStaysOffline(t *testing.T) {
	var hits atomic.Int32
	srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, articleHTML)
	}))
	path := t.TempDir() + "/wire.xml"
	if err := os.WriteFile(path, []byte(feedXML(srv.URL+"/page")), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := NewFeed(path, Options{Fetcher: testFetcher(nil)}).Fetch(context.Background(), digest.SourceState{})
	if err != nil || len(res.Articles) != 3 {
		t.Fatalf("%d articles, %v", len(res.Articles), err)
	}
	if hits.Load() != 0 {
		t.Errorf("a feed file fetched %d pages; file sources must stay offline", hits.Load())
	}
}

func TestLooseDate(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Time{
		"Seg, 24 Set 2018 19:42:40 -0300": time.Date(2018, 9, 24, 22, 42, 40, 0, time.UTC),
		"mer, 16 nov 2022 00:38:15 +0100": time.Date(2022, 11, 15, 23, 38, 15, 0, time.UTC),
		"Sat, Dec 16 2023 02:02:33 PM":    time.Date(2023, 12, 16, 14, 2, 33, 0, time.UTC),
		"2018-09-18 14:38:10":             time.Date(2018, 9, 18, 14, 38, 10, 0, time.UTC),
		"yesterday":                       {},
		"03 Apr 02 1500 GMT":              {},
		"1 Jan 2030":                      {}, // beyond now+2 days
		"not a date at all 2020 maybe?":   {},
		"":                                {},
	}
	for in, want := range tests {
		if got := looseDate(in, now); !got.Equal(want) {
			t.Errorf("looseDate(%q) = %v, want %v", in, got, want)
		}
	}
}

// An unknown encoding label in valid UTF-8 is dropped for UTF-8; the
// declaration must be rewritten where the label stands, not where its
// text first occurs ("1" in version="1.0", "ver" in "version").
func TestParseFeed_UnknownEncodingLabel(t *testing.T) {
	for _, enc := range []string{"1", "ver", "l", "no-such-charset"} {
		body := `<?xml version="1.0" encoding="` + enc + `"?><rss version="2.0"><channel><title>T</title>` +
			`<item><title>Zoll für Stahl</title><link>https://example.com/a</link></item></channel></rss>`
		fd, err := ParseFeed([]byte(body), "")
		if err != nil {
			t.Errorf("encoding=%q: %v", enc, err)
			continue
		}
		if len(fd.Items) != 1 || fd.Items[0].Title != "Zoll für Stahl" {
			t.Errorf("encoding=%q: items %+v, want one titled %q", enc, fd.Items, "Zoll für Stahl")
		}
	}
}

// A channel link that is itself relative ("/" from some generators) is
// resolved against the feed's URL before item links are resolved against
// it; otherwise every relative item link stayed relative and was dropped.
func TestFeed_RelativeChannelLink(t *testing.T) {
	body := `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Relative Wire</title><link>/</link>
<item><title>Rice quota opens</title><link>/news/rice-quota</link><guid>rw-0001</guid>
<description>The rice tariff-rate quota opens on Monday for the new season.</description></item>
<item><title>Steel duty rises</title><link>https://other.example/steel</link><guid>rw-0002</guid>
<description>The safeguard duty on steel rises to 40 percent.</description></item>
</channel></rss>`
	srv := serveOn(t, "127.0.0.1", okHandler(body))
	src := NewFeed(srv.URL+"/feeds/main.xml", Options{Fetcher: testFetcher(nil), ShortText: -1})
	res, err := src.Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range res.Articles {
		got[a.Title] = a.URL
	}
	want := map[string]string{
		"Rice quota opens": srv.URL + "/news/rice-quota",
		"Steel duty rises": "https://other.example/steel",
	}
	for title, u := range want {
		if got[title] != u {
			t.Errorf("%q: URL %q, want %q", title, got[title], u)
		}
	}
}

// An item dated years ahead would be the newest in every edition until
// that day; a date more than two days ahead falls back to the update date,
// else to the fetch time. A date a few hours ahead (a wrong zone) stays.
func TestFeed_FutureDates(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/future.xml"
	body := `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Future Wire</title><link>https://future.example/</link>
<item><title>Typo year</title><link>https://future.example/a</link><pubDate>Thu, 05 Mar 2099 09:00:00 GMT</pubDate>
<description>Customs duties on steel rise.</description></item>
<item><title>Typo year, good update</title><link>https://future.example/b</link><pubDate>Thu, 05 Mar 2099 09:00:00 GMT</pubDate>
<atom:updated>2026-03-04T08:00:00Z</atom:updated><description>Rice quota opens.</description></item>
<item><title>Hours ahead</title><link>https://future.example/c</link><pubDate>Thu, 05 Mar 2026 03:00:00 GMT</pubDate>
<description>Port strike ends.</description></item>
</channel></rss>`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	res, err := NewFeed(path, Options{Now: func() time.Time { return now }}).Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"Typo year":              now,
		"Typo year, good update": time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC),
		"Hours ahead":            time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC),
	}
	if len(res.Articles) != len(want) {
		t.Fatalf("%d articles, want %d", len(res.Articles), len(want))
	}
	for _, a := range res.Articles {
		if w, ok := want[a.Title]; !ok || !a.Published.Equal(w) {
			t.Errorf("%q: Published %v, want %v", a.Title, a.Published, w)
		}
	}
}
