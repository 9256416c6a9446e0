package summarize

import (
	"slices"
	"testing"
)

func TestUnsupported(t *testing.T) {
	const src = `WASHINGTON - The U.S. and Société Générale agreed on 27 February to cut duties of 25 per cent on 1,234 million dollars of Chinese steel, 4.4 million tonnes a year.
Google chairman Eric Schmidt said the deal, reached in 2018, was "a good start", the second-largest cut since Q1. Prime Minister Alexis Tsipras of Greece welcomed it.`
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
		{"quotation as written", `Eric Schmidt called the deal "a good start".`, nil},
		{"quotation in other case and quotes", `eric schmidt called it “A GOOD START”.`, nil},
		{"misquotation", `Eric Schmidt called the deal "a great start".`, []string{`"a great start"`}},
		{"currency without its amount", "The deal covers £ both of steel.", []string{"£ both"}},
		{"currency sign before a unit", "Duties are given in $US and £m.", nil},
		{"ordinal as written", "The cut is the second-largest since 2018.", nil},
		{"ordinal the source lacks", "Steel duties are cut for the first time.", []string{"first"}},
		{"quarter written Q1 in the source", "First-quarter exports rose.", nil},
		{"office the source never names", "Google president Eric Schmidt said it.", []string{"president"}},
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
		"sales rose at argos and argos.":                                      true,
		"a new pension pension scheme.":                                       true,
		"the lower deck area aims to rest. the lower deck area aims to rest.": false,
		"jurors will hear testimony and arguments. jurors will hear testimony and arguments. jurors will hear testimony and arguments.": true,
		"suppliers accuse the names of the names of 14 firms.":                                                                          true,
		"sales rose year on year, side by side with exports.":                                                                           false,
		"exports and imports rose; exports fell later.":                                                                                 false,
		"the 25% tariff and a 25% quota":                                                                                                false,
	} {
		if got := len(Repetitions(text)) > 0; got != want {
			t.Errorf("Repetitions(%q) = %q, want found=%v", text, Repetitions(text), want)
		}
	}
}

func TestUnsupportedIn(t *testing.T) {
	const de = "Die Europäische Union hat am 27. Februar Zölle von 25 Prozent auf Stahl im Wert von 1,2 Milliarden Euro verhängt. Betroffen sind 4.400 Tonnen aus drei Ländern."
	const fr = "La France a relevé mardi ses droits de douane de 12,5 % sur 3 000 tonnes de blé, a indiqué le ministre Jean Dupont."
	tests := []struct {
		name, src, lang, text string
		want                  []string
	}{
		{"German figures in English", de, "de", "The EU imposed 25% duties on €1.2bn of steel on 27 February, covering 4,400 tonnes from three countries.", nil},
		{"translated names are not checked", de, "de", "Germany's partners in the European Union imposed duties.", nil},
		{"wrong figure in a translation", de, "de", "The EU imposed 30% duties on €1.2bn of steel.", []string{"30%"}},
		{"wrong amount in a translation", de, "de", "The EU imposed duties on €2.1bn of steel.", []string{"€2.1bn"}},
		{"French figures in English", fr, "fr", "France raised its duties of 12.5% on 3,000 tonnes of wheat, minister Jean Dupont said.", nil},
		{"wrong French figure", fr, "fr", "France raised duties of 15% on 3,000 tonnes of wheat.", []string{"15%"}},
		{"German summary of a German article", de, "de", "Die EU verhängt Zölle von 25 Prozent auf Stahl für 1,2 Mrd. Euro.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			textLang := "en"
			if tt.name == "German summary of a German article" {
				textLang = "de"
			}
			got := UnsupportedIn(tt.src, tt.lang, textLang, tt.text)
			if len(got) != len(tt.want) {
				t.Fatalf("UnsupportedIn(%q) = %q, want %q", tt.text, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("UnsupportedIn(%q) = %q, want %q", tt.text, got, tt.want)
				}
			}
		})
	}
}
