package summarize

import (
	"slices"
	"testing"
)

func TestUnsupported(t *testing.T) {
	const src = `WASHINGTON - The U.S. and Société Générale agreed on 27 February to cut duties of 25 per cent on 1,234 million dollars of Chinese steel, 4.4 million tonnes a year.
Google chairman Eric Schmidt said the deal, reached in 2018, was "a good start". Prime Minister Alexis Tsipras of Greece welcomed it.`
	tests := []struct {
		name string
		text string
		want []string // nil: supported
	}{
		{"abbreviation spelled out", "The United States agreed to cut duties.", nil},
		{"per cent as %", "Duties of 25% are cut.", nil},
		{"amount rounded to its precision", "The deal covers $1.2bn of steel.", nil},
		{"amount in words", "The deal covers 1.2 billion dollars of steel.", nil},
		{"diacritics and case", "societe generale and SOCIETE GENERALE signed.", nil},
		{"demonym", "China's steel gets cheaper.", nil},
		{"date either way", "Agreed on February 27, the cut covers 4.4m tonnes.", nil},
		{"sentence-initial word is not a name", "Exporters welcomed the cut.", nil},
		{"title case headline", "US And Société Générale Cut Steel Duties", nil},
		{"lower case", "google chairman eric schmidt welcomed the deal.", nil},
		{"role as written", "Prime Minister Alexis Tsipras welcomed it.", nil},
		{"figure not in the source", "Duties of 30% are cut.", []string{"30%"}},
		{"wrong currency", "The deal covers £1.2bn of steel.", []string{"£1.2bn"}},
		{"wrong rounding", "The deal covers $1.3bn of steel.", []string{"$1.3bn"}},
		{"wrong date", "Agreed on 28 February.", []string{"28 February"}},
		{"wrong year", "The deal was reached in 2019.", []string{"2019"}},
		{"name not in the source", "Angela Merkel welcomed the deal.", []string{"Angela Merkel"}},
		{"country not in the source", "Steel from Japan gets cheaper.", []string{"Japan"}},
		{"lower-case first name swapped", "google chairman joe schmidt welcomed it.", []string{"joe"}},
		{"lower-case place not in the source", "exporters in brazil gain most.", []string{"brazil"}},
		{"role the source does not give", "Greek president Alexis Tsipras welcomed it.", []string{"president Alexis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unsupported(src, tt.text)
			if len(tt.want) == 0 && len(got) == 0 {
				return
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Unsupported(%q) = %q, want it to contain %q", tt.text, got, w)
				}
			}
			if len(tt.want) == 0 {
				t.Errorf("Unsupported(%q) = %q, want nothing", tt.text, got)
			}
		})
	}
}

func TestRepetitions(t *testing.T) {
	for text, want := range map[string]bool{
		"sales rose at argos and argos.":                                       true,
		"a new pension pension scheme.":                                        true,
		"the lower deck area aims to rest. the lower deck area aims to sleep.": true,
		"exports and imports rose; exports fell later.":                        false,
		"the 25% tariff and a 25% quota":                                       false,
	} {
		if got := len(Repetitions(text)) > 0; got != want {
			t.Errorf("Repetitions(%q) = %q, want found=%v", text, Repetitions(text), want)
		}
	}
}
