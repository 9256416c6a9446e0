package cluster

import (
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
	if cos := docs[0].lead.cosine(docs[1].lead); cos < 0.999 {
		t.Errorf("lead cosine %.3f, want 1", cos)
	}
	for k := range docs[0].title {
		if docs[0].title[k].key != docs[1].title[k].key {
			t.Errorf("title word %d: %q and %q do not align", k, docs[0].title[k].key, docs[1].title[k].key)
		}
	}
}
