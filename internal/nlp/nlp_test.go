package nlp

import (
	"slices"
	"strings"
	"testing"
	"unicode"
)

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tariffs", "tariff"}, {"tariff", "tariff"}, {"duties", "duty"}, {"duty", "duty"},
		{"negotiations", "negotiation"}, {"exporting", "export"}, {"exported", "export"}, {"exports", "export"},
		{"shipping", "ship"}, {"ships", "ship"}, {"taxes", "tax"}, {"losses", "loss"}, {"status", "status"},
		{"analysis", "analysis"}, {"gas", "gas"}, {"us", "us"}, {"carried", "carry"}, {"union", "union"},
		{"größe", "größe"}, {"2027", "2027"}, {"", ""},
	}
	for _, tt := range tests {
		if got := Stem(tt.in); got != tt.want {
			t.Errorf("Stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokens(t *testing.T) {
	toks := Tokens(`Turkey's quota fell 18% to 31.2 million tonnes (140,000 t). The EU-Korea deal "won't" change; Helena Marwick said.`)
	var words []string
	for _, tk := range toks {
		words = append(words, tk.Word)
	}
	want := []string{"turkey", "quota", "fell", "18%", "to", "31.2", "million", "tonnes", "140000", "t", "the", "eu", "korea", "deal", "won", "change", "helena", "marwick", "said"}
	if !slices.Equal(words, want) {
		t.Fatalf("words = %q\nwant    %q", words, want)
	}
	caps := map[string]bool{}
	starts := map[string]bool{}
	for _, tk := range toks {
		caps[tk.Word] = tk.Cap
		starts[tk.Word] = tk.SentenceStart
	}
	if caps["turkey"] || !starts["turkey"] {
		t.Error("the first word opens a sentence and is not marked as a name")
	}
	if !caps["eu"] || !caps["korea"] || !caps["helena"] || !caps["marwick"] || caps["quota"] {
		t.Errorf("capitalisation marks wrong: %v", caps)
	}
	if !starts["the"] {
		t.Error("a word after a full stop opens a sentence")
	}
	if toks[0].Surface != "Turkey's" {
		t.Errorf("surface %q", toks[0].Surface)
	}
}

func TestTokensFastPath(t *testing.T) {
	// Words of ASCII letters and digits take a shorter path; they must
	// come out as the general path makes them, token for token.
	for _, s := range []string{
		"eBay iPhone", "Officials in JAPAN said on Monday. The G7 met", "in 2026. 31.2% 140,000 62% 3.5bn 7,",
		"5.", "5,", "5%", "x5.6 A1,2 B% 10.x 10,x", "Korea's don't can’t 5'", "naïve Café Zürich", "abc\ndef!Ghi?jkl",
		"tariffs-rate U.S. E.U. No. 3", "(Reuters) - Apple", "ABC", "a", "9",
	} {
		if got, want := Tokens(s), tokens(s, false); !slices.Equal(got, want) {
			t.Errorf("Tokens(%q) = %+v, want %+v", s, got, want)
		}
	}
	tests := []struct {
		in   string
		want []string
	}{
		{"eBay iPhone", []string{"ebay", "iphone"}},
		{"don't can’t", []string{"don", "can"}},
		{"abc.def abc,def", []string{"abc", "def", "abc", "def"}},
		{"naïve café", []string{"naïve", "café"}},
		{"word", []string{"word"}},
		{"tariffs-rate", []string{"tariffs", "rate"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tk := range Tokens(tt.in) {
			got = append(got, tk.Word)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStems(t *testing.T) {
	if got := Stems("The tariffs on the exports"); !slices.Equal(got, []string{"tariff", "export"}) {
		t.Errorf("Stems = %q", got)
	}
}

func TestIsStopword(t *testing.T) {
	for w, want := range map[string]bool{"the": true, "said": true, "tariff": false, "": false} {
		if IsStopword(w) != want {
			t.Errorf("IsStopword(%q) = %v", w, !want)
		}
	}
}

func FuzzTokens(f *testing.F) {
	f.Add("Turkey's 31.2% of 140,000 t. U.S. \"won't\"")
	f.Add("\xff\xfe'’.,%")
	f.Fuzz(func(t *testing.T, s string) {
		for _, tk := range Tokens(s) {
			if tk.Word == "" || tk.Stem == "" || tk.Surface == "" {
				t.Fatalf("empty token from %q: %+v", s, tk)
			}
			if tk.Stem != Stem(tk.Word) || strings.ContainsFunc(tk.Word, func(r rune) bool {
				return unicode.IsSpace(r) || unicode.ToLower(r) != r || r == '\'' || r == ','
			}) {
				t.Fatalf("token from %q not normalised: %+v", s, tk)
			}
			if !strings.Contains(s, tk.Surface) {
				t.Fatalf("surface %q not in %q", tk.Surface, s)
			}
		}
		if got, want := Tokens(s), tokens(s, false); !slices.Equal(got, want) {
			t.Fatalf("Tokens(%q) = %+v, general path %+v", s, got, want)
		}
		Sentences(s)
	})
}

// TestAppendTokens checks that AppendTokens appends what Tokens returns
// and leaves the tokens before it as they were, also when it reuses an
// array that held other tokens.
func TestAppendTokens(t *testing.T) {
	first, second := "Officials in JAPAN said on Monday.", "Korea's 31.2% rise, naïve Café"
	buf := AppendTokens(nil, first)
	if !slices.Equal(buf, Tokens(first)) {
		t.Fatalf("AppendTokens(nil, %q) = %v, want %v", first, buf, Tokens(first))
	}
	both := AppendTokens(buf, second)
	if want := append(Tokens(first), Tokens(second)...); !slices.Equal(both, want) {
		t.Errorf("AppendTokens(first, %q) = %v, want %v", second, both, want)
	}
	if again := AppendTokens(both[:0], second); !slices.Equal(again, Tokens(second)) {
		t.Errorf("AppendTokens(reused, %q) = %v, want %v", second, again, Tokens(second))
	}
}

// TestIsStopword_Filter checks that IsStopword's filter lets every stop
// word through and answers as the set does for other words.
func TestIsStopword_Filter(t *testing.T) {
	for w := range stopwords.Get() {
		if !IsStopword(w) {
			t.Errorf("IsStopword(%q) = false", w)
		}
	}
	for _, w := range append(strings.Fields("the tariffs thes ourselvesx yourselvez a an it's its' x 1 é ü ß"), "", "\xff") {
		_, want := stopwords.Get()[w]
		if got := IsStopword(w); got != want {
			t.Errorf("IsStopword(%q) = %v, want %v", w, got, want)
		}
	}
}
