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
		"walkout": "strike", "quits": "resign", "crude": "oil", "unveiled": "announce", "slumped": "fall",
		"prolongs": "extend", "postponed": "delay", "deferred": "delay", "restrictions": "curb", "restraint": "curb",
	} {
		if got, wantC := canonical(w, nlp.Stem(w)), canonical(want, nlp.Stem(want)); got != wantC {
			t.Errorf("canonical(%q) = %q, want %q's %q", w, got, want, wantC)
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
		if docs[0].titleKeys[k] != docs[1].titleKeys[k] {
			t.Errorf("title word %d: %q and %q do not align", k, docs[0].titleKeys[k], docs[1].titleKeys[k])
		}
	}
}

// TestNormalStem checks that the inflections nlp.Stem leaves apart meet,
// and that words a silent "e" tells apart stay apart.
func TestNormalStem(t *testing.T) {
	norm := func(w string) string { return normalStem(w, nlp.Stem(w)) }
	for _, same := range [][]string{
		{"raise", "raises", "raised", "raising"},
		{"impose", "imposes", "imposed", "imposing"},
		{"trade", "trades", "traded", "trading"},
		{"vote", "votes", "voted", "voting"},
		{"rate", "rates", "rated"},
		{"close", "closes", "closed", "closing"},
		{"relate", "related", "relating"},
		{"ship", "ships", "shipped", "shipping"},
		{"export", "exports", "exported", "exporting"},
		{"agree", "agrees", "agreed", "agreeing"},
		{"exceed", "exceeds", "exceeded", "exceeding"},
	} {
		for _, w := range same[1:] {
			if norm(w) != norm(same[0]) {
				t.Errorf("normalStem(%q) = %q, normalStem(%q) = %q: want one", w, norm(w), same[0], norm(same[0]))
			}
		}
	}
	for _, apart := range [][2]string{{"plane", "plan"}, {"hope", "hopping"}, {"rate", "rat"}, {"tone", "ton"}} {
		if norm(apart[0]) == norm(apart[1]) {
			t.Errorf("normalStem(%q) = normalStem(%q) = %q: want apart", apart[0], apart[1], norm(apart[0]))
		}
	}
	for _, w := range []string{"@cn", "são", "us"} {
		if got := normalStem(w, w); got != w {
			t.Errorf("normalStem(%q) = %q, want it unchanged", w, got)
		}
	}
}

// TestInflectionsMeet checks that two titles in other inflections of one
// verb meet in the lead vectors.
func TestInflectionsMeet(t *testing.T) {
	leadsMeet(t, "Mexico raised footwear tariffs", "Mexico raises footwear tariffs")
}

// leadsMeet fails t unless two articles titled a and b have the same lead
// vector.
func leadsMeet(t *testing.T, a, b string) {
	t.Helper()
	docs := analyse([]digest.Article{art("a", a, "", t0), art("b", b, "", t0)}, 2)
	if cos := docs[0].leadCosine(&docs[1]); cos < 0.999 {
		t.Errorf("%q ~ %q: lead cosine %.3f, want 1", a, b, cos)
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

// TestCompoundsMeet checks that a word of the tables written open or
// hyphenated meets its closed form in the lead vectors and the title
// words, inflected as written, and that words that only spell a
// compound together with a stop word stay apart.
func TestCompoundsMeet(t *testing.T) {
	for _, tt := range [][2]string{
		{"Dockworkers strike at US ports", "Dock workers strike at US ports"},
		{"Carmaker announces layoffs", "Carmaker announces lay-offs"},
		{"China halts soybean purchases", "China halts soy bean purchases"},
		{"Union calls walkout at Ford", "Union calls walk-out at Ford"},
	} {
		docs := analyse([]digest.Article{art("a", tt[0], "", t0), art("b", tt[1], "", t0)}, 2)
		if cos := docs[0].leadCosine(&docs[1]); cos < 0.999 {
			t.Errorf("%q ~ %q: lead cosine %.3f, want 1", tt[0], tt[1], cos)
		}
		if !slices.Equal(docs[0].titleKeys, docs[1].titleKeys) {
			t.Errorf("%q ~ %q: title words %q and %q", tt[0], tt[1], docs[0].titleKeys, docs[1].titleKeys)
		}
	}
	// "for bids" is no "forbids" (a ban), and a sentence's last word does
	// not join the next one's first.
	for _, text := range []string{"The ministry called for bids on the port.", "Workers met at the dock. Workers said no."} {
		toks := nlp.Tokens(text)
		if got := joinCompounds(toks); len(got) != len(toks) {
			t.Errorf("%q: %d tokens joined into %d", text, len(toks), len(got))
		}
	}
}

// TestDerivedStem checks that words one derivational ending apart meet
// (porter.Mild), that step 4's endings keep words apart, and that a word
// whose derived form is a table word's keeps its own stem, so that the
// tables name only their own words.
func TestDerivedStem(t *testing.T) {
	c := func(w string) string { return canonical(w, nlp.Stem(w)) }
	for _, same := range [][]string{
		{"route", "routes", "routed", "routing", "routings"},
		{"reroute", "rerouted", "rerouting"},
		{"national", "nationally"},
		{"operate", "operational"},
		{"hope", "hopeful"},
	} {
		for _, w := range same[1:] {
			if c(w) != c(same[0]) {
				t.Errorf("canonical(%q) = %q, canonical(%q) = %q: want one", w, c(w), same[0], c(same[0]))
			}
		}
	}
	for _, apart := range [][2]string{
		{"important", "import"}, {"customer", "customs"}, // step 4 is left out
		{"closely", "close"}, {"holdings", "hold"}, {"illegally", "illegal"}, {"easily", "ease"}, // table words
	} {
		if c(apart[0]) == c(apart[1]) {
			t.Errorf("canonical(%q) = canonical(%q) = %q: want apart", apart[0], apart[1], c(apart[0]))
		}
	}
	// The tables' own words keep their normal stems.
	for _, w := range []string{"industrial", "disruption", "monetary", "chemical", "dairy", "investigation"} {
		if got, want := c(w), normalStem(w, nlp.Stem(w)); got != want {
			if _, syn := synonyms.Get()[want]; !syn {
				t.Errorf("canonical(%q) = %q, want its normal stem %q", w, got, want)
			}
		}
	}
	// Two titles that differ in such an ending meet in the lead vectors.
	leadsMeet(t, "Maersk resumes Suez Canal routings", "Maersk resumes Suez Canal route")
}
