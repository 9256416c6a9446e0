package cluster

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

func TestDescriptions(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"The Danish carrier said on Monday", []string{"%@dk/carrier"}},
		{"Union at Korean chipmaker downs tools", []string{"%@kr/chip"}},
		{"Union at South Korean memory chipmaker downs tools", []string{"%@kr/chip"}},
		{"Europe's biggest automaker plans cuts", []string{"%@eu/auto"}},
		{"The Wolfsburg-based group intends to shut sites", []string{"%wolfsburg/any"}},
		{"Riyadh-led alliance keeps barrels off the market", []string{"%led@sa/bloc"}},
		{"a US oil major said", []string{"%@us/oil"}},
		{"Chinese carmakers cut prices", nil},         // plural: no one actor
		{"Copenhagen-based Maersk said", nil},         // a name, not a description
		{"German exports of cars to China fell", nil}, // no noun of a business
		{"the German. Carmaker output fell", nil},     // not across sentences
	}
	for _, tc := range tests {
		got := descriptions(nil, canonicalNames(nlp.Tokens(tc.text)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("descriptions(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestCanonicalActors(t *testing.T) {
	word := func(text string) string { // the first actor's key
		for _, tok := range canonicalNames(nlp.Tokens(text)) {
			if tok.Word[0] == '&' {
				return tok.Word
			}
		}
		return ""
	}
	tests := []struct{ text, want string }{
		{"IG Metall vows to fight VW closure plans", "&volkswagen"},
		{"Volkswagen to close three German plants", "&volkswagen"},
		{"A.P. Moller-Maersk will return", "&maersk"},
		{"Saudi Aramco raised prices", "&aramco"},
		{"Anglo American rejects bid", "&angloamerican"},
		{"Hmm, said the analyst", ""},     // capitals only as written
		{"a shell company in Panama", ""}, // lower case: a word
		{"Shell to sell Nigerian assets", "&shell"},
	}
	for _, tc := range tests {
		if got := word(tc.text); got != tc.want {
			t.Errorf("canonicalActors(%q): actor %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestGazetteer_Overlap checks which articles share a descriptor key: a
// description and the name of an actor it fits do; two descriptions, two
// actors of one country and kind, and a description and an actor it does
// not fit do not.
func TestGazetteer_Overlap(t *testing.T) {
	texts := map[string]string{
		"vw":      "Volkswagen said on Tuesday it would cut costs.",
		"bmw":     "BMW said on Tuesday it would cut costs.",
		"desc":    "The German carmaker said on Tuesday it would cut costs.",
		"desc2":   "The German carmaker said on Tuesday it would raise prices.",
		"maersk":  "Maersk said on Tuesday it would cut costs.",
		"dkchip":  "The Danish chipmaker said on Tuesday it would cut costs.",
		"hapag":   "The Hamburg-based carrier said on Tuesday it would cut costs.",
		"hapagnm": "Hapag-Lloyd said on Tuesday it would cut costs.",
	}
	var arts []digest.Article
	idx := map[string]int{}
	for k, text := range texts {
		idx[k] = len(arts)
		arts = append(arts, art(k, "", text, t0))
	}
	docs := analyse(arts, 2)
	// descriptorShared reports whether the descriptor keys add a shared
	// entity to the pair's overlap.
	descriptorShared := func(a, b string) bool {
		strip := func(es []entry) []entry {
			return slices.DeleteFunc(slices.Clone(es), func(e entry) bool { return e.descr || (e.alias && e.head && !e.descr && isDescriptorID(e.id)) })
		}
		da, db := docs[idx[a]].entities, docs[idx[b]].entities
		all, _ := entityOverlap(da, db, docs[0].tab)
		without, _ := entityOverlap(strip(da), strip(db), docs[0].tab)
		return all > without
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{"vw", "desc", true},
		{"desc", "bmw", true}, // the description fits BMW as well
		{"maersk", "hapag", false},
		{"hapagnm", "hapag", true},
		{"desc", "desc2", false},    // two descriptions may be of two carmakers
		{"vw", "bmw", false},        // two German carmakers
		{"maersk", "dkchip", false}, // a Danish actor of another kind
	}
	for _, tc := range tests {
		if got := descriptorShared(tc.a, tc.b); got != tc.want {
			t.Errorf("%s ~ %s: descriptor shared %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// isDescriptorID reports whether id is the key of a description of some
// actor of the gazetteer.
func isDescriptorID(id uint64) bool {
	for key := range gazetteer.Get().actors {
		found := false
		actorDescriptors(key, func(k string) { found = found || termID(k, true) == id })
		if found {
			return true
		}
	}
	return false
}

// TestClusterer_Gazetteer checks that a report that names an actor and one
// that only describes it are one story (the pairs that must not meet are
// TestGazetteer_Overlap's).
func TestClusterer_Gazetteer(t *testing.T) {
	c := New(Config{})
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	tests := []struct {
		name     string
		articles []digest.Article
		want     int
	}{
		{"description meets name", []digest.Article{
			art("a", "Maersk halts Red Sea bookings", "Maersk has stopped accepting bookings for cargo through the Red Sea, citing soaring war-risk insurance premiums after the attacks on Tuesday.", at(0)),
			art("b", "Danish carrier pauses Suez bookings", "The Danish carrier will halt voyages through the Suez route until further notice, a spokesperson said, as insurers raised premiums after the attacks.", at(2)),
		}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stories, err := c.Cluster(context.Background(), tc.articles)
			if err != nil {
				t.Fatal(err)
			}
			if len(stories) != tc.want {
				t.Errorf("%d stories, want %d: %v", len(stories), tc.want, groups(stories))
			}
		})
	}
}
