package exteval

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize prepares a text or a needle for the string checks of
// extraction-realworld (its SOURCE.md): Unicode NFC, soft hyphens and
// zero-width spaces deleted, no-break spaces made spaces, every run of
// white space one space. Needles are not trimmed.
func Normalize(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch r {
		case '\u00ad', '\u200b':
			continue
		case '\u00a0', '\u202f', '\u2007':
			r = ' '
		}
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// Strings is how a text fared on a page's must / must-not strings.
type Strings struct {
	Must, MustFound         int // ordinary must strings
	MustNot, MustNotFound   int // must-not strings (found is a failure)
	Comment, CommentFound   int // must strings that live in comment areas
	Missing, Unwanted       []string
	CommentMissing          []string
	HasStrings              bool // the page asserts anything
	Pass, PassWithComments  bool // every string right, without / with the comment-area ones
	StringsOK, StringsTotal int  // per-string tally without the comment-area strings
}

// CheckStrings checks text against p's strings as SOURCE.md says:
// normalised, case-sensitive substrings.
func CheckStrings(p Page, text string) Strings {
	t := Normalize(text)
	var s Strings
	s.HasStrings = len(p.Must)+len(p.MustNot) > 0
	for _, m := range p.Must {
		found := strings.Contains(t, Normalize(m))
		if p.inComments(m) {
			s.Comment++
			if found {
				s.CommentFound++
			} else {
				s.CommentMissing = append(s.CommentMissing, m)
			}
			continue
		}
		s.Must++
		if found {
			s.MustFound++
		} else {
			s.Missing = append(s.Missing, m)
		}
	}
	for _, m := range p.MustNot {
		s.MustNot++
		if strings.Contains(t, Normalize(m)) {
			s.MustNotFound++
			s.Unwanted = append(s.Unwanted, m)
		}
	}
	s.StringsTotal = s.Must + s.MustNot
	s.StringsOK = s.MustFound + s.MustNot - s.MustNotFound
	s.Pass = s.StringsOK == s.StringsTotal
	s.PassWithComments = s.Pass && s.CommentFound == s.Comment
	return s
}

// Tokens splits text as SOURCE.md's token-level score does: lower case,
// normalised, runs of word characters, with every Han, Hiragana and
// Katakana character a token of its own.
func Tokens(text string) []string {
	text = strings.ToLower(Normalize(text))
	var out []string
	start := -1
	for i, r := range text {
		if isIdeograph(r) {
			if start >= 0 {
				out = append(out, text[start:i])
				start = -1
			}
			out = append(out, string(r))
			continue
		}
		if isWord(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, text[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, text[start:])
	}
	return out
}

func isIdeograph(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// isWord is Python's \w: letters, digits, marks and connector punctuation.
func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) ||
		unicode.In(r, unicode.Mn, unicode.Mc, unicode.Pc)
}

// PRF is precision, recall and F1.
type PRF struct{ P, R, F1 float64 }

func prf(tp, pred, gold float64) PRF {
	if pred == 0 || gold == 0 {
		return PRF{}
	}
	p, r := tp/pred, tp/gold
	if p+r == 0 {
		return PRF{}
	}
	return PRF{p, r, 2 * p * r / (p + r)}
}

// BagOfWords scores the tokens of pred against those of gold as multisets
// (an empty prediction scores 0).
func BagOfWords(gold, pred string) PRF {
	g, p := Tokens(gold), Tokens(pred)
	return multisetPRF(counts(g), counts(p), len(g), len(p))
}

// Shingles4 scores the 4-token shingles of pred against those of gold,
// tokenised as Tokens does; a text of fewer than 4 tokens is one shorter
// shingle.
func Shingles4(gold, pred string) PRF {
	g, p := shingles(Tokens(gold)), shingles(Tokens(pred))
	return multisetPRF(g, p, total(g), total(p))
}

func multisetPRF(g, p map[string]int, ng, np int) PRF {
	tp := 0
	for k, c := range p {
		tp += min(c, g[k])
	}
	return prf(float64(tp), float64(np), float64(ng))
}

func counts(toks []string) map[string]int {
	m := make(map[string]int, len(toks))
	for _, t := range toks {
		m[t]++
	}
	return m
}

func total(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

func shingles(toks []string) map[string]int {
	out := map[string]int{}
	if len(toks) == 0 {
		return out
	}
	if len(toks) < 4 {
		out[strings.Join(toks, "\x00")]++
		return out
	}
	for i := 0; i+4 <= len(toks); i++ {
		out[strings.Join(toks[i:i+4], "\x00")]++
	}
	return out
}

// ShingleScore is one scrapinghub page's tp, fp and fn, normalised by their
// sum so that every page weighs the same (that corpus's SOURCE.md).
type ShingleScore struct{ TP, FP, FN float64 }

// F1 is the page's own F1.
func (s ShingleScore) F1() float64 {
	return s.TP / (s.TP + (s.FP+s.FN)/2 + 1e-12)
}

// ScrapinghubShingles scores pred against truth by the scrapinghub metric:
// runs of word characters, case kept, 4-token shingles.
func ScrapinghubShingles(truth, pred string) ShingleScore {
	t, p := shingles(casedWords(truth)), shingles(casedWords(pred))
	var s ShingleScore
	for k, ct := range t {
		cp := p[k]
		s.TP += float64(min(ct, cp))
		s.FN += float64(max(0, ct-cp))
	}
	for k, cp := range p {
		s.FP += float64(max(0, cp-t[k]))
	}
	if sum := s.TP + s.FP + s.FN; sum > 0 {
		s.TP, s.FP, s.FN = s.TP/sum, s.FP/sum, s.FN/sum
	}
	return s
}

func casedWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !isWord(r) })
}

// CorpusPRF averages per-page precision and recall and takes F1 of the
// means, leaving out of precision the pages that predicted nothing and out
// of recall those with nothing to find; a page with no error counts 1 for
// both.
func CorpusPRF(scores []ShingleScore) PRF {
	var p, r float64
	var np, nr int
	for _, s := range scores {
		if s.FP == 0 && s.FN == 0 {
			p, r = p+1, r+1
			np, nr = np+1, nr+1
			continue
		}
		if s.TP+s.FP > 0 {
			p += s.TP / (s.TP + s.FP)
			np++
		}
		if s.TP+s.FN > 0 {
			r += s.TP / (s.TP + s.FN)
			nr++
		}
	}
	if np > 0 {
		p /= float64(np)
	}
	if nr > 0 {
		r /= float64(nr)
	}
	out := PRF{P: p, R: r}
	if p+r > 0 {
		out.F1 = 2 * p * r / (p + r)
	}
	return out
}
