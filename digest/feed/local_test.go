package feed

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/summarize"
)

func TestParseText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		title     string
		textStart string
		notText   string
	}{
		{
			name:      "title line",
			in:        "EU and Japan cut tariffs on cars\n\nThe European Union and Japan agreed on Monday to cut tariffs.\n\nTalks resume in May.",
			title:     "EU and Japan cut tariffs on cars",
			textStart: "The European Union and Japan agreed",
			notText:   "EU and Japan cut tariffs on cars\n",
		},
		{
			name:      "title line without blank line",
			in:        "Steel duties extended\nThe Commerce Department extended duties on steel imports by a year.\nImporters objected.",
			title:     "Steel duties extended",
			textStart: "The Commerce Department extended",
		},
		{
			name:      "no title line",
			in:        "The European Commission on Tuesday proposed new duties on electric vehicles imported from China, citing unfair subsidies.\n\nBeijing said it would respond.\n\nSubscribe to our newsletter for more trade news.",
			title:     "European Commission proposes new duties on electric vehicles imported from China",
			textStart: "The European Commission on Tuesday proposed",
			notText:   "Subscribe",
		},
		{
			name:      "dateline stripped from derived title",
			in:        "GENEVA, March 3 (Reuters) - WTO members failed to agree on fishing subsidies at a meeting on Friday.\n\nMore talks are planned.",
			title:     "WTO members fail to agree on fishing subsidies at meeting",
			textStart: "GENEVA, March 3 (Reuters)",
		},
		{
			name:      "question headline",
			in:        "Will the tariff truce hold?\n\nAnalysts doubt it.",
			title:     "Will the tariff truce hold?",
			textStart: "Analysts doubt it.",
		},
		{
			name:      "counter line is no title",
			in:        "Insgesamt online: 1 Gäste: 1 Benutzer: 0\n\nDie EU und Japan haben am Montag vereinbart, die Zölle auf Autos zu senken.\n\nDie Gespräche gehen im Mai weiter.",
			title:     "Die EU und Japan haben vereinbart",
			textStart: "Die EU und Japan haben",
			notText:   "Insgesamt online",
		},
		{
			name:      "breadcrumb and stamp are no title",
			in:        "Home > News > Trade\n\nSunday 6 December 2026 04.05 GMT\n\nThe European Union and Japan agreed on Monday to cut tariffs on cars.\n\nTalks resume in May.",
			title:     "EU and Japan agree to cut tariffs on cars",
			textStart: "The European Union and Japan agreed",
			notText:   "GMT",
		},
		{
			name:      "credit line is no title",
			in:        "Reporting by Jane Doe; Editing by John Roe\n\nThe European Union and Japan agreed on Monday to cut tariffs on cars.",
			title:     "EU and Japan agree to cut tariffs on cars",
			textStart: "The European Union and Japan agreed",
			notText:   "Editing by",
		},
		{
			name:      "single short paragraph",
			in:        "Ports reopened after the strike ended on Sunday.",
			title:     "Ports reopen after strike ended",
			textStart: "Ports reopened after the strike",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ParseText(tt.in)
			if a.Title != tt.title {
				t.Errorf("Title = %q, want %q", a.Title, tt.title)
			}
			if !strings.HasPrefix(a.Text, tt.textStart) {
				t.Errorf("Text = %q, want it to start with %q", a.Text, tt.textStart)
			}
			if tt.notText != "" && strings.Contains(a.Text, tt.notText) {
				t.Errorf("Text %q contains %q", a.Text, tt.notText)
			}
		})
	}
}

func TestDeriveTitle(t *testing.T) {
	long := "Negotiators from the United States, Mexico and Canada met in Washington on Thursday to review the rules of origin for automobiles and steel under the trade pact."
	got := deriveTitle(long, "")
	if n := len(strings.Fields(got)); n > summarize.MaxDerivedHeadlineWords || n < 4 {
		t.Errorf("derived title has %d words: %q", n, got)
	}
	if strings.ContainsAny(got[len(got)-1:], ".,;:") || summarize.EndsBadly(got) {
		t.Errorf("derived title ends badly: %q", got)
	}
	for _, want := range []string{"Negotiators", "US", "Mexico", "Canada"} {
		if !strings.Contains(got, want) {
			t.Errorf("derived title %q lost %q", got, want)
		}
	}
	if got := deriveTitle("U.S. and EU officials met. Then they left.", ""); got != "US and EU officials meet" {
		t.Errorf("abbreviation split the lead sentence: %q", got)
	}
	// The text's language decides where it is cut: a Portuguese
	// sentence at a Portuguese preposition (summarize.HeadlineIn).
	pt := "A Coreia do Norte anunciou que ia reabrir o canal de comunicações intercoreano às 6.30 horas, um dia depois de ter recebido a proposta sul-coreana para realizar negociações oficiais."
	if got, want := deriveTitle(pt, ""), "A Coreia do Norte anunciou que ia reabrir o canal de comunicações intercoreano"; got != want {
		t.Errorf("deriveTitle(Portuguese) = %q, want %q", got, want)
	}
	if got := deriveTitle("", ""); got != "" {
		t.Errorf("deriveTitle(\"\") = %q", got)
	}
}

func TestParseMarkdown(t *testing.T) {
	in := `---
title: "Canada and UK sign interim trade deal"
date: 2026-03-04
url: https://example.com/news/canada-uk?utm_source=rss
source: Example Trade Wire
---

# Ignored heading when front matter has a title

Canada and the **United Kingdom** signed an [interim agreement](https://example.com/x) on _Tuesday_.

![chart](https://example.com/chart.png)

## What changes

- Tariffs on cheese fall to zero
- Quotas for beef rise

> "This is a good day," the minister said.

` + "```\ncode block stays\n```" + `

Sign up for our newsletter to get the weekly briefing.
`
	a := ParseMarkdown(in)
	if a.Title != "Canada and UK sign interim trade deal" {
		t.Errorf("Title = %q", a.Title)
	}
	if want := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC); !a.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", a.Published, want)
	}
	if a.URL != "https://example.com/news/canada-uk" {
		t.Errorf("URL = %q", a.URL)
	}
	if a.SourceName != "Example Trade Wire" {
		t.Errorf("SourceName = %q", a.SourceName)
	}
	for _, want := range []string{
		"Canada and the United Kingdom signed an interim agreement on Tuesday.",
		"What changes",
		"Tariffs on cheese fall to zero\n\nQuotas for beef rise",
		`"This is a good day," the minister said.`,
		"code block stays",
	} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("Text lacks %q:\n%s", want, a.Text)
		}
	}
	for _, bad := range []string{"**", "](", "![", "# ", "> ", "```", "newsletter", "chart.png"} {
		if strings.Contains(a.Text, bad) {
			t.Errorf("Text keeps %q:\n%s", bad, a.Text)
		}
	}

	b := ParseMarkdown("# Heading title\n\nBody text here.")
	if b.Title != "Heading title" || b.Text != "Body text here." {
		t.Errorf("heading as title: %q / %q", b.Title, b.Text)
	}
}

const articleHTML = `<!DOCTYPE html><html><head><title>Port strike ends | Example Wire</title>
<meta property="og:title" content="Port strike ends after wage deal">
<meta property="og:site_name" content="Example Wire">
<meta property="article:published_time" content="2026-02-10T08:00:00Z">
<link rel="canonical" href="https://example.com/news/port-strike-ends?utm_source=x">
</head><body><nav>Home | World | Business</nav>
<article><h1>Port strike ends after wage deal</h1>
<p>Dock workers at the country's largest container port returned to work on Monday after unions and employers agreed on a three-year wage deal that ends a two-week strike.</p>
<p>The strike had left more than 40 ships waiting at anchor and delayed exports of grain and cars, according to the port authority, which said it expected the backlog to clear within ten days.</p>
<p>Shipping lines said freight rates on routes through the port had risen by as much as 15 percent during the stoppage, and exporters warned of penalties for late deliveries.</p>
<p>Subscribe to our newsletter for the latest trade news.</p>
</article><footer>© 2026 Example Wire. All rights reserved.</footer></body></html>`

func TestReadArticleFile(t *testing.T) {
	dir := t.TempDir()
	mtime := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	now := time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC)
	opts := Options{Now: func() time.Time { return now }}

	t.Run("txt uses mtime", func(t *testing.T) {
		a, err := readArticleFile(write("a.txt", "Title here\n\nBody of the article."), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Published.Equal(mtime) || a.SourceName != "Local file" || a.FetchedAt != now {
			t.Errorf("Published %v SourceName %q FetchedAt %v", a.Published, a.SourceName, a.FetchedAt)
		}
		if a.ContentHash != digest.ContentHash("Body of the article.") {
			t.Errorf("ContentHash does not match the text")
		}
	})
	t.Run("html dated years ahead uses mtime", func(t *testing.T) {
		a, err := readArticleFile(write("c.html", strings.Replace(articleHTML, "2026-02-10T08:00:00Z", "2036-02-10T08:00:00Z", 1)), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Published.Equal(mtime) {
			t.Errorf("Published %v, want the file's mtime %v", a.Published, mtime)
		}
	})
	t.Run("html", func(t *testing.T) {
		a, err := readArticleFile(write("b.html", articleHTML), opts)
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != "Port strike ends after wage deal" {
			t.Errorf("Title %q", a.Title)
		}
		if a.URL != "https://example.com/news/port-strike-ends" {
			t.Errorf("URL %q", a.URL)
		}
		if a.SourceName != "Example Wire" {
			t.Errorf("SourceName %q", a.SourceName)
		}
		if !a.Published.Equal(time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("Published %v, want the page's published_time 2026-02-10 08:00 UTC", a.Published)
		}
		if !strings.Contains(a.Text, "Dock workers") || strings.Contains(a.Text, "Subscribe") || strings.Contains(a.Text, "Home | World") {
			t.Errorf("Text %q", a.Text)
		}
		if n := strings.Count(a.Text, "\n\n"); n < 2 {
			t.Errorf("Text has %d paragraph breaks, want ≥ 2", n)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		_, err := readArticleFile(write("c.txt", "\n\n  \n"), opts)
		if err == nil || !strings.Contains(err.Error(), "c.txt") {
			t.Errorf("error %v should name the file", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		_, err := readArticleFile(write("d.txt", strings.Repeat("word ", 100)), Options{MaxFileBytes: 50})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("error %v, want ErrTooLarge", err)
		}
	})
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rss := `<?xml version="1.0"?><rss version="2.0"><channel><title>Local Wire</title>
<item><title>Item one</title><description>First item text.</description><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate></item>
</channel></rss>`
	write("arts/one.txt", "Tariffs rise\n\nThe tariff on steel rose to 25 percent.")
	write("arts/two.md", "# Quotas cut\n\nBeef quotas were cut by half.")
	write("arts/three.html", articleHTML)
	write("arts/feed.xml", rss)
	write("arts/notes.csv", "a,b")
	write("arts/broken.rss", "<rss><channel><item>")
	feedFile := write("wire.rss", rss)
	opmlFile := write("subs.opml", `<?xml version="1.0"?><opml version="2.0"><head><title>subs</title></head><body>
<outline text="Trade"><outline text="Wire A" type="rss" xmlUrl="https://a.example/feed"/>
<outline text="Wire B" xmlUrl="https://b.example/rss"/><outline text="Local" xmlUrl="wire.rss"/></outline>
<outline text="Dup" xmlUrl="https://a.example/feed"/></body></opml>`)
	ctx := context.Background()
	opts := Options{ShortText: -1}

	t.Run("url", func(t *testing.T) {
		srcs, err := Open(ctx, "https://example.com/feed.xml", opts)
		if err != nil || len(srcs) != 1 || srcs[0].ID() != "https://example.com/feed.xml" {
			t.Fatalf("%v %v", srcs, err)
		}
		if _, ok := srcs[0].(*Feed); !ok {
			t.Errorf("URL source is %T, want *Feed", srcs[0])
		}
	})
	t.Run("opml", func(t *testing.T) {
		srcs, err := Open(ctx, opmlFile, opts)
		if err != nil {
			t.Fatal(err)
		}
		var ids, names []string
		for _, s := range srcs {
			ids = append(ids, s.ID())
			names = append(names, s.Name())
		}
		want := []string{"https://a.example/feed", "https://b.example/rss", filepath.Join(dir, "wire.rss")}
		if strings.Join(ids, " ") != strings.Join(want, " ") {
			t.Errorf("OPML ids %v, want %v", ids, want)
		}
		if names[0] != "Wire A" {
			t.Errorf("OPML names %v", names)
		}
	})
	t.Run("feed file", func(t *testing.T) {
		srcs, err := Open(ctx, feedFile, opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := srcs[0].Fetch(ctx, digest.SourceState{})
		if err != nil || len(res.Articles) != 1 || res.Articles[0].SourceName != "Local Wire" {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("article file", func(t *testing.T) {
		srcs, err := Open(ctx, filepath.Join(dir, "arts/two.md"), opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := srcs[0].Fetch(ctx, digest.SourceState{})
		if err != nil || len(res.Articles) != 1 || res.Articles[0].Title != "Quotas cut" {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		srcs, err := Open(ctx, filepath.Join(dir, "arts"), opts)
		if err != nil || len(srcs) != 1 {
			t.Fatal(srcs, err)
		}
		res, err := srcs[0].Fetch(ctx, digest.SourceState{})
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, a := range res.Articles {
			titles = append(titles, a.Title)
			if a.SourceID != filepath.Join(dir, "arts") {
				t.Errorf("article %q SourceID %q", a.Title, a.SourceID)
			}
		}
		if len(res.Articles) != 4 {
			t.Errorf("directory gave %d articles %q, want 4 (txt, md, html, feed item)", len(res.Articles), titles)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "broken.rss") {
			t.Errorf("warnings %q, want one naming broken.rss", res.Warnings)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, src := range []string{filepath.Join(dir, "arts/notes.csv"), filepath.Join(dir, "missing.txt"), ""} {
			if _, err := Open(ctx, src, opts); err == nil {
				t.Errorf("Open(%q) succeeded", src)
			} else if src != "" && !strings.Contains(err.Error(), src) {
				t.Errorf("Open(%q) error %q does not name it", src, err)
			}
		}
	})
}
