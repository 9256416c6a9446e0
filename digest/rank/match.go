package rank

import (
	"slices"
	"strings"
)

// matcher finds weighted phrases in a stemmed token stream.
type matcher struct {
	// byFirst maps a phrase's first stem to the phrases starting with it,
	// longest first.
	byFirst map[string][]phrase
}

type phrase struct {
	stems  []string
	weight float64
}

func newMatcher(weighted map[string]float64) matcher {
	m := matcher{byFirst: map[string][]phrase{}}
	// Two spellings may stem alike ("tariff", "tariffs"): keep the larger
	// weight once rather than count the word twice.
	best := map[string]phrase{}
	for term, w := range weighted {
		s := stems(term)
		if len(s) == 0 || w <= 0 {
			continue
		}
		key := joinStems(s)
		if p, ok := best[key]; !ok || w > p.weight {
			best[key] = phrase{stems: s, weight: w}
		}
	}
	for _, p := range best {
		m.byFirst[p.stems[0]] = append(m.byFirst[p.stems[0]], p)
	}
	for k, ps := range m.byFirst {
		sortPhrases(ps)
		m.byFirst[k] = ps
	}
	return m
}

// score returns the summed weight of the phrases in toks. At each position
// the longest phrase wins and its words are not counted again, so "rules
// of origin" is not also "origin".
func (m matcher) score(toks []string) float64 {
	var s float64
	for i := 0; i < len(toks); {
		n := 0
		for _, p := range m.byFirst[toks[i]] {
			if hasPrefix(toks[i:], p.stems) {
				s += p.weight
				n = len(p.stems)
				break
			}
		}
		i += max(n, 1)
	}
	return s
}

func hasPrefix(toks, p []string) bool {
	if len(p) > len(toks) {
		return false
	}
	for i := range p {
		if toks[i] != p[i] {
			return false
		}
	}
	return true
}

// sortPhrases orders longest first, then alphabetically, so matching is
// deterministic whatever the map order.
func sortPhrases(ps []phrase) {
	slices.SortFunc(ps, func(a, b phrase) int {
		if len(a.stems) != len(b.stems) {
			return len(b.stems) - len(a.stems)
		}
		return strings.Compare(joinStems(a.stems), joinStems(b.stems))
	})
}

func joinStems(s []string) string { return strings.Join(s, " ") }
