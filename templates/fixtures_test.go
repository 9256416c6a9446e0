package templates

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The stories below are invented for these tests.

var fixtureDay = time.Date(2026, 11, 27, 6, 30, 0, 0, time.UTC)

func article(source, url, title string, published time.Time) digest.Article {
	return digest.Article{SourceName: source, URL: url, Title: title, Published: published}
}

// fixtureEdition is a personal edition with the features the templates
// handle: several outlets, key points, an LLM and an extractive summary, a
// local file without URL, a javascript: link, a lead and every link.
func fixtureEdition() digest.Edition {
	return digest.Edition{
		Date:        "2026-11-27",
		Recipient:   digest.Subscriber{ID: 7, Email: "ana@example.com", Name: "Ana Ribeiro", TimeZone: "Europe/Lisbon"},
		GeneratedAt: fixtureDay,
		Since:       fixtureDay.Add(-24 * time.Hour),
		More:        2,
		Lead: "Tariff diplomacy dominated the day, with a signing date for the long-negotiated " +
			"schedule and a port cutting its fees to win back transhipment traffic.",
		UnsubscribeURL:    "https://digest.example.com/unsubscribe?t=tok-ana",
		UnsubscribeMailto: "mailto:unsubscribe@digest.example.com?subject=unsubscribe",
		PreferencesURL:    "https://digest.example.com/preferences?t=pref-ana",
		ArchiveURL:        "https://digest.example.com/archive/2026-11-27",
		Stories: []digest.Story{
			{
				Articles: []digest.Article{
					article("Example Trade Wire", "https://wire.example.com/2026/11/tariff-schedule-signing",
						"Ministers set date for tariff schedule signing", fixtureDay.Add(-3*time.Hour)),
					article("Harbour Ledger", "https://ledger.example.org/news/tariff-signing", "Signing date agreed", fixtureDay.Add(-2*time.Hour)),
					article("Customs Weekly", "https://customs.example.net/a/991", "Tariff deal to be signed", fixtureDay.Add(-time.Hour)),
					article("Harbour Ledger", "https://ledger.example.org/news/tariff-signing-2", "Update", fixtureDay),
				},
				Summary: digest.Summary{
					Backend:  "openai",
					Headline: "Ministers of the Northern Trade Area set 14 January for tariff-schedule signing",
					Text: "Trade ministers of the five-member Northern Trade Area agreed to sign the revised " +
						"tariff schedule on 14 January, ending eighteen months of talks over agricultural quotas. " +
						"The schedule lowers duties on 1,240 tariff lines over six years.",
					KeyPoints: []string{"Signing set for 14 January in Tallinn", "Duties fall on 1,240 tariff lines over six years", "Dairy quotas stay outside the deal"},
				},
			},
			{
				Articles: []digest.Article{
					article("Port Economics Daily", "https://ports.example.com/valdemar-dwell-fees?utm_x=1&ref=2",
						"Port of Valdemar cuts container dwell fees by 15% from January", fixtureDay.Add(-5*time.Hour)),
				},
				Summary: digest.Summary{
					Backend: "extractive",
					Text: "The Port of Valdemar will cut container dwell fees by 15% from 1 January. " +
						"The authority said transhipment volumes fell 9% this year as carriers moved calls to rival hubs.",
				},
			},
			{
				Articles: []digest.Article{
					{SourceName: "", Title: "Quarterly steel quota allocations published", Published: fixtureDay.Add(-7 * time.Hour), Language: "de"},
				},
				Summary: digest.Summary{
					Backend: "stub",
					Text: "The trade ministry published steel import quota allocations for the first quarter.\n\n" +
						"Flat products receive 412,000 tonnes, eight per cent less than a year earlier.",
				},
			},
			{
				Articles: []digest.Article{
					article("Suspicious Outlet", "javascript:alert(1)", "Exporters seek faster VAT refunds", fixtureDay.Add(-4*time.Hour)),
					article("Freight Notes", "https://freight.example.com/vat-refunds", "VAT refunds", fixtureDay.Add(-4*time.Hour)),
				},
				Summary: digest.Summary{
					Backend: "openai", Fallback: true,
					Text: "An exporters' association asked the tax office to pay VAT refunds within 30 days instead of 90.",
				},
			},
		},
	}
}

// longEdition returns n stories with long summaries and key points.
func longEdition(n int) digest.Edition {
	ed := fixtureEdition()
	ed.Stories = nil
	ed.More = 0
	text := strings.Repeat("Customs brokers reported longer clearance times at inland depots this week. ", 18)
	for i := range n {
		ed.Stories = append(ed.Stories, digest.Story{
			Articles: []digest.Article{
				article("Example Trade Wire", fmt.Sprintf("https://wire.example.com/story/%d", i), fmt.Sprintf("Clearance delays at depot %d", i), fixtureDay.Add(-time.Duration(i)*time.Minute)),
				article("Customs Weekly", fmt.Sprintf("https://customs.example.net/story/%d", i), "Delays", fixtureDay),
			},
			Summary: digest.Summary{
				Backend: "extractive", Text: text,
				KeyPoints: []string{"Clearance takes up to four days", "Brokers blame staff shortages"},
			},
		})
	}
	return ed
}

func newRenderer(tb testing.TB, opts Options) *Renderer {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixtureDay }
	}
	r, err := New(opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return r
}

func render(tb testing.TB, r *Renderer, ed digest.Edition) digest.Message {
	tb.Helper()
	msg, err := r.Render(ed)
	if err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return msg
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d (run go test ./templates -update if intended):\n got: %q\nwant: %q", path, i+1, g, w)
		}
	}
}

// htmlFacts walks a rendered HTML part and collects what the safety
// invariants are about.
type htmlFacts struct {
	hrefs    []string
	ids      map[string]bool // id and <a name> targets
	scripts  int             // <script>, <iframe>, <object>, <embed>, <img>, <link>, <style>, <form> elements
	handlers []string
	text     string
}

// internal reports whether href is a link from the contents list to a
// story of the same message: "#story-N", with that target present.
func (f htmlFacts) internal(href string) bool {
	id, ok := strings.CutPrefix(href, "#story-")
	if !ok || id == "" || strings.Trim(id, "0123456789") != "" {
		return false
	}
	return f.ids["story-"+id]
}

func parseHTML(tb testing.TB, s string) htmlFacts {
	tb.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		tb.Fatalf("parse HTML: %v", err)
	}
	f := htmlFacts{ids: map[string]bool{}}
	var text strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.ElementNode:
			switch n.Data {
			case "script", "iframe", "object", "embed", "img", "link", "style", "form", "svg", "math", "base":
				f.scripts++
			}
			for _, a := range n.Attr {
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") {
					f.handlers = append(f.handlers, k)
				}
				if k == "href" || k == "src" || k == "action" || k == "background" {
					f.hrefs = append(f.hrefs, a.Val)
				}
				if k == "id" || k == "name" && n.Data == "a" {
					f.ids[a.Val] = true
				}
			}
		case html.TextNode:
			text.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	f.text = text.String()
	return f
}

// checkSafe asserts the invariants every rendered message keeps, whatever
// the input.
func checkSafe(tb testing.TB, msg digest.Message, maxBytes int) {
	tb.Helper()
	f := parseHTML(tb, msg.HTML)
	if f.scripts != 0 {
		tb.Errorf("HTML has %d active or external elements", f.scripts)
	}
	if len(f.handlers) != 0 {
		tb.Errorf("HTML has event handler attributes %v", f.handlers)
	}
	for _, h := range f.hrefs {
		if !strings.HasPrefix(h, "https://") && !strings.HasPrefix(h, "http://") && !strings.HasPrefix(h, "mailto:") && !f.internal(h) {
			tb.Errorf("HTML links to %q", h)
		}
	}
	// html/template's replacement for a value it refused: our own checks
	// should have dropped it first.
	if strings.Contains(msg.HTML, "ZgotmplZ") {
		tb.Errorf("HTML contains a value html/template refused")
	}
	if strings.Contains(strings.ToLower(msg.HTML), "<script") {
		tb.Errorf("HTML contains <script")
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		tb.Errorf("subject has a line break: %q", msg.Subject)
	}
	for _, r := range msg.Text {
		if r != '\n' && r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			tb.Errorf("text part has control character %U", r)
			break
		}
	}
	if n := qpLen(tb, msg.HTML) + qpLen(tb, msg.Text); n > maxBytes {
		tb.Errorf("message is %d bytes as sent, over the %d limit", n, maxBytes)
	}
}
