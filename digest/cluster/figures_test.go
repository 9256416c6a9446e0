package cluster

import (
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// TestDistinctive checks which figures count for shareFigure.
func TestDistinctive(t *testing.T) {
	tests := []struct {
		word, next string
		want       bool
	}{
		{"2.2", "million", true},
		{"2.2m", "", true},
		{"15000", "", true}, // "15,000" as the tokenizer writes it
		{"15k", "", true},
		{"140", "", true},
		{"41.2%", "", true},
		{"20.6", "percent", true},
		{"25%", "", false},
		{"2.5%", "", false},
		{"4000", "", false},
		{"10bn", "", false},
		{"36", "", false},
		{"19", "", false},
		{"2026", "", false},
		{"20th", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.word+" "+tt.next, func(t *testing.T) {
			f, ok := parseFigure(tt.word, tt.next)
			if !ok {
				t.Fatalf("%q is no figure", tt.word)
			}
			if got := distinctive(f); got != tt.want {
				t.Errorf("distinctive(%+v) = %v, want %v", f, got, tt.want)
			}
		})
	}
}

// TestShareFigure checks that a distinctive figure meets its other
// writings and a common one meets nothing.
func TestShareFigure(t *testing.T) {
	docsOf := func(a, b digest.Article) (*doc, *doc) {
		docs := analyse([]digest.Article{a, b}, 2)
		return &docs[0], &docs[1]
	}
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"one quantity written two ways", "The group will keep 2.2 million barrels per day of cuts.", "The restraint, 2.2m b/d, stays.", true},
		{"thousands and k", "Intel will cut more than 15,000 jobs.", "Headcount shrinks by roughly 15k.", true},
		{"a common tariff rate", "The duty rises to 25% on steel.", "Cars face a 25% levy.", false},
		{"other figures", "Exports rose 5.8% to $97bn.", "Output fell 3.1% to 770,000 tonnes.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := docsOf(digest.Article{Title: "A", Text: tt.a}, digest.Article{Title: "B", Text: tt.b})
			if got := shareFigure(a, b); got != tt.want {
				t.Errorf("shareFigure = %v, want %v (figures %v and %v)", got, tt.want, a.figures(), b.figures())
			}
		})
	}
}
