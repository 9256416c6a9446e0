// Package porter is M. F. Porter's 1980 stemmer (the stemmer of
// ROUGE-1.5.5's -m option) and the measures it is built on, for the
// packages that stem English words or need its tests of a word's shape.
package porter

import "strings"

// Stem returns the stem of a lower-case ASCII word by Porter's algorithm.
// Words of two letters or fewer, and words with anything but a–z, come
// back unchanged.
func Stem(word string) string {
	return stem(word, true)
}

// Mild returns the stem of a lower-case ASCII word by Porter's algorithm
// without its step 4, which drops derivational endings ("-ant", "-er",
// "-ment", "-ion", ...) and so makes "important" "import" and "customer"
// "custom"; steps 1 to 3 and 5 make inflections and the endings that
// rewrite to a shorter one meet ("routing" and "route", "national" and
// "nation"). Words Stem leaves unchanged come back unchanged.
func Mild(word string) string {
	return stem(word, false)
}

func stem(word string, four bool) string {
	if len(word) <= 2 {
		return word
	}
	for i := 0; i < len(word); i++ {
		if word[i] < 'a' || word[i] > 'z' {
			return word
		}
	}
	w := []byte(word)
	w = step1ab(w)
	w = step1c(w)
	w = replaceFirst(w, step2, 0)
	w = replaceFirst(w, step3, 0)
	if four {
		w = step4(w)
	}
	return string(step5(w))
}

// cons reports whether w[i] is a consonant; y is one at the start or after
// a vowel.
func cons[W ~string | ~[]byte](w W, i int) bool {
	switch w[i] {
	case 'a', 'e', 'i', 'o', 'u':
		return false
	case 'y':
		return i == 0 || !cons(w, i-1)
	}
	return true
}

// Measure is Porter's m of a lower-case ASCII word: how many
// vowel-consonant sequences it has ([C](VC)^m[V]).
func Measure[W ~string | ~[]byte](w W) int {
	m, i := 0, 0
	for i < len(w) && cons(w, i) {
		i++
	}
	for i < len(w) {
		for i < len(w) && !cons(w, i) {
			i++
		}
		if i == len(w) {
			break
		}
		for i < len(w) && cons(w, i) {
			i++
		}
		m++
	}
	return m
}

func hasVowel(w []byte) bool {
	for i := range w {
		if !cons(w, i) {
			return true
		}
	}
	return false
}

func doubleCons(w []byte) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && cons(w, n-1)
}

// CVC is Porter's *o: a lower-case ASCII word that ends
// consonant-vowel-consonant, the last not w, x or y ("hop", "plan", not
// "snow").
func CVC[W ~string | ~[]byte](w W) bool {
	n := len(w)
	if n < 3 || !cons(w, n-1) || cons(w, n-2) || !cons(w, n-3) {
		return false
	}
	c := w[n-1]
	return c != 'w' && c != 'x' && c != 'y'
}

func hasSuffix(w []byte, s string) bool { return strings.HasSuffix(string(w), s) }

func step1ab(w []byte) []byte {
	switch {
	case hasSuffix(w, "sses"), hasSuffix(w, "ies"):
		w = w[:len(w)-2]
	case hasSuffix(w, "ss"):
	case hasSuffix(w, "s"):
		w = w[:len(w)-1]
	}
	if hasSuffix(w, "eed") {
		if Measure(w[:len(w)-3]) > 0 {
			w = w[:len(w)-1]
		}
		return w
	}
	var stem []byte
	switch {
	case hasSuffix(w, "ed") && hasVowel(w[:len(w)-2]):
		stem = w[:len(w)-2]
	case hasSuffix(w, "ing") && hasVowel(w[:len(w)-3]):
		stem = w[:len(w)-3]
	default:
		return w
	}
	switch {
	case hasSuffix(stem, "at"), hasSuffix(stem, "bl"), hasSuffix(stem, "iz"):
		return append(stem, 'e')
	case doubleCons(stem):
		if c := stem[len(stem)-1]; c != 'l' && c != 's' && c != 'z' {
			return stem[:len(stem)-1]
		}
		return stem
	case Measure(stem) == 1 && CVC(stem):
		return append(stem, 'e')
	}
	return stem
}

func step1c(w []byte) []byte {
	if hasSuffix(w, "y") && hasVowel(w[:len(w)-1]) {
		w[len(w)-1] = 'i'
	}
	return w
}

// Suffix rewrites of steps 2 and 3, longer suffixes before the shorter ones
// they end with; only the first match applies, and only when m(stem) > 0.
var step2 = [][2]string{
	{"ational", "ate"}, {"tional", "tion"}, {"enci", "ence"}, {"anci", "ance"}, {"izer", "ize"},
	{"abli", "able"}, {"alli", "al"}, {"entli", "ent"}, {"eli", "e"}, {"ousli", "ous"},
	{"ization", "ize"}, {"ation", "ate"}, {"ator", "ate"}, {"alism", "al"}, {"iveness", "ive"},
	{"fulness", "ful"}, {"ousness", "ous"}, {"aliti", "al"}, {"iviti", "ive"}, {"biliti", "ble"},
}

var step3 = [][2]string{
	{"icate", "ic"}, {"ative", ""}, {"alize", "al"}, {"iciti", "ic"}, {"ical", "ic"}, {"ful", ""}, {"ness", ""},
}

func replaceFirst(w []byte, rules [][2]string, minM int) []byte {
	for _, r := range rules {
		if hasSuffix(w, r[0]) {
			stem := w[:len(w)-len(r[0])]
			if Measure(stem) > minM {
				return append(stem[:len(stem):len(stem)], r[1]...)
			}
			return w
		}
	}
	return w
}

var step4Suffixes = []string{"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
	"ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize"}

// step4 drops the longest listed suffix when m(stem) > 1; -ion only after
// s or t.
func step4(w []byte) []byte {
	best := ""
	for _, s := range step4Suffixes {
		if len(s) > len(best) && hasSuffix(w, s) {
			best = s
		}
	}
	if best == "" {
		return w
	}
	stem := w[:len(w)-len(best)]
	if Measure(stem) <= 1 {
		return w
	}
	if best == "ion" && (len(stem) == 0 || (stem[len(stem)-1] != 's' && stem[len(stem)-1] != 't')) {
		return w
	}
	return stem
}

func step5(w []byte) []byte {
	if hasSuffix(w, "e") {
		stem := w[:len(w)-1]
		if m := Measure(stem); m > 1 || (m == 1 && !CVC(stem)) {
			w = stem
		}
	}
	if hasSuffix(w, "ll") && Measure(w) > 1 {
		w = w[:len(w)-1]
	}
	return w
}
