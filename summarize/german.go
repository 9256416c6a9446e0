package summarize

import (
	"strings"
	"unicode"

	"github.com/tradedigest/tradedigest/internal/lazy"
)

// germanMarkers are frequent German words that English, French, Spanish
// and Portuguese do not use.
var germanMarkers = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("der", "die", "das", "und", "ist", "mit", "von", "zu", "den", "dem", "ein", "eine", "einen", "nicht",
		"auf", "für", "sich", "im", "wird", "wurde", "wurden", "hat", "haben", "sind", "auch", "bei", "nach", "vom", "zum", "zur")
}}

// german reports whether words read as German: at least two of its
// marker words, and more of them than English ones.
func german(words []string) bool {
	de, en := 0, 0
	for _, w := range words {
		switch b := bare(w); {
		case germanMarkers.Get()[b]:
			de++
		case englishMarkers.Get()[b]:
			en++
		}
	}
	return de >= 2 && de > en
}

// germanAuxiliaries are the finite auxiliaries and modals of German: after
// one, the rest of the verb stands at the end of the clause ("will … unterwegs
// sein", "hat … gestürzt").
var germanAuxiliaries = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("ist", "sind", "war", "waren", "wird", "werden", "wurde", "wurden", "hat", "haben", "hatte", "hatten",
		"will", "wollen", "wollte", "wollten", "soll", "sollen", "sollte", "sollten", "kann", "können", "konnte", "konnten",
		"muss", "müssen", "musste", "mussten", "darf", "dürfen", "durfte", "möchte", "möchten", "lässt", "lassen", "ließ", "ließen")
}}

// germanPrepositions open a prepositional phrase, contractions included.
var germanPrepositions = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("mit", "von", "vom", "bei", "beim", "nach", "aus", "seit", "zu", "zum", "zur", "für", "durch", "gegen",
		"ohne", "um", "an", "am", "ans", "auf", "in", "im", "ins", "über", "unter", "vor", "hinter", "neben", "zwischen",
		"wegen", "trotz", "während", "dank", "laut", "ab", "bis")
}}

// maxGermanVerbAt bounds where keepGermanVerb looks for the auxiliary: the
// second place of a main clause, after a first phrase of a few words.
const maxGermanVerbAt = 8

// keepGermanVerb shortens a German main clause too long for a headline
// whose verb stands at its end after an auxiliary ("Bereits in den
// kommenden Monaten will der Uber-Konkurrent mit zehn Fahrzeugen vom
// Google-Tochterunternehmen unterwegs sein"): a cut at the limit would keep
// the auxiliary and lose the verb ("… will der Uber-Konkurrent"). Instead
// the prepositional phrases between the two go, from the first, until the
// clause fits; the one just before the verb stays, as it is often the
// verb's own ("in eine schwere Krise gestürzt"). What follows the clause
// goes too. Anything else, or a clause that cannot be made to fit, is left
// to fit.
func keepGermanVerb(words []string, max int) []string {
	if len(words) <= max || !german(words) {
		return words
	}
	end := germanClauseEnd(words)
	clause := words[:end]
	if len(clause) <= max {
		return words // a cut at the clause boundary keeps the verb
	}
	aux := -1
	for i := 1; i < len(clause) && i <= maxGermanVerbAt; i++ {
		if isLowerWord(clause[i]) && germanAuxiliaries.Get()[bare(clause[i])] {
			aux = i
			break
		}
	}
	last := clause[len(clause)-1]
	if aux < 0 || !isLowerWord(last) || functionWords.Get()[bare(last)] && !germanVerbEnd(clause) || germanPrepositions.Get()[bare(last)] {
		return words
	}
	// First the phrases other than the one just before the verb, which
	// is often the verb's own; then that one too, if it must.
	for _, limit := range []int{len(clause) - 3, len(clause) - 2} {
		if out := dropGermanPhrases(clause, aux+1, limit, max); out != nil {
			return out
		}
	}
	return words
}

// dropGermanPhrases removes the prepositional phrases of clause from
// index from on, none reaching past index limit, until it holds max words
// at most; it returns nil when that does not leave between
// minHeadlineWords and max.
func dropGermanPhrases(clause []string, from, limit, max int) []string {
	out := append([]string(nil), clause...)
	for p := from; p < len(out)-1 && len(out) > max; {
		if !isLowerWord(out[p]) || !germanPrepositions.Get()[bare(out[p])] {
			p++
			continue
		}
		q := germanPhraseEnd(out, p, limit-(len(clause)-len(out)))
		if q < 0 {
			break // no noun, or a phrase that runs past the limit
		}
		out = append(out[:p], out[q+1:]...)
	}
	if len(out) > max || len(out) < minHeadlineWords {
		return nil
	}
	return out
}

// germanClauseEnd returns the length of the first clause of words: up to a
// full stop, a semicolon, a colon, a dash, or a comma before a word in
// lower case (a comma before a capitalised noun is one of a list).
func germanClauseEnd(words []string) int {
	for i, w := range words {
		switch {
		case strings.HasSuffix(w, ".") || strings.HasSuffix(w, "!") || strings.HasSuffix(w, "?") ||
			strings.HasSuffix(w, ";") || strings.HasSuffix(w, ":"):
			return i + 1
		case i+1 < len(words) && (words[i+1] == "–" || words[i+1] == "—" || words[i+1] == "-"):
			return i + 1
		case strings.HasSuffix(w, ",") && i+1 < len(words) && isLowerWord(words[i+1]):
			return i + 1
		}
	}
	return len(words)
}

// germanPhraseEnd returns the index of the last word of the prepositional
// phrase opened at words[p]: its noun (the first capitalised word or
// figure), with the names, the list ("Sicherheit, Bedienung und
// Schadstoffgehalt") and the genitive or prepositional phrases that follow
// it, up to index limit at most; -1 when its noun lies past limit, or
// when there is no noun before a clause boundary.
func germanPhraseEnd(words []string, p, limit int) int {
	q := -1
	for i := p + 1; i < len(words); i++ {
		if germanNoun(words[i]) {
			q = i
			break
		}
		if clauseEnd(words[i]) {
			return -1
		}
	}
	if q < 0 || q > limit {
		return -1
	}
loop:
	for q+1 < len(words) {
		next := words[q+1]
		switch b := bare(next); {
		case germanNoun(next) && !clauseEnd(words[q]) || strings.HasSuffix(words[q], ",") && germanNoun(next):
			q++ // a name, a figure, or the next item of a list
		case (b == "und" || b == "oder") && q+2 < len(words) && germanNoun(words[q+2]):
			q += 2
		case (b == "von" || b == "vom" || b == "des" || b == "der" || germanPrepositions.Get()[b]) && isLowerWord(next) && !clauseEnd(words[q]):
			// a genitive, or a further phrase that qualifies the noun
			// ("mit höheren Zöllen auf Elektroautos aus China"): the
			// chain goes as one, as far as limit.
			r := germanPhraseEnd(words, q+1, limit)
			switch {
			case r >= 0:
				q = r
			case b == "von" || b == "vom" || b == "des" || b == "der":
				return -1 // the noun goes with its genitive or not at all
			default:
				break loop
			}
		default:
			break loop
		}
	}
	if q > limit {
		return -1 // a name or a list that runs past limit
	}
	return q
}

// germanVerbEnd reports a German clause that ends on an infinitive that is
// also a function word ("unterwegs sein", "geprüft werden", "gemacht
// haben") after a word in lower case that is not one, with an auxiliary
// or a modal before: the end of a verb, not a possessive or an auxiliary
// cut from its phrase.
func germanVerbEnd(words []string) bool {
	n := len(words)
	if n < 2 || !isLowerWord(words[n-2]) || !plain(words[n-2]) {
		return false
	}
	switch bare(words[n-1]) {
	case "sein", "werden", "haben", "worden":
	default:
		return false
	}
	prev := bare(words[n-2])
	if functionWords.Get()[prev] || germanPrepositions.Get()[prev] || germanAuxiliaries.Get()[prev] {
		return false
	}
	// The infinitive needs an auxiliary or a modal before it ("soll …
	// möglich sein"); without one, "sein" is a possessive ("verkauft sein").
	for _, w := range words[:n-2] {
		if isLowerWord(w) && germanAuxiliaries.Get()[bare(w)] {
			return true
		}
	}
	return false
}

// germanNoun reports a word that is not in lower case, as German nouns,
// names and figures are not, or a name with a capital inside ("iOS").
func germanNoun(w string) bool {
	return w != "" && (!isLowerWord(w) || strings.IndexFunc(w, unicode.IsUpper) > 0)
}
