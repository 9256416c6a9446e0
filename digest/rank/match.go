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
	// byID is byFirst by the first stem's number in a Ranker's vocab (see
	// index).
	byID [][]phrase
}

// vocab numbers the stems that start a phrase of any of a Ranker's
// matchers. A text's stems are numbered once (ids), and each matcher then
// finds the phrases that may start at a stem in a slice instead of a map:
// a text was looked up in the map of each of the 2 x topics + 1 matchers.
type vocab map[string]int32

// add numbers the first stems of m's phrases.
func (v vocab) add(m matcher) {
	for first := range m.byFirst {
		if _, ok := v[first]; !ok {
			v[first] = int32(len(v))
		}
	}
}

// appendIDs appends to dst the number of each stem of toks, or -1 for a
// stem that starts no phrase.
func (v vocab) appendIDs(dst []int32, toks []string) []int32 {
	for _, t := range toks {
		id, ok := v[t]
		if !ok {
			id = -1
		}
		dst = append(dst, id)
	}
	return dst
}

// index fills m.byID from m.byFirst for the numbers of v, which holds
// (at least) m's first stems.
func (m *matcher) index(v vocab) {
	m.byID = make([][]phrase, len(v))
	for first, ps := range m.byFirst {
		m.byID[v[first]] = ps
	}
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

// score returns the summed weight of the phrases in toks, whose stems ids
// numbers by the vocab m was indexed with. At each position the longest
// phrase wins and its words are not counted again, so "rules of origin" is
// not also "origin".
func (m matcher) score(toks []string, ids []int32) float64 {
	var s float64
	for i := 0; i < len(toks); {
		n := 0
		if id := ids[i]; id >= 0 {
			for _, p := range m.byID[id] {
				if hasPrefix(toks[i:], p.stems) {
					s += p.weight
					n = len(p.stems)
					break
				}
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
