package feed

import (
	"fmt"
	"strings"
	"testing"
)

// para makes a news paragraph of about 300 characters about topic.
func para(topic string, i int) string {
	return fmt.Sprintf("Paragraph %d on %s: officials said on Tuesday that the new measures would take effect next month, after weeks of talks between the ministries, exporters and the customs authority, and that the rules would be reviewed at the end of the year in the light of trade flows and prices.", i, topic)
}

func paras(topic string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("<p>" + para(topic, i) + "</p>\n")
	}
	return b.String()
}

func shell(head, body string) []byte {
	return []byte(`<!DOCTYPE html><html lang="en"><head>` + head + `</head><body>
<header class="site-header"><nav><a href="/">Home</a> <a href="/business">Business</a> <a href="/world">World</a></nav></header>
` + body + `
<footer><p>© 2026 Example News</p></footer></body></html>`)
}

func TestExtractHTML_StopsAtArticleEnd(t *testing.T) {
	tests := []struct {
		name string
		page []byte
	}{
		{"infinite scroll of <article>s", shell(`<title>Rice quotas tighten - Example News</title><meta property="og:title" content="Rice quotas tighten">`,
			`<main><div class="stream">
<article><h1>Rice quotas tighten</h1>`+paras("rice quotas", 3)+`</article>
<article><h1>Copper prices slide as demand cools</h1>`+paras("copper prices", 5)+`</article>
<article><h1>Port strike enters second week</h1>`+paras("the port strike", 5)+`</article>
</div></main>`)},
		{"next-article container", shell(`<title>Rice quotas tighten</title>`,
			`<main><article><h1>Rice quotas tighten</h1>`+paras("rice quotas", 3)+`</article>
<div class="next-article" data-url="/copper"><h2>Copper prices slide as demand cools</h2>`+paras("copper prices", 5)+`</div></main>`)},
		{"infinite scroll, the requested article not first", shell(`<title>Rice quotas tighten | Example News</title>`,
			`<main><article class="sponsored"><h2>Sponsored: the best trade finance offers of the year</h2>`+paras("trade finance offers", 2)+`</article>
<article><h1>Rice quotas tighten</h1>`+paras("rice quotas", 3)+`</article>
<article><h1>Copper prices slide as demand cools</h1>`+paras("copper prices", 5)+`</article></main>`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := extractHTML(tt.page, "https://example.com/rice", "")
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= 3; i++ {
				if !strings.Contains(p.Text, para("rice quotas", i)) {
					t.Errorf("paragraph %d of the article is missing:\n%s", i, p.Text)
				}
			}
			for _, other := range []string{"copper prices", "the port strike"} {
				if strings.Contains(p.Text, other) {
					t.Errorf("the text runs on into the next article (%s):\n%s", other, p.Text)
				}
			}
		})
	}
}

func TestExtractHTML_DropsCommentsAndTeasers(t *testing.T) {
	page := shell(`<title>Steel safeguard extended</title>`, `<main><article><h1>Steel safeguard extended</h1>`+paras("the steel safeguard", 4)+`
<div class="related-articles"><h3>More from our columnists</h3><ul>
<li><a href="/c1">Why the tariff truce will not last the winter, and what exporters should do now</a></li>
<li><a href="/c2">The quiet return of industrial policy in Europe's capitals this year</a></li>
<li><a href="/c3">Five charts that explain the shipping slump better than any speech</a></li>
</ul></div>
<section id="comments" class="comments-area"><h3>12 comments</h3>
<p class="comment-prompt">Post a comment… Join the conversation: log in or register to comment.</p>
<div class="comment"><p>Reader42: This is a disgrace, the ministry should resign over it.</p></div>
<div class="comment"><p>TradeWatcher: Finally some sense from Brussels on steel.</p></div>
<form class="comment-form"><textarea></textarea><button>Post comment</button></form>
</section>
<aside class="teaser-list"><a href="/t1">Column: the euro's long goodbye to parity</a> <a href="/t2">Column: ports in the age of automation</a></aside>
</article></main>`)
	p, err := extractHTML(page, "https://example.com/steel", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, para("the steel safeguard", 4)) {
		t.Errorf("the article's last paragraph is missing:\n%s", p.Text)
	}
	for _, bad := range []string{"Post a comment", "Join the conversation", "12 comments", "Reader42", "TradeWatcher", "tariff truce", "industrial policy", "euro's long goodbye", "Post comment"} {
		if strings.Contains(p.Text, bad) {
			t.Errorf("text keeps %q:\n%s", bad, p.Text)
		}
	}
}

func TestExtractHTML_KeepsLeadOutsideArticle(t *testing.T) {
	lead := "Die Bundesregierung verschärft die Exportkontrollen für Halbleitertechnik. Betroffen sind vor allem Maschinen, mit denen Chips gefertigt werden."
	body := ""
	for i := 1; i <= 4; i++ {
		body += fmt.Sprintf("<p>Absatz %d: Das Wirtschaftsministerium teilte am Mittwoch in Berlin mit, die neuen Regeln sollten vom kommenden Monat an gelten und nach einem Jahr überprüft werden, nachdem Unternehmen und Verbände ihre Stellungnahmen abgegeben hätten.</p>\n", i)
	}
	for name, header := range map[string]string{
		"lead class":     `<p class="c-article__lead">` + lead + `</p>`,
		"standfirst":     `<div class="standfirst"><p>` + lead + `</p></div>`,
		"German dek":     `<h2 class="article-subtitle">` + lead + `</h2>`,
		"description":    `<p>` + lead + `</p>`,
		"french chapô":   `<p class="chapo">` + lead + `</p>`,
		"spanish bajada": `<p class="bajada">` + lead + `</p>`,
	} {
		t.Run(name, func(t *testing.T) {
			page := []byte(`<!DOCTYPE html><html lang="de"><head><title>Exportkontrollen verschärft</title>
<meta name="description" content="` + lead + `"></head><body>
<header class="article-header"><h1>Exportkontrollen verschärft</h1>` + header + `<p class="byline">Von Anna Beispiel</p></header>
<main><article><div class="article-body">` + body + `</div></article></main></body></html>`)
			p, err := extractHTML(page, "https://example.de/export", "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(p.Text, lead) || !strings.Contains(p.Text, "Absatz 4") {
				t.Errorf("the lead is not the first paragraph:\n%s", p.Text)
			}
			if strings.Count(p.Text, "Betroffen sind") != 1 {
				t.Errorf("the lead appears %d times:\n%s", strings.Count(p.Text, "Betroffen sind"), p.Text)
			}
		})
	}
	// An English dek stays out, as the annotated corpora keep it.
	page := shell(`<title>Chip export controls tightened</title>`, `<header><h1>Chip export controls tightened</h1>
<p class="article-dek">The move targets machines used to make advanced chips, officials said on Wednesday in Berlin.</p></header>
<main><article>`+paras("chip export controls", 3)+`</article></main>`)
	p, err := extractHTML(page, "https://example.com/chips", "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Text, "The move targets") {
		t.Errorf("an English dek was added:\n%s", p.Text)
	}
}
