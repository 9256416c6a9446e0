package cluster

import (
	"slices"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

func TestAcronymKey(t *testing.T) {
	for _, tc := range []struct{ word, want string }{
		{"OFAC", "=ofac"},
		{"BoE", "=boe"},
		{"PBoC", "=pboc"},
		{"US", ""}, // a place keeps its place code
		{"Fed", ""},
		{"A", ""},
		{"IEEPAXYZ", ""}, // too long for an acronym
		{"G7", ""},
	} {
		toks := canonicalPlaces(nlp.Tokens("Sanctions by " + tc.word + " today"))
		if got := acronymKey(toks[2]); got != tc.want {
			t.Errorf("acronymKey(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestAliasKeys(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []alias
	}{
		{"Sanctions by the Office of Foreign Assets Control apply.", []alias{{"=ofac", true}, {"=oofac", true}}},
		{"The Bank of England held rates.", []alias{{"=boe", true}}},
		{"The European Central Bank cut rates.", []alias{{"=ecb", true}}},
		{"Rates at Threadneedle Street held.", []alias{{"=boe", false}}},
		{"Tim Morrison testified.", nil},             // two initials meet by chance
		{"It rose in Shandong. Brent fell 1%.", nil}, // a run stops at a sentence
		{"Talks began on Monday Geneva time.", nil},  // calendar words are no name
	} {
		got := aliasKeys(nil, canonicalPlaces(nlp.Tokens(tc.text)))
		if !slices.Equal(got, tc.want) {
			t.Errorf("aliasKeys(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestAliasesMeet checks that an acronym meets the name it stands for and a
// nickname the name of its body, and that two articles that spell out one
// name share its words only once.
func TestAliasesMeet(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       int // shared names and figures
	}{
		{"acronym", "Refiners were added to the list kept by OFAC on Tuesday.",
			"Refiners were added to a list kept by the Office of Foreign Assets Control.", 1},
		{"nickname", "Rates were left unchanged by the Bank of England.",
			"Rates were left unchanged at Threadneedle Street.", 1},
		{"same name", "A spokesman for the Ministry of Commerce spoke.",
			"The Ministry of Commerce said the ban applied.", 2}, // ministry, commerce: not =moc as well
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs := analyse([]digest.Article{{Title: "One", Text: tc.a}, {Title: "Two", Text: tc.b}}, 2)
			if shared, _ := entityOverlap(docs[0].entities, docs[1].entities, docs[0].tab); shared != tc.want {
				t.Errorf("shared %d names, want %d", shared, tc.want)
			}
		})
	}
}

// TestFiguresAndOpenersMeet checks that one figure written two ways is one
// shared figure, and that a name opening a sentence meets the name another
// article writes, while two sentences that open with one word do not.
func TestFiguresAndOpenersMeet(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       int // shared names and figures
	}{
		{"thousands", "the company will cut 15,000 jobs.", "the company will shed 15k staff.", 1},
		{"billions", "the fine was €1.84bn in all.", "the fine came to 1.84 billion euros.", 1},
		{"millions", "output cuts of 2.2 million barrels a day stay.", "cuts of 2.2m b/d stay.", 1},
		{"one figure, not its neighbour", "the fine was €1.84bn in all.", "the fine came to 1.8 billion euros.", 0},
		{"opener meets a name", "workers at Samsung Electronics went on strike.", "Samsung offered more pay.", 1},
		{"openers do not meet", "Shares fell on the news.", "Shares rose after the report.", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs := analyse([]digest.Article{{Title: "one", Text: tc.a}, {Title: "two", Text: tc.b}}, 2)
			if shared, _ := entityOverlap(docs[0].entities, docs[1].entities, docs[0].tab); shared != tc.want {
				t.Errorf("shared %d names and figures, want %d", shared, tc.want)
			}
		})
	}
}

// TestCanonicalPlaces checks the place codes of names: a seat of
// government stands for its country as a capital does ("Judges void White
// House levies" is about US tariffs), demonyms meet their countries, a
// trade bloc stands for its region (Mercosur for South America), and names
// that contain another place's name are not that place.
func TestCanonicalPlaces(t *testing.T) {
	for text, want := range map[string][]string{
		"Judges void White House levies":        {"@us"},
		"Downing Street rejects the deal":       {"@gb"},
		"Elysee backs the levy":                 {"@fr"},
		"South Korean chipmakers gain":          {"@kr"},
		"Sino-US ties sour":                     {"@cn", "@us"},
		"Zambian copper output falls in Lusaka": {"@zm", "@zm"},
		"Europe's carbon levy":                  {"@eu"},
		"Latin American exports rise":           {"@latam"}, // not the US
		"EU-Mercosur deal faces French vote":    {"@eu", "@latam", "@fr"},
		"Rain in New Mexico":                    {"@us-nm"}, // not Mexico
		"Papua New Guinea mine reopens":         {"@pg"},    // not Guinea
		"DR Congo cobalt quota":                 {"@cd"},
		"The U.S. and China":                    {"@us", "@cn"},
	} {
		var codes []string
		for _, tok := range canonicalPlaces(nlp.Tokens(text)) {
			if tok.Word[0] == '@' {
				codes = append(codes, tok.Word)
			}
		}
		if !slices.Equal(codes, want) {
			t.Errorf("%q: places %v, want %v", text, codes, want)
		}
	}
}
