package nlp

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// Sentences splits text into sentences, each copied verbatim apart from
// whitespace, which is collapsed. Paragraphs ("\n\n") always end a sentence;
// a single line break does only when the line looks finished (terminal
// punctuation, a short heading-like line, or a bullet next), so text
// wrapped at 72 columns is joined again.
//
// A full stop ends a sentence only when a sentence can start after it. It
// does not after titles ("Mr.", "Dr.", "Gen."), before a number after
// "No."/"Art."/"Vol.", inside decimals ("3.5"), or after initials ("J. K.",
// "U.S.", "E.U.") unless the next word is a usual sentence opener ("The",
// "It", ...), which is also the rule for "Inc.", "Ltd.", "etc." and months.
func Sentences(text string) []string { return AppendSentences(nil, text, math.MaxInt) }

// AppendSentences appends the first n sentences of text (Sentences) to
// dst and returns the extended slice: a reader of a text's opening
// sentences neither splits the rest of its paragraph nor allocates a
// slice a block.
func AppendSentences(dst []string, text string, n int) []string {
	for _, block := range Blocks(text) {
		if n <= 0 {
			break
		}
		k := len(dst)
		dst = appendBlockSentences(dst, block, n)
		n -= len(dst) - k
	}
	return dst
}

var paraBreak = lazyre.New(`\n[ \t\f\v]*\n`)

// Blocks returns the runs of text that no sentence crosses (paragraphs,
// and lines that look finished), whitespace collapsed. Sentences is
// BlockSentences over Blocks; a reader that treats a block as a unit (a
// headline writer skipping a furniture paragraph) uses the two.
func Blocks(text string) []string { return blocks(text, true) }

// blocks is Blocks; with fast, a text of one line (a paragraph cut from
// a longer text, an item's summary) skips the splitting, which finds
// nothing to split it at, and is its own block when its spaces need no
// collapsing (TestBlocksFastPath).
func blocks(text string, fast bool) []string {
	// Two vector scans, where strings.ContainsAny tested each byte
	// against a set.
	if fast && strings.IndexByte(text, '\n') < 0 && strings.IndexByte(text, '\r') < 0 {
		b := CollapseSpace(text)
		if b == "" {
			return nil
		}
		return []string{b}
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var out []string
	for _, para := range paraBreak.Get().Split(text, -1) {
		var cur []string
		flush := func() {
			if b := strings.Join(strings.Fields(strings.Join(cur, " ")), " "); b != "" {
				out = append(out, b)
			}
			cur = cur[:0]
		}
		lines := strings.Split(para, "\n")
		for i, line := range lines {
			line = strings.TrimSpace(line)
			if line == "" {
				flush()
				continue
			}
			cur = append(cur, line)
			if i+1 < len(lines) && lineEnds(line, strings.TrimSpace(lines[i+1])) {
				flush()
			}
		}
		flush()
	}
	return out
}

// CollapseSpace returns s trimmed, with every run of white space made one
// space: strings.Join(strings.Fields(s), " "), without a copy when s is
// so already (most lines of an article are).
func CollapseSpace(s string) string {
	if collapsed(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// collapsed reports whether strings.Join(strings.Fields(s), " ") is s:
// s is ASCII, and its only white space is single spaces between words.
func collapsed(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case ' ' < c && c < utf8.RuneSelf: // most bytes: one test for all the others
		case c >= utf8.RuneSelf, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			return false
		case c == ' ' && s[i+1] == ' ':
			return false
		}
	}
	return true
}

// lineEnds reports whether a single line break after line ends a sentence.
func lineEnds(line, next string) bool {
	if next == "" {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(line)
	if strings.ContainsRune(".!?…:;\"”’)]", last) {
		return true
	}
	if utf8.RuneCountInString(line) < 40 {
		return true // a heading, dateline or list item
	}
	first, _ := utf8.DecodeRuneInString(next)
	return strings.ContainsRune("-*•–—", first)
}

// Abbreviations that never end a sentence (titles and Latin shorthands).
var neverEnd = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "lt", "col", "capt",
		"cmdr", "sgt", "rev", "hon", "pres", "supt", "insp", "messrs", "mme", "mlle", "vs", "v", "e.g", "i.e",
		"cf", "approx", "ca", "fig", "figs", "eq", "dept", "univ", "assn", "bros", "mt", "ft", "ave", "blvd")
}}

// Abbreviations that take a number after them ("No. 3", "Art. 24").
var beforeNumber = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("no", "nos", "art", "arts", "vol", "vols", "p", "pp", "para", "paras", "sec",
		"ch", "chap", "op", "fig", "figs", "tel", "ref", "s", "ss", "nr", "rs")
}}

// Abbreviations that may end a sentence: they do when a usual sentence
// opener follows.
var mayEnd = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("inc", "ltd", "co", "corp", "plc", "llc", "jr", "sr", "st", "etc", "al",
		"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "a.m", "p.m")
}}

// Words that usually start a sentence; after an ambiguous abbreviation they
// tip the balance to a boundary.
var openers = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("the", "a", "an", "this", "that", "these", "those", "it", "its", "he", "she", "they",
		"we", "i", "you", "his", "her", "their", "our", "but", "and", "or", "so", "yet", "in", "on", "at",
		"for", "after", "before", "when", "while", "as", "if", "there", "here", "some", "many", "most", "all",
		"both", "however", "meanwhile", "officials", "analysts", "other", "another", "such", "one", "last",
		"earlier", "under", "since", "about", "what", "who", "why", "how", "according", "separately", "also")
}}

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// BlockSentences splits one block (see Blocks) into sentences.
func BlockSentences(s string) []string { return appendBlockSentences(nil, s, math.MaxInt) }

// appendBlockSentences appends the first n sentences of the block s
// (BlockSentences) to out; n > 0. Sentences are only ever appended, in
// order, so stopping at the n-th gives BlockSentences' first n.
func appendBlockSentences(out []string, s string, n int) []string {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && c != '.' && c != '!' && c != '?' { // most bytes: no rune to decode
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != '.' && r != '!' && r != '?' && r != '…' {
			i += size
			continue
		}
		end := i + size
		ellipsis := r == '…'
		for end < len(s) && (s[end] == '.' || strings.HasPrefix(s[end:], "…")) {
			ellipsis = true
			_, n := utf8.DecodeRuneInString(s[end:])
			end += n
		}
		for end < len(s) {
			c, n := utf8.DecodeRuneInString(s[end:])
			if !strings.ContainsRune("\"'”’)]»", c) {
				break
			}
			end += n
		}
		if boundary(s, start, i, end, r == '.' && !ellipsis) {
			if t := strings.TrimSpace(s[start:end]); t != "" {
				out = append(out, t)
				if n--; n == 0 {
					return out
				}
			}
			start = end
		}
		i = end
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

// boundary decides whether the terminal punctuation at s[i] (closing
// quotes up to end) ends the sentence that began at start. period is true
// for a single full stop, whose meaning depends on the word before it.
func boundary(s string, start, i, end int, period bool) bool {
	if end >= len(s) {
		return true
	}
	word := wordBefore(s[start:i])
	next, _ := utf8.DecodeRuneInString(s[end:])
	if !unicode.IsSpace(next) {
		// "...Amazon UK.Retail analyst": a full stop glued to a capitalised
		// word, as in XSum's joined lines, but never inside "U.S." or "3.5".
		if !period || len(word) < 2 || strings.Contains(word, ".") || !isLetters(word) {
			return false
		}
		rest := []rune(s[end:min(len(s), end+8)])
		return len(rest) >= 2 && unicode.IsUpper(rest[0]) && unicode.IsLower(rest[1])
	}
	after := strings.TrimLeftFunc(s[end:], unicode.IsSpace)
	first, _ := utf8.DecodeRuneInString(after)
	if !startsSentence(first) {
		return false
	}
	if !period {
		return true
	}
	lw := strings.ToLower(word)
	nextWord := strings.ToLower(strings.TrimFunc(firstWord(after), func(r rune) bool { return !unicode.IsLetter(r) }))
	switch {
	case neverEnd.Get()[lw]:
		return false
	case beforeNumber.Get()[lw] && unicode.IsDigit(first):
		return false
	case mayEnd.Get()[lw], isInitialism(word), utf8.RuneCountInString(word) == 1 && unicode.IsUpper(firstRune(word)):
		// "Apple Inc. The company", "in the U.S. The", "Plan B. It" end a
		// sentence; "U.S. President", "J. K. Rowling" do not.
		return openers.Get()[nextWord]
	}
	return true
}

// wordBefore returns the letters, digits and inner dots just before the
// end of s ("U.S" in "the U.S", "Mr" in "said Mr").
func wordBefore(s string) string {
	j := len(s)
	// Bounded so that a long run like "a.a.a.a…" stays linear.
	for j > 0 && len(s)-j < 32 {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' {
			break
		}
		j -= n
	}
	return strings.Trim(s[j:], ".")
}

// isInitialism reports whether w is short letter groups joined by dots
// ("U.S", "E.U", "a.m").
func isInitialism(w string) bool {
	parts := strings.Split(w, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if !isLetters(p) || utf8.RuneCountInString(p) > 2 {
			return false
		}
	}
	return true
}

func firstWord(s string) string {
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i]
	}
	return s
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

// startsSentence reports whether r can open a sentence: a capital, a digit,
// an opening quote or bracket, or a currency sign.
func startsSentence(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsDigit(r) || unicode.IsTitle(r) ||
		strings.ContainsRune("\"'“‘([«£$€¥", r)
}

// Finished reports whether s ends like a sentence: terminal punctuation,
// perhaps inside closing quotes or brackets. A line that is not finished
// is a headline, caption, dateline or a line wrapped mid-sentence.
func Finished(s string) bool {
	s = strings.TrimRight(s, "\"'”’)]» ")
	last, _ := utf8.DecodeLastRuneInString(s)
	return last == '.' || last == '!' || last == '?' || last == '…'
}
