package digest_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/internal/memstore"
	"github.com/tradedigest/tradedigest/templates"
)

// TestEngine_Archive_Items archives an edition with the real public
// renderer and checks the stored stories: one per story the page shows, in
// its order, so that Items[i] is the page's "#story-(i+1)"; the headline
// falls back to the lead's title; each outlet once with its first URL.
func TestEngine_Archive_Items(t *testing.T) {
	db := memstore.New()
	r, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 9, 6, 0, 0, 0, time.UTC)
	e := &digest.Engine{Store: db, Renderer: r, Now: func() time.Time { return now }, Config: digest.DefaultConfig()}
	art := func(outlet, url, title string) digest.Article {
		return digest.Article{SourceID: outlet, SourceName: outlet, URL: url, Title: title, Text: title + " in full.", Published: now.Add(-time.Hour)}
	}
	stories := []digest.Story{
		{Key: "a", Topics: []string{"steel"}, Articles: []digest.Article{
			art("Wire", "https://wire.example/steel", "EU steel duty"),
			art("Ledger", "https://ledger.example/steel", "Steel duty rises"),
			art("Wire", "https://wire.example/steel-2", "More on steel"),
		}, Summary: digest.Summary{Headline: "EU raises steel duty to 40%", Text: "Brussels raises the duty.", KeyPoints: []string{"40% duty", "Quotas cut 18%"}}},
		{Key: "b", Articles: []digest.Article{art("Port Daily", "https://port.example/fees", "Port fees cut")},
			Summary: digest.Summary{Text: "Valdemar cuts dwell fees."}},
	}
	e.Archive(t.Context(), stories, "")
	ed, err := db.Edition(t.Context(), "2026-03-09")
	if err != nil {
		t.Fatal(err)
	}
	if len(ed.Items) != 2 || ed.Stories != 2 {
		t.Fatalf("%d items for %d stories shown: %+v", len(ed.Items), ed.Stories, ed.Items)
	}
	a, b := ed.Items[0], ed.Items[1]
	if a.Headline != "EU raises steel duty to 40%" || a.URL != "https://wire.example/steel" || a.Summary != "Brussels raises the duty." ||
		strings.Join(a.KeyPoints, "|") != "40% duty|Quotas cut 18%" || strings.Join(a.Topics, ",") != "steel" {
		t.Errorf("first item %+v", a)
	}
	if len(a.Outlets) != 2 || a.Outlets[0] != (digest.ArchivedOutlet{Name: "Wire", URL: "https://wire.example/steel"}) ||
		a.Outlets[1] != (digest.ArchivedOutlet{Name: "Ledger", URL: "https://ledger.example/steel"}) {
		t.Errorf("first item's outlets %+v, want Wire and Ledger once each", a.Outlets)
	}
	if b.Headline != "Port fees cut" {
		t.Errorf("second item's headline %q, want the lead's title", b.Headline)
	}
	// The page's anchors: story N's section holds item N-1's headline.
	for i, it := range ed.Items {
		id := `id="story-` + strconv.Itoa(i+1) + `"`
		at := strings.Index(ed.HTML, id)
		if at < 0 || !strings.Contains(ed.HTML[at:], it.Headline) || !strings.Contains(ed.HTML, `href="#story-`+strconv.Itoa(i+1)+`"`) {
			t.Errorf("the archive page has no %s with %q", id, it.Headline)
		}
		if next := strings.Index(ed.HTML, `id="story-`+strconv.Itoa(i+2)+`"`); next >= 0 && !strings.Contains(ed.HTML[at:next], it.Headline) {
			t.Errorf("%q is not in the section %s", it.Headline, id)
		}
	}
}
