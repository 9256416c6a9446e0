package cluster

import (
	"slices"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

func TestCanonicalStem(t *testing.T) {
	for w, want := range map[string]string{
		"duties": "tariff", "levies": "tariff", "tariffs": "tariff", "shipments": "export", "exports": "export",
		"blacklists": "sanction", "pact": "agreement", "inked": "sign", "probe": "investigation", "fell": "fall",
		"steel": "steel", "lift": "lift", "gain": "gain", "timber": "lumber", "pedelecs": "bicycle", "bikes": "bicycle",
		"vessels": "ship", "lawmakers": "lawmaker", "parliament": "lawmaker",
	} {
		if got := canonicalStem(nlp.Stem(w)); got != want {
			t.Errorf("canonicalStem(Stem(%q)) = %q, want %q", w, got, want)
		}
	}
}

// TestSynonymsMeet checks that two titles saying one thing in other words
// meet in the lead vectors and align in the slot test.
func TestSynonymsMeet(t *testing.T) {
	a := art("a", "India bans sugar exports", "", t0)
	b := art("b", "India prohibits sugar shipments", "", t0)
	docs := analyse([]digest.Article{a, b}, 2)
	if cos := docs[0].leadCosine(&docs[1]); cos < 0.999 {
		t.Errorf("lead cosine %.3f, want 1", cos)
	}
	for k := range docs[0].title {
		if docs[0].title[k].key != docs[1].title[k].key {
			t.Errorf("title word %d: %q and %q do not align", k, docs[0].title[k].key, docs[1].title[k].key)
		}
	}
}

func TestMakerGood(t *testing.T) {
	for word, want := range map[string]string{
		"winemakers": "wine", "steelmakers": "steel", "chipmaker": "chip", "coalminers": "coal", "coffeegrowers": "coffee",
		"automakers": "", "lawmakers": "", "makers": "", "wine": "",
	} {
		if got := makerGood(nlp.Stem(word)); got != nlp.Stem(want) && !(want == "" && got == "") {
			t.Errorf("makerGood(%q) = %q, want %q", word, got, want)
		}
	}
	// A report naming the makers and one naming the good share the good.
	docs := analyse([]digest.Article{
		{Title: "China lifts anti-dumping duties on Australian wine", Text: "China will remove its duties on Australian wine."},
		{Title: "Canberra's winemakers regain their biggest market", Text: "Australian winemakers can sell to China again."},
	}, 2)
	good := termID("$"+nlp.Stem("wine"), true)
	for k, d := range docs {
		if !slices.ContainsFunc(d.entities, func(e entry) bool { return e.id == good }) {
			t.Errorf("article %d: no entity for the good wine", k)
		}
	}
}
