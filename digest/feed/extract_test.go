package feed

import (
	"strings"
	"testing"
	"time"
)

// page builds an article page around head and extra body markup.
func page(head, extra string) []byte {
	return []byte(`<!DOCTYPE html><html><head>` + head + `</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav></header>
<main><article>
<h1>Rice exporters face new quota rules</h1>
<p>Rice exporters in the region face new quota rules from next month, after the trade ministry said on Wednesday that shipments would be capped to protect domestic supplies ahead of the monsoon.</p>
<figure><img src="/rice.jpg"><figcaption>Photo: Jane Doe/Example Agency</figcaption></figure>
<p>The cap applies to white and broken rice and will be reviewed every quarter, the ministry said in a statement, adding that existing contracts would be honoured until the end of the year.</p>
` + extra + `
<p>Traders said the decision could lift prices in importing countries, which rely on the region for more than a third of their purchases, and urged the government to publish the quota allocations soon.</p>
</article></main>
<footer><p>© 2026 Example News. All rights reserved.</p><p>Follow us on Twitter</p></footer>
</body></html>`)
}

func TestExtractHTML_Table(t *testing.T) {
	tests := []struct {
		name      string
		html      []byte
		pageURL   string
		title     string
		canonical string
		date      time.Time
		site      string
		absent    []string
	}{
		{
			name:      "relative canonical resolved against the page",
			html:      page(`<title>Rice exporters face new quota rules - Example News</title><link rel="canonical" href="/business/rice-quota">`, ""),
			pageURL:   "https://m.example.com/business/rice-quota/amp?utm_source=tw",
			title:     "Rice exporters face new quota rules",
			canonical: "https://example.com/business/rice-quota",
		},
		{
			name:      "no canonical: the page URL, cleaned",
			html:      page(`<title>Rice exporters face new quota rules</title>`, ""),
			pageURL:   "https://www.example.com/a/rice?fbclid=1&id=9#x",
			title:     "Rice exporters face new quota rules",
			canonical: "https://www.example.com/a/rice?id=9",
		},
		{
			name: "open graph and JSON-LD metadata",
			html: page(`<meta property="og:title" content="Rice exporters face new quota rules">
<meta property="og:site_name" content="Example News">
<meta property="og:url" content="https://example.com/og/rice">
<script type="application/ld+json">{"@type":"NewsArticle","headline":"Rice exporters face new quota rules","datePublished":"2026-04-01T06:30:00Z"}</script>`, ""),
			title:     "Rice exporters face new quota rules",
			canonical: "https://example.com/og/rice",
			date:      time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
			site:      "Example News",
		},
		{
			name: "share, subscribe and credit lines removed",
			html: page(`<title>Rice exporters face new quota rules</title>`, `<p>Share this article</p>
<p>Sign up for our newsletter to get the morning briefing in your inbox.</p>
<p>(Reuters/John Smith)</p>`),
			title:  "Rice exporters face new quota rules",
			absent: []string{"Share this article", "newsletter", "Reuters/John", "Photo: Jane", "All rights reserved", "Follow us", "Home"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := extractHTML(tt.html, tt.pageURL, "text/html; charset=utf-8")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(p.Text, "Rice exporters in the region face new quota rules") || !strings.Contains(p.Text, "Traders said") {
				t.Errorf("main text wrong:\n%s", p.Text)
			}
			if n := strings.Count(p.Text, "\n\n"); n < 2 {
				t.Errorf("%d paragraph breaks, want ≥ 2", n)
			}
			if tt.title != "" && p.Title != tt.title {
				t.Errorf("Title %q, want %q", p.Title, tt.title)
			}
			if tt.canonical != "" && p.CanonicalURL != tt.canonical {
				t.Errorf("CanonicalURL %q, want %q", p.CanonicalURL, tt.canonical)
			}
			if !tt.date.IsZero() && !sameDay(p.Date, tt.date) {
				t.Errorf("Date %v, want %v", p.Date, tt.date)
			}
			if tt.site != "" && p.SourceName != tt.site {
				t.Errorf("SourceName %q, want %q", p.SourceName, tt.site)
			}
			for _, a := range tt.absent {
				if strings.Contains(p.Text, a) {
					t.Errorf("text keeps %q:\n%s", a, p.Text)
				}
			}
		})
	}
}

func sameDay(a, b time.Time) bool {
	return a.UTC().Format("2006-01-02") == b.UTC().Format("2006-01-02")
}

func TestExtractHTML_Charset(t *testing.T) {
	// Latin-1 bytes declared in the Content-Type only.
	body := append([]byte("<html><head><title>Caf"), 0xe9)
	body = append(body, []byte(" exports rise</title></head><body><article><p>"+strings.Repeat("Coffee exports from the region rose again this quarter, traders said. ", 6)+"</p></article></body></html>")...)
	p, err := extractHTML(body, "https://example.com/cafe", "text/html; charset=iso-8859-1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Café exports rise" {
		t.Errorf("Title %q, want the Latin-1 é decoded", p.Title)
	}
}
