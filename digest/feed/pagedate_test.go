package feed

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/tradedigest/tradedigest/digest"
)

func TestExtractHTML_DateWithTime(t *testing.T) {
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		head string
		body string
		want time.Time
	}{
		{"article:published_time", `<meta property="article:published_time" content="2026-12-05T05:00:00Z">`, "",
			time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)},
		{"published time with a zone offset", `<meta property="article:published_time" content="2026-12-05T07:15:00+02:00">`, "",
			time.Date(2026, 12, 5, 5, 15, 0, 0, time.UTC)},
		{"modified before published in the page", `<meta property="article:modified_time" content="2026-12-06T09:00:00Z">
<meta property="article:published_time" content="2026-12-05T05:00:00Z">`, "", time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)},
		{"JSON-LD datePublished in a @graph", `<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebPage","name":"x"},
{"@type":"NewsArticle","headline":"Rice","datePublished":"2026-12-05T18:40:12.000+05:30","dateModified":"2026-12-06T01:00:00Z"}]}</script>`, "",
			time.Date(2026, 12, 5, 13, 10, 12, 0, time.UTC)},
		{"time element marked as the publication time", `<title>Rice</title>`, `<p>Published <time itemprop="datePublished" datetime="2026-12-05T05:00:00-05:00">5 Dec</time></p>`,
			time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)},
		{"a date without time stays a day", `<meta property="article:published_time" content="2026-12-05">`, "", day},
		{"broken JSON-LD is ignored", `<script type="application/ld+json">{"datePublished": </script><meta name="date" content="2026-12-05T05:00:00Z">`, "",
			time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := extractHTML(page(tt.head, tt.body), "https://example.com/rice", "text/html; charset=utf-8")
			if err != nil {
				t.Fatal(err)
			}
			if !p.Date.Equal(tt.want) {
				t.Errorf("Date %v, want %v", p.Date, tt.want)
			}
		})
	}
}

func TestPageDate_UnmarkedTime(t *testing.T) {
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	doc := func(body string) []byte { return page(`<title>Rice</title>`, body) }
	// An unmarked <time> counts only when it agrees with the extractor's
	// day: a comment or a related story's time must not date the article.
	for _, tt := range []struct {
		name string
		body string
		day  time.Time
		want time.Time
	}{
		{"agrees with the day", `<p><time datetime="2026-12-05T05:00Z">05:00</time></p>`, day, time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)},
		{"another day", `<p><time datetime="2026-11-30T05:00Z">30 Nov</time></p>`, day, day},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := parseHTMLForTest(doc(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := pageDate(n, tt.day); !got.Equal(tt.want) {
				t.Errorf("pageDate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParsePageTime(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    time.Time
		precise bool
	}{
		{"2026-12-05T05:00:00Z", time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC), true},
		{"2026-12-05T05:00:00.123+0100", time.Date(2026, 12, 5, 4, 0, 0, 123e6, time.UTC), true},
		{"2026-12-05 05:00:00", time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC), true},
		{"Sat, 05 Dec 2026 05:00:00 +0000", time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC), true},
		{"2026-12-05", time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), false},
		{"yesterday", time.Time{}, false},
	} {
		got, precise := parsePageTime(tt.in)
		if !got.Equal(tt.want) || precise != tt.precise {
			t.Errorf("parsePageTime(%q) = %v, %v; want %v, %v", tt.in, got, precise, tt.want, tt.precise)
		}
	}
}

func parseHTMLForTest(b []byte) (*xhtml.Node, error) { return xhtml.Parse(bytes.NewReader(b)) }

// TestFeed_PageTimeFillsItemDate: a short item's page is fetched for its
// text; its stated time stands in for a missing item date and refines a
// date-only one, so the item is not dated midnight (or "now") and left out
// of a --since 6h window.
func TestFeed_PageTimeFillsItemDate(t *testing.T) {
	mux := http.NewServeMux()
	srv := serveOn(t, "127.0.0.1", mux)
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Rice quota rules</title><link>%[1]s/page/1</link><description>Short.</description></item>
<item><title>Rice quota rules, day only</title><link>%[1]s/page/2</link><pubDate>2026-12-05</pubDate><description>Short.</description></item>
<item><title>Rice quota rules, future page</title><link>%[1]s/page/3</link><description>Short.</description></item>
</channel></rss>`, srv.URL)
	})
	mux.HandleFunc("/page/", func(w http.ResponseWriter, r *http.Request) {
		when := "2026-12-05T05:00:00Z"
		if strings.HasSuffix(r.URL.Path, "/3") {
			when = "2031-01-01T05:00:00Z"
		}
		w.Write(page(`<title>Rice exporters face new quota rules</title><meta property="article:published_time" content="`+when+`">`, ""))
	})
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	res, err := NewFeed(srv.URL+"/feed", Options{Fetcher: testFetcher(nil), Now: func() time.Time { return now }}).Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"Rice quota rules":              time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC),
		"Rice quota rules, day only":    time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC),
		"Rice quota rules, future page": now, // the page's date is implausible: first seen
	}
	for _, a := range res.Articles {
		if w, ok := want[a.Title]; !ok || !a.Published.Equal(w) {
			t.Errorf("%q published %v, want %v", a.Title, a.Published, w)
		}
	}
	if len(res.Articles) != len(want) {
		t.Errorf("%d articles, want %d", len(res.Articles), len(want))
	}
}
