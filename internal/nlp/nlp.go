// Package nlp is the one place where news text is cut into sentences and
// words: it splits sentences, splits words, folds case, drops stop words and
// applies a light stemmer. The feed cleaner, the ranker, the clusterer and the
// summariser all use it, so that a sentence and a term mean the same thing in
// each of them.
package nlp

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/tradedigest/tradedigest/internal/lazy"
)

// Token is one word of a text.
type Token struct {
	Word    string // lower-cased surface form
	Surface string // as written
	Stem    string // light stem of Word
	// Cap is true when the word began with an upper-case letter and was not
	// the first word of a sentence (a hint for proper names).
	Cap bool
	// SentenceStart is true for the first word of a sentence.
	SentenceStart bool
}

// Tokens splits text into word tokens. Letters, digits and the characters
// '.', ',' and '%' inside numbers ("31.2", "140,000", "62.9%") stay in one
// token; apostrophes inside words are dropped ("Korea's" → "korea").
func Tokens(text string) []Token { return tokens(text, true) }

// AppendTokens appends the tokens of text (Tokens) to dst and returns the
// extended slice: a caller that tokenises many texts can reuse one
// slice's array instead of allocating one a text.
func AppendTokens(dst []Token, text string) []Token { return appendTokens(dst, text, true) }

// tokens is Tokens; without fast, every word takes the general path, which
// the fast path must match token for token (TestTokensFastPath).
func tokens(text string, fast bool) []Token {
	return appendTokens(make([]Token, 0, len(text)/6), text, fast) // about one word per six bytes of English
}

// appendTokens is AppendTokens, with tokens' fast.
func appendTokens(out []Token, text string, fast bool) []Token {
	sentenceStart := true
	var lower lowerChunk
	i := 0
	for i < len(text) {
		c := text[i]
		asciiWord := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if fast && c < utf8.RuneSelf && !asciiWord {
			// An ASCII separator, as below without decoding a rune.
			if c == '.' || c == '!' || c == '?' || c == '\n' {
				sentenceStart = true
			}
			i++
			continue
		}
		// An ASCII byte is its rune, and an ASCII letter or digit a
		// word's: most words start without a rune decoded and tested.
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if !asciiWord && !isWordRune(r) {
			if r == '.' || r == '!' || r == '?' || r == '\n' {
				sentenceStart = true
			}
			i += size
			continue
		}
		start := i
		// Fast path: a word of ASCII letters and digits ending at a plain
		// separator is lower-cased in one go, and is its own lower-cased
		// form when it has no capital (no copy at all). A number that goes
		// on ("31.2", "140,000", "62%") takes the long way.
		j, upper := i, false
		for j < len(text) {
			c := text[j]
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				j++
				continue
			}
			if c >= 'A' && c <= 'Z' {
				upper = true
				j++
				continue
			}
			break
		}
		if fast && j > i && (j == len(text) || simpleEnd(text[j]) && !(isDigitByte(text[i]) && numberGoesOn(text, j))) {
			surface, w := text[i:j], text[i:j]
			if upper {
				w = lower.lower(w, len(text)-i)
			}
			out = append(out, Token{Word: w, Surface: surface, Stem: Stem(w),
				Cap: 'A' <= surface[0] && surface[0] <= 'Z' && !sentenceStart, SentenceStart: sentenceStart})
			sentenceStart = false
			i = j
			continue
		}
		var b strings.Builder
		digits := unicode.IsDigit(r)
		for i < len(text) {
			r, size = utf8.DecodeRuneInString(text[i:])
			switch {
			case isWordRune(r):
				b.WriteRune(unicode.ToLower(r))
			case r == '%' && digits:
				b.WriteByte('%')
			case (r == '.' || r == ',') && digits && i+size < len(text) && isDigitByte(text[i+size]):
				if r == '.' {
					b.WriteByte('.')
				} // thousands separators are dropped: "140,000" → "140000"
			case (r == '\'' || r == '’') && i+size < len(text):
				// "Korea's" → "korea"; "don't" → "don"; skip the rest of the clitic.
				n, nsize := utf8.DecodeRuneInString(text[i+size:])
				if !unicode.IsLetter(n) {
					goto done
				}
				i += size + nsize
				for i < len(text) {
					n, nsize = utf8.DecodeRuneInString(text[i:])
					if !unicode.IsLetter(n) {
						break
					}
					i += nsize
				}
				goto done
			default:
				goto done
			}
			i += size
		}
	done:
		w := b.String()
		first, _ := utf8.DecodeRuneInString(text[start:])
		out = append(out, Token{
			Word:          w,
			Surface:       text[start:i],
			Stem:          Stem(w),
			Cap:           unicode.IsUpper(first) && !sentenceStart,
			SentenceStart: sentenceStart,
		})
		sentenceStart = false
	}
	return out
}

// lowerChunk holds the lower-cased forms of a text's capitalised ASCII
// words, each a string over its bytes: one allocation for many words,
// where strings.ToLower made one a word (a fifth of the allocations of
// reading an article's features). A chunk's bytes are never written
// again once a string is made of them; a full chunk is left to the
// strings that hold it and a new one begun.
type lowerChunk struct{ b []byte }

// lower returns w, ASCII letters and digits, lower-cased, as
// strings.ToLower would; rest is how much of the text is left from w on,
// which bounds what the text's later words can need.
func (c *lowerChunk) lower(w string, rest int) string {
	if cap(c.b)-len(c.b) < len(w) {
		c.b = make([]byte, 0, min(rest, max(256, len(w))))
	}
	start := len(c.b)
	for i := 0; i < len(w); i++ {
		ch := w[i]
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		c.b = append(c.b, ch)
	}
	return unsafe.String(&c.b[start], len(w))
}

// numberGoesOn reports whether a number's token goes on past text[j]:
// with a per cent sign, or a decimal point or thousands separator before a
// digit.
func numberGoesOn(text string, j int) bool {
	c := text[j]
	return c == '%' || (c == '.' || c == ',') && j+1 < len(text) && isDigitByte(text[j+1])
}

// simpleEnd reports whether c ends a word without further ado: ASCII
// punctuation or space other than the apostrophe, and not a letter, digit
// or the start of a multi-byte character.
func simpleEnd(c byte) bool {
	return c < 0x80 && c != '\'' && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// Stems returns the stems of the words of text, stop words removed.
func Stems(text string) []string {
	toks := Tokens(text)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if !IsStopword(t.Word) {
			out = append(out, t.Stem)
		}
	}
	return out
}

// Stem reduces an English word to a light stem: plural and common verb
// endings are removed so that "tariffs", "tariff"; "duties", "duty";
// "negotiations", "negotiation"; "exporting", "exported", "export" meet. It
// is deliberately weaker than Porter's stemmer: topic phrases must not match
// unrelated words ("union" must not become "uni").
func Stem(w string) string {
	if len(w) <= 3 || !isASCIIWord(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ss") || strings.HasSuffix(w, "us") || strings.HasSuffix(w, "is"):
		return w
	case strings.HasSuffix(w, "s"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		return undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ied") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		return undouble(w[:len(w)-2])
	}
	return w
}

// undouble maps "shipp" (from "shipping") to "ship" so it meets "ships".
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) && !isVowel(w[n-1]) {
		return w[:n-1]
	}
	return w
}

func isVowel(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// IsStopword reports whether w (lower case) is a function word that carries
// no topic.
func IsStopword(w string) bool {
	f := stopFilter.Get()
	if len(w) == 0 || len(w) >= len(f) || f[len(w)][w[0]&31]&(1<<(w[len(w)-1]&31)) == 0 {
		return false // no stop word is so long, or has these first and last bytes
	}
	_, ok := stopwords.Get()[w]
	return ok
}

// stopFilter marks the stop words by length, first and last bytes (the
// low five bits of each), so that IsStopword answers for most words
// without a map lookup: every word of every text is tested, most of them
// more than once.
var stopFilter = lazy.Value[[][32]uint32]{Build: func() [][32]uint32 {
	var f [][32]uint32
	for w := range stopwords.Get() {
		for len(f) <= len(w) {
			f = append(f, [32]uint32{})
		}
		f[len(w)][w[0]&31] |= 1 << (w[len(w)-1] & 31)
	}
	return f
}}

var stopwords = lazy.Value[map[string]struct{}]{Build: func() map[string]struct{} {
	return wordSet(`a about above after again against all also am an and any are as at be
		because been before being below between both but by can could did do does doing down during each
		few for from further had has have having he her here hers herself him himself his how i if in into
		is it its itself just me more most my myself no nor not now of off on once only or other our ours
		ourselves out over own same she should so some such than that the their theirs them themselves then
		there these they this those through to too under until up very was we were what when where which
		while who whom why will with would you your yours yourself yourselves said says say mr ms mrs
		according told last year years week month new one two per cent percent since still may might must
		us upon its it's would like`)
}}
