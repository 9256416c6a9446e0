package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/tradedigest/tradedigest/digest"
)

// TestServer_StoriesFeed reads /stories.xml over HTTP with a feed
// reader's parser: one entry per archived story, newest edition first and
// in page order, with the lead's link (the archive anchor when the lead has
// no http(s) URL), the outlets linked in the content, hostile text escaped,
// and nothing from an edition archived before stories were kept.
func TestServer_StoriesFeed(t *testing.T) {
	h := newHarness(t, nil)
	hostile := `Steel <script>alert("x")</script> & "quotas"`
	eds := []digest.ArchivedEdition{
		{Date: "2026-03-09", Subject: "Trade digest, 9 March", Stories: 2, CreatedAt: time.Date(2026, 3, 9, 6, 0, 0, 0, time.UTC),
			Items: []digest.ArchivedStory{
				{Headline: hostile, Summary: "Brussels <b>raises</b> the duty.", KeyPoints: []string{"40% duty", "Quotas <i>cut</i>"},
					URL: "https://wire.example/steel?a=1&b=2", Topics: []string{"steel"},
					Outlets: []digest.ArchivedOutlet{
						{Name: "Wire", URL: "https://wire.example/steel?a=1&b=2"},
						{Name: `Ledger "<img src=x onerror=alert(1)>"`, URL: "javascript:alert(1)"},
						{Name: "Local file"},
					}},
				{Headline: "Port fees cut", URL: "javascript:alert(2)", Outlets: []digest.ArchivedOutlet{{Name: "Port Daily", URL: "https://port.example/fees"}}},
			}},
		{Date: "2026-03-08", Subject: "Trade digest, 8 March", Stories: 1, CreatedAt: time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC),
			Items: []digest.ArchivedStory{{Headline: "Rice export ban lifted", URL: "https://rice.example/ban"}}},
		// Archived before the stories were kept.
		{Date: "2026-03-07", Subject: "Trade digest, 7 March", HTML: "<p>Seventh</p>", Stories: 4, CreatedAt: time.Date(2026, 3, 7, 6, 0, 0, 0, time.UTC)},
	}
	for _, e := range eds {
		if err := h.store.SaveEdition(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	raw := h.do("GET", "/stories.xml", nil)
	wantStatus(t, raw, http.StatusOK)
	if ct := raw.header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if strings.Contains(raw.body, "<script") || strings.Contains(raw.body, "<img") || strings.Contains(raw.body, "javascript:") {
		t.Errorf("the feed carries live markup or a javascript: URL:\n%s", raw.body)
	}

	feed, err := gofeed.NewParser().ParseURLWithContext(h.ts.URL+"/stories.xml", t.Context())
	if err != nil {
		t.Fatalf("parse the feed over HTTP: %v", err)
	}
	if feed.FeedType != "atom" || len(feed.Items) != 3 {
		t.Fatalf("feed type %q with %d entries, want 3", feed.FeedType, len(feed.Items))
	}
	archive9 := h.ts.URL + "/archive/2026-03-09"
	want := []struct{ title, link, id string }{
		{hostile, "https://wire.example/steel?a=1&b=2", archive9 + "#story-1"},
		{"Port fees cut", archive9 + "#story-2", archive9 + "#story-2"},
		{"Rice export ban lifted", "https://rice.example/ban", h.ts.URL + "/archive/2026-03-08#story-1"},
	}
	for i, w := range want {
		it := feed.Items[i]
		if it.Title != w.title || it.Link != w.link || it.GUID != w.id {
			t.Errorf("entry %d: title %q link %q id %q, want %q %q %q", i, it.Title, it.Link, it.GUID, w.title, w.link, w.id)
		}
	}
	steel := feed.Items[0]
	for _, s := range []string{
		"<p>Brussels &lt;b&gt;raises&lt;/b&gt; the duty.</p>",
		"<li>40% duty</li><li>Quotas &lt;i&gt;cut&lt;/i&gt;</li>",
		`<a href="https://wire.example/steel?a=1&amp;b=2">Wire</a>`,
		"Ledger &#34;&lt;img src=x onerror=alert(1)&gt;&#34;, Local file.",
		`<a href="` + archive9 + `#story-1">In the edition of 2026-03-09</a>`,
	} {
		if !strings.Contains(steel.Content, s) {
			t.Errorf("first entry's content lacks %s:\n%s", s, steel.Content)
		}
	}
	if strings.Join(steel.Categories, ",") != "steel" || steel.Updated != "2026-03-09T06:00:00Z" {
		t.Errorf("first entry: categories %v updated %q", steel.Categories, steel.Updated)
	}
	if strings.Contains(steel.Content, "javascript:") || strings.Contains(feed.Items[1].Content, "javascript:") {
		t.Error("a javascript: URL was linked")
	}
	if feed.Updated != "2026-03-09T06:00:00Z" {
		t.Errorf("feed updated %q", feed.Updated)
	}

	// The archive offers the feed and every page's head announces it.
	r := h.do("GET", "/archive", nil)
	wantBody(t, r, `<a href="/stories.xml">Atom feed of the stories</a>`,
		`<link rel="alternate" type="application/atom+xml" href="/stories.xml" title="Stories">`)
}

// TestServer_StoriesFeed_Bounds: the feed holds the stories of the last
// seven editions and at most 100 entries, the newest.
func TestServer_StoriesFeed_Bounds(t *testing.T) {
	h := newHarness(t, nil)
	items := func(date string, n int) []digest.ArchivedStory {
		out := make([]digest.ArchivedStory, n)
		for i := range out {
			out[i] = digest.ArchivedStory{Headline: fmt.Sprintf("%s story %d", date, i+1)}
		}
		return out
	}
	save := func(date string, n int) {
		t.Helper()
		if err := h.store.SaveEdition(t.Context(), digest.ArchivedEdition{Date: date, Subject: date, Stories: n, Items: items(date, n)}); err != nil {
			t.Fatal(err)
		}
	}
	for d := 1; d <= 9; d++ {
		save(fmt.Sprintf("2026-03-%02d", d), 3)
	}
	feed, err := gofeed.NewParser().ParseURLWithContext(h.ts.URL+"/stories.xml", t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 21 || feed.Items[0].Title != "2026-03-09 story 1" || feed.Items[20].Title != "2026-03-03 story 3" {
		t.Fatalf("%d entries, first %q: want the 21 stories of 3-9 March", len(feed.Items), feed.Items[0].Title)
	}

	save("2026-03-10", 90)
	feed, err = gofeed.NewParser().ParseURLWithContext(h.ts.URL+"/stories.xml", t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 100 || feed.Items[0].Title != "2026-03-10 story 1" || feed.Items[99].Title != "2026-03-06 story 1" {
		t.Fatalf("%d entries from %q to %q: want 100, the newest", len(feed.Items), feed.Items[0].Title, feed.Items[len(feed.Items)-1].Title)
	}
}
