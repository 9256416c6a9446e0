package nlp

import (
	"regexp"
	"strings"
	"testing"
)

// patternsCases are patterns whose literals fold (ſ, K, ü, ß), hide in
// alternations, repeats and classes, or are missing (always run).
var patternsCases = []string{
	`(?i)\bsubscribe (now|today)\b`,
	`(?i)^\W*(abonniere|spende)\b`,
	`\b([Aa]bonnieren|[Ss]penden) Sie\b`,
	`(?i)kostenlos\b`,
	`(?i)(grüße|straße)+`,
	`(?i)(ab){2,}c`,
	`(?i)x?[0-9]+ free articles?`,
	`^\d+$`,
}

// TestPatterns_MatchString: a Patterns answers as the alternation of its
// patterns does, whichever case or fold of a literal the text holds.
func TestPatterns_MatchString(t *testing.T) {
	alt := regexp.MustCompile("(?:" + strings.Join(patternsCases, ")|(?:") + ")")
	p := NewPatterns(patternsCases)
	for _, c := range []struct {
		text string
		want bool
	}{
		{"Subscribe NOW for more.", true},
		{"Subſcribe today", true}, // the long s folds to s
		{"Read it on \u212aostenlos terms.", true},
		{"  Spende jetzt!", true},
		{"Abonnieren Sie uns", true},
		{"abonnieren sie uns", false},
		{"GRÜSSE", false},
		{"GRÜßE aus Berlin", true},
		{"ABABc", true},
		{"abc", false},
		{"You have 3 Free Articles left", true},
		{"12345", true},
		{"Netflix gained 9 million subscribers.", false},
		{"\xffsubscribe today\xfe", true},
	} {
		if got := p.MatchString(c.text); got != c.want || got != alt.MatchString(c.text) {
			t.Errorf("MatchString(%q) = %v, want %v (the alternation: %v)", c.text, got, c.want, alt.MatchString(c.text))
		}
	}
}

// FuzzPatterns: a Patterns and the alternation of its patterns agree on
// any text.
func FuzzPatterns(f *testing.F) {
	for _, s := range []string{"Subscribe now", "Spenden Sie", "ſubſcribe today", "\u212aOSTENLOS", "abababc", "straße"} {
		f.Add(s)
	}
	alt := regexp.MustCompile("(?:" + strings.Join(patternsCases, ")|(?:") + ")")
	p := NewPatterns(patternsCases)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := p.MatchString(s), alt.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, the alternation %v", s, got, want)
		}
	})
}
