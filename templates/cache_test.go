package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// The story cache must never change what a reader gets: every edition
// renders the same with and without it, also after the cache has seen the
// stories in other positions, zones and versions.
func TestRenderer_cache(t *testing.T) {
	cached := newRenderer(t, Options{})
	plain := newRenderer(t, Options{CacheBytes: -1})

	tokyo := fixtureEdition()
	tokyo.Recipient.TimeZone = "Asia/Tokyo"
	reordered := fixtureEdition()
	reordered.Stories[0], reordered.Stories[2] = reordered.Stories[2], reordered.Stories[0]
	edited := fixtureEdition()
	edited.Stories[1].Summary.Text = "The Port of Valdemar withdrew the fee cut."
	edited.Stories[0].Articles = edited.Stories[0].Articles[:1]
	edited.Stories[2].Articles[0].Published = edited.Stories[2].Articles[0].Published.Add(time.Hour)
	noSummary := fixtureEdition()
	noSummary.Stories[1].Summary = digest.Summary{}
	noSummary.Stories[1].Articles[0].Text = "Dwell fees at Valdemar fall from January, the port authority said."

	editions := []struct {
		name string
		ed   digest.Edition
	}{
		{"fixture", fixtureEdition()},
		{"tokyo", tokyo},
		{"reordered", reordered},
		{"edited", edited},
		{"no summary", noSummary},
		{"typical20", typicalEdition(20)},
		{"trim200", longEdition(200)},
		{"hostile", hostile{title: "<script>x</script>", summary: "a\r\nb", source: "W", url: "javascript:x"}.edition()},
	}
	// Twice over, so the second round is served from the cache.
	for round := range 2 {
		for _, e := range editions {
			got, want := render(t, cached, e.ed), render(t, plain, e.ed)
			if got.HTML != want.HTML || got.Text != want.Text || got.Subject != want.Subject {
				t.Errorf("round %d, %s: cached render differs from uncached", round, e.name)
			}
		}
	}
	if cached.cache.bytes == 0 || len(cached.cache.frags) == 0 {
		t.Error("cache stayed empty")
	}

	msg := render(t, cached, edited)
	if !strings.Contains(msg.Text, "withdrew the fee cut") || strings.Contains(msg.Text, "Harbour Ledger") {
		t.Error("edited story rendered from a stale cache entry")
	}
	msg = render(t, cached, tokyo)
	if !strings.Contains(msg.Text, "27 Nov 2026, 12:30 JST") {
		t.Error("story dates not in the reader's zone")
	}
}

func TestRenderer_cacheBounded(t *testing.T) {
	const limit = 20_000
	r := newRenderer(t, Options{CacheBytes: limit})
	for i := range 30 {
		ed := longEdition(5)
		for j := range ed.Stories {
			ed.Stories[j].Summary.Headline = strings.Repeat("x", i*5+j+1)
		}
		render(t, r, ed)
		if r.cache.bytes > limit {
			t.Fatalf("cache holds %d bytes, over %d", r.cache.bytes, limit)
		}
	}
}
