package nlp

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Patterns reports whether any of a list of regular expressions matches
// a text, as their alternation would, but runs only the expressions that
// can match it: each one's literals (the strings every match of it
// contains one of, read from its syntax) are found in one pass over the
// text (Needles), and an expression none of whose literals occur is
// skipped. The appeal patterns ran as one alternation of fifty
// case-insensitive expressions on every sentence of a line that held a
// keyword, a tenth of a gather's CPU, to find an appeal in a few lines in
// a thousand. The answer is the alternation's for every text: literals
// are compared case-folded as the expressions compare them (foldRune).
type Patterns struct {
	res     []*regexp.Regexp
	needles *Needles
	// need holds, by expression, the needles of which one must occur for
	// it to match; nil when it has no literals to check (always run).
	need [][]int
}

// NewPatterns compiles the patterns (Go syntax, each whole: "a|b" is
// one pattern). It panics on a bad pattern, as regexp.MustCompile does:
// the lists are constant tables.
func NewPatterns(patterns []string) *Patterns {
	p := &Patterns{res: make([]*regexp.Regexp, len(patterns)), need: make([][]int, len(patterns))}
	var list []string
	index := map[string]int{}
	for i, pat := range patterns {
		p.res[i] = regexp.MustCompile(pat)
		re, err := syntax.Parse(pat, syntax.Perl)
		if err != nil {
			panic(err) // MustCompile panicked first
		}
		lits := required(re)
		if len(index)+len(lits) > MaxNeedles {
			continue // run always: the needles are full
		}
		for _, l := range lits {
			n, ok := index[l]
			if !ok {
				n = len(list)
				index[l] = n
				list = append(list, l)
			}
			p.need[i] = append(p.need[i], n)
		}
	}
	p.needles = NewNeedles(list)
	return p
}

// MatchString reports whether one of the patterns matches s.
func (p *Patterns) MatchString(s string) bool {
	found := p.needles.findMapped(s, foldRune) // Find(foldString(s))
	for i, re := range p.res {
		if (p.need[i] == nil || found.HasAny(p.need[i])) && re.MatchString(s) {
			return true
		}
	}
	return false
}

// required returns strings (folded, foldString) of which every match of
// re contains one; nil when it finds none (an expression that may match
// without a literal, or whose literals it cannot follow).
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{foldString(string(re.Rune))}
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			lits := required(sub)
			if lits == nil {
				return nil
			}
			out = append(out, lits...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	case syntax.OpConcat:
		// Any part's literals will do; the longest shortest one spares
		// the most expressions.
		var best []string
		for _, sub := range re.Sub {
			if lits := required(sub); lits != nil && (best == nil || shortest(lits) > shortest(best)) {
				best = lits
			}
		}
		return best
	}
	return nil
}

// shortest is the length of the shortest of lits.
func shortest(lits []string) int {
	n := len(lits[0])
	for _, l := range lits[1:] {
		n = min(n, len(l))
	}
	return n
}

// foldString maps every rune of s to its case-folding class (foldRune),
// so that a literal an expression matches case-insensitively is found in
// the folded text whenever the expression would find it in s.
func foldString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.Map(foldRune, s)
		}
	}
	return s
}

// foldRune returns the lower case of the smallest rune that r folds to
// (unicode.SimpleFold's orbit): the same rune for every rune of the
// orbit, which is the set of runes a case-insensitive expression takes
// for r (ſ and K, the long s and the Kelvin sign, fold to s and k).
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return unicode.ToLower(m)
}
