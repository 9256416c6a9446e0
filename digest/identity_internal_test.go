package digest

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// TestAppendNormalised_Runs checks appendNormalised, which appends runs
// of lower-case letters and digits whole, against the normalisation
// made of the standard library's pieces, on texts of every kind of byte.
func TestAppendNormalised_Runs(t *testing.T) {
	// Letters and digits lower-cased, runs of anything else one space,
	// none at either end.
	byRune := func(b []byte, text string) []byte {
		folded := strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return ' '
		}, text)
		return append(b, strings.Join(strings.Fields(folded), " ")...)
	}
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "Z", "7", "trade", "Duties ", " ", "\x00", ".", "\n\t", "É", "ü", "—", "\xff", "\x80", "İ", "ǅ"}
	for n := range 3000 {
		var s strings.Builder
		for range n % 40 {
			s.WriteString(pieces[r.IntN(len(pieces))])
		}
		prefix := []byte("x")[:n%2]
		if got, want := appendNormalised(prefix, s.String()), byRune(prefix, s.String()); !bytes.Equal(got, want) {
			t.Fatalf("appendNormalised(%q, %q) = %q, want %q", prefix, s.String(), got, want)
		}
	}
}
