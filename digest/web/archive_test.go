package web

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/tradedigest/tradedigest/digest"
)

func addEditions(h *harness) []digest.ArchivedEdition {
	eds := []digest.ArchivedEdition{
		{Date: "2026-03-08", Subject: "Trade digest, 8 March", HTML: "<html><body><p style=\"color:#333\">Eighth</p></body></html>", Text: "Eighth edition", Stories: 3, CreatedAt: time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC)},
		{Date: "2026-03-09", Subject: "Trade digest, 9 March & <more>", HTML: "<html><body>Ninth</body></html>", Text: "Ninth\x00 edition with a control character", Stories: 5, CreatedAt: time.Date(2026, 3, 9, 6, 0, 0, 0, time.UTC)},
		{Date: "2026-03-07", Subject: "Text only", Text: "Seventh <b>edition</b>", CreatedAt: time.Date(2026, 3, 7, 6, 0, 0, 0, time.UTC)},
	}
	for _, e := range eds {
		if err := h.store.SaveEdition(h.t.Context(), e); err != nil {
			h.t.Fatal(err)
		}
	}
	return eds
}

func TestServer_Archive(t *testing.T) {
	h := newHarness(t, nil)
	addEditions(h)
	r := h.do("GET", "/archive", nil)
	wantStatus(t, r, http.StatusOK)
	i9, i8, i7 := strings.Index(r.body, "2026-03-09"), strings.Index(r.body, "2026-03-08"), strings.Index(r.body, "2026-03-07")
	if i9 < 0 || i8 < 0 || i7 < 0 || !(i9 < i8 && i8 < i7) {
		t.Errorf("editions not listed newest first (%d, %d, %d)", i9, i8, i7)
	}
	wantBody(t, r, `href="/archive/2026-03-09"`, "9 March &amp; &lt;more&gt;", "(5 stories)", "(3 stories)",
		`<nav aria-label="Follow the digest">`, `<a href="/feed.xml">`)
	if h.srv.cfg.Mailer != nil && !strings.Contains(r.body, `<a href="/subscribe">Subscribe by email</a>`) {
		t.Error("the archive does not offer sign-up")
	}

	t.Run("count not repeated", func(t *testing.T) {
		for _, e := range []digest.ArchivedEdition{
			{Date: "2026-03-10", Subject: "Trade Digest — Tuesday 10 March 2026: 9 stories", Stories: 9},
			{Date: "2026-03-11", Subject: "Trade Digest — Wednesday 11 March 2026: 1 story", Stories: 1},
		} {
			if err := h.store.SaveEdition(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}
		r := h.do("GET", "/archive", nil)
		if strings.Contains(r.body, "(9 stories)") || strings.Contains(r.body, "(1 stories)") || strings.Contains(r.body, "(1 story)") {
			t.Errorf("story count repeated after a subject that says it:\n%s", r.body)
		}
	})

	t.Run("one edition", func(t *testing.T) {
		r := h.do("GET", "/archive/2026-03-08", nil)
		wantStatus(t, r, http.StatusOK)
		// The stored HTML, opened by a bar to the editions before and
		// after it (2026-03-10 and -11 were added above).
		nav := `<nav aria-label="Editions"`
		if !strings.HasPrefix(r.body, "<html><body>"+nav) || !strings.HasSuffix(r.body, `<p style="color:#333">Eighth</p></body></html>`) {
			t.Errorf("body is not the stored HTML opened by the navigation: %q", r.body)
		}
		wantBody(t, r, `<a href="/archive/2026-03-07" rel="prev">`, `<a href="/archive">All editions</a>`,
			`<a href="/archive/2026-03-09" rel="next">`)
		if strings.Contains(r.body, `"/archive/2026-03-10" rel="next"`) {
			t.Error("next edition is not the nearest newer one")
		}
		if (h.srv.cfg.Mailer != nil) != strings.Contains(r.body, `<a href="/subscribe">Subscribe</a>`) {
			t.Errorf("sign-up link offered %v, mailer configured %v", strings.Contains(r.body, "/subscribe"), h.srv.cfg.Mailer != nil)
		}
		ninth := h.do("GET", "/archive/2026-03-09", nil)
		if !strings.Contains(ninth.body, `"/archive/2026-03-08" rel="prev"`) || !strings.Contains(ninth.body, `"/archive/2026-03-10" rel="next"`) {
			t.Errorf("2026-03-09: want links to 03-08 and 03-10: %q", ninth.body[:min(len(ninth.body), 600)])
		}
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "style-src 'unsafe-inline'") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("archive CSP = %q", csp)
		}
	})
	t.Run("text only", func(t *testing.T) {
		r := h.do("GET", "/archive/2026-03-07", nil)
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "Seventh &lt;b&gt;edition&lt;/b&gt;", `<html lang="en">`)
	})
	for _, tt := range []struct {
		date string
		want int
	}{
		{"2026-03-06", http.StatusNotFound},
		{"2026-02-30", http.StatusBadRequest},
		{"20260308", http.StatusBadRequest},
		{"2026-3-8", http.StatusBadRequest},
		{"..%2f..%2fetc", http.StatusBadRequest},
	} {
		t.Run(tt.date, func(t *testing.T) { wantStatus(t, h.do("GET", "/archive/"+tt.date, nil), tt.want) })
	}
}

func TestServer_Feed(t *testing.T) {
	h := newHarness(t, nil)
	addEditions(h)
	r := h.do("GET", "/feed.xml", nil)
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
		t.Errorf("Content-Type = %q", ct)
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Links   []struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Entries []struct {
			Title   string `xml:"title"`
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Link    struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Summary string `xml:"summary"`
		} `xml:"entry"`
	}
	dec := xml.NewDecoder(strings.NewReader(r.body))
	dec.Strict = true
	if err := dec.Decode(&feed); err != nil {
		t.Fatalf("feed is not valid Atom XML: %v\n%s", err, r.body)
	}
	if feed.Updated != "2026-03-09T06:00:00Z" || !strings.HasPrefix(feed.ID, h.ts.URL) {
		t.Errorf("feed id %q updated %q", feed.ID, feed.Updated)
	}
	if len(feed.Entries) != 3 {
		t.Fatalf("%d entries, want 3", len(feed.Entries))
	}
	want := []string{"2026-03-09", "2026-03-08", "2026-03-07"}
	for i, e := range feed.Entries {
		if e.Link.Href != h.ts.URL+"/archive/"+want[i] || e.ID != e.Link.Href {
			t.Errorf("entry %d link %q id %q", i, e.Link.Href, e.ID)
		}
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry %d updated %q: %v", i, e.Updated, err)
		}
	}
	if feed.Entries[0].Title != "Trade digest, 9 March & <more>" || strings.ContainsRune(feed.Entries[0].Summary, 0) {
		t.Errorf("entry 0 title %q summary %q", feed.Entries[0].Title, feed.Entries[0].Summary)
	}
	for _, l := range feed.Links {
		if !strings.HasPrefix(l.Href, h.ts.URL+"/") {
			t.Errorf("feed link %q is not absolute", l.Href)
		}
	}
}

func TestServer_Archive_Errors(t *testing.T) {
	h := newHarness(t, nil)
	h.store.setFail(errBoom)
	for _, p := range []string{"/archive", "/archive/2026-03-08", "/feed.xml"} {
		r := h.do("GET", p, nil)
		wantStatus(t, r, http.StatusInternalServerError)
		if strings.Contains(r.body, "boom") {
			t.Errorf("%s: store error reached the page", p)
		}
	}
	h = newHarness(t, func(c *Config) { c.Editions = nil })
	for _, p := range []string{"/archive", "/archive/2026-03-08", "/feed.xml"} {
		wantStatus(t, h.do("GET", p, nil), http.StatusNotFound)
	}
}

func TestEditionTime(t *testing.T) {
	at := time.Date(2026, 3, 8, 6, 0, 0, 0, time.FixedZone("CET", 3600))
	if got := editionTime(digest.ArchivedEdition{Date: "2026-03-01", CreatedAt: at}); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("with CreatedAt: %v", got)
	}
	if got := editionTime(digest.ArchivedEdition{Date: "2026-03-01"}); !got.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("without CreatedAt: %v", got)
	}
	if got := xmlSafe("a\x00b\x1bc\td\uFFFEe"); got != "abc\tde" {
		t.Errorf("xmlSafe = %q", got)
	}
	if got := truncateRunes("ééééé", 3); got != "éé…" {
		t.Errorf("truncateRunes = %q", got)
	}
}

// TestServer_Feed_HTMLContent reads /feed.xml over HTTP with a feed
// reader's parser: each edition with HTML carries it as the entry's
// content (the body, no document head), beside the short text summary.
func TestServer_Feed_HTMLContent(t *testing.T) {
	h := newHarness(t, nil)
	addEditions(h)
	feed, err := gofeed.NewParser().ParseURLWithContext(h.ts.URL+"/feed.xml", t.Context())
	if err != nil {
		t.Fatalf("parse the feed over HTTP: %v", err)
	}
	if feed.FeedType != "atom" || len(feed.Items) != 3 {
		t.Fatalf("feed type %q with %d items", feed.FeedType, len(feed.Items))
	}
	byLink := map[string]*gofeed.Item{}
	for _, it := range feed.Items {
		byLink[it.Link] = it
	}
	eighth := byLink[h.ts.URL+"/archive/2026-03-08"]
	if eighth == nil || eighth.Content != `<p style="color:#333">Eighth</p>` {
		t.Fatalf("8 March content: %+v", eighth)
	}
	if eighth.Description != "Eighth edition" {
		t.Errorf("8 March summary %q", eighth.Description)
	}
	if it := byLink[h.ts.URL+"/archive/2026-03-07"]; it == nil || it.Content != "" {
		t.Errorf("an edition without HTML got content: %+v", it)
	}
}
