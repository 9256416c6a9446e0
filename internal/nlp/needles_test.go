package nlp

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNeedles_Find: Find and Any agree with strings.Contains, needle by
// needle, on texts built from pieces of the needles (so that they occur,
// overlap and occur cut off), single-byte needles, non-ASCII ones, and a
// needle at the very end of the text.
func TestNeedles_Find(t *testing.T) {
	list := []string{"subscri", "sign up", "@", "#", "(c)", "©", "apóy", " app ", "app", "pp", "a", "all rights reserved", "sesión", "zz"}
	n := NewNeedles(list)
	pieces := []string{"subs", "cri", "sign", " up", "@", "(", "c)", "©", "ap", "óy", " ", "app", "p", "x", "all rights", " reserved", "ses", "ión", "z", "\xc3", "ZZ"}
	rng := rand.New(rand.NewPCG(1, 2))
	texts := []string{"", "z", "zz", "a", "xzz", "subscri", "no needle here", "ends with zz"}
	for range 5000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, text := range texts {
		found := n.Find(text)
		any := false
		for i, sub := range list {
			want := strings.Contains(text, sub)
			any = any || want
			if found.Has(i) != want {
				t.Fatalf("Find(%q): needle %q found %v, strings.Contains says %v", text, sub, found.Has(i), want)
			}
		}
		if got := n.Any(text); got != any {
			t.Fatalf("Any(%q) = %v, want %v", text, got, any)
		}
		if got := found.HasAny([]int{0, 2}); got != (found.Has(0) || found.Has(2)) {
			t.Fatalf("HasAny(%q) = %v", text, got)
		}
	}
	var zero *Needles
	if zero.Any("subscribe") || zero.Find("subscribe") != (NeedleSet{}) {
		t.Error("a nil Needles found something")
	}
}

// TestNeedles_Limits: an empty needle or too many needles are programming
// errors in a constant table.
func TestNeedles_Limits(t *testing.T) {
	for name, list := range map[string][]string{
		"empty":    {"a", ""},
		"too many": make([]string, MaxNeedles+1),
	} {
		t.Run(name, func(t *testing.T) {
			if name == "too many" {
				for i := range list {
					list[i] = "x"
				}
			}
			defer func() {
				if recover() == nil {
					t.Error("NewNeedles did not panic")
				}
			}()
			NewNeedles(list)
		})
	}
}

// TestNeedles_Random: Find and Any agree with strings.Contains for random
// lists of needles over a three-letter alphabet (so that needles share
// prefixes, hold one another and overlap in the text) on random texts.
func TestNeedles_Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	word := func(max int) string {
		b := make([]byte, 1+rng.IntN(max))
		for i := range b {
			b[i] = "abc"[rng.IntN(3)]
		}
		return string(b)
	}
	for range 300 {
		list := make([]string, 1+rng.IntN(40))
		for i := range list {
			list[i] = word(6)
		}
		n := NewNeedles(list)
		for range 100 {
			text := word(40)
			found, any := n.Find(text), false
			for i, sub := range list {
				want := strings.Contains(text, sub)
				any = any || want
				if found.Has(i) != want {
					t.Fatalf("needles %q, Find(%q): %q found %v, strings.Contains says %v", list, text, sub, found.Has(i), want)
				}
			}
			if n.Any(text) != any {
				t.Fatalf("needles %q: Any(%q) = %v, want %v", list, text, !any, any)
			}
		}
	}
}

// TestNeedles_Lower: FindLower and AnyLower find what Find and Any find
// in strings.ToLower of the text, and findMapped with foldRune what Find
// finds in foldString of it, on texts of upper- and lower-case ASCII and
// other letters, letters whose lower case is ASCII (the Kelvin sign, İ),
// or longer or shorter in UTF-8 (Ⱥ, ẞ), and bytes that are not UTF-8.
func TestNeedles_Lower(t *testing.T) {
	list := []string{"subscri", "sign up", "k", "ki", "i̇", "apóy", "ⱥ", "ß", "straße", "\uFFFD", "\uFFFDx", "©", "(c)", "é", "s"}
	n := NewNeedles(list)
	pieces := []string{"SUB", "scri", "Sign", " UP", "\u212A", "İ", "APÓY", "Ⱥ", "ẞ", "STRAẞE", "\xff", "\xe2\x82", "x", "X", "©", "(C)", "É", "ſ", "\uFFFD", " "}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(10) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		if got, want := n.FindLower(text), n.Find(strings.ToLower(text)); got != want {
			t.Fatalf("FindLower(%q) = %v, Find of strings.ToLower %v", text, got, want)
		}
		if got, want := n.AnyLower(text), n.Any(strings.ToLower(text)); got != want {
			t.Fatalf("AnyLower(%q) = %v, Any of strings.ToLower %v", text, got, want)
		}
		if got, want := n.findMapped(text, foldRune), n.Find(foldString(text)); got != want {
			t.Fatalf("findMapped(%q, foldRune) = %v, Find of foldString %v", text, got, want)
		}
	}
	var zero *Needles
	if zero.AnyLower("SUBSCRIBE") || zero.FindLower("SUBSCRIBE") != (NeedleSet{}) {
		t.Error("a nil Needles found something")
	}
}
