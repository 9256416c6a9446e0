package whatlanggo

import (
	"sync"
	"unicode"
)

// profileIndex is a script's profile list turned around: for each
// trigram, its rank in every language profile that lists it.
type profileIndex struct {
	list  langProfileList
	slot  map[Lang]int
	ranks map[[3]rune][]langRank
}

type langRank struct {
	slot, rank int
}

// lazyIndex returns a function that builds the index of a profile list on
// its first call and returns the same index on every call.
func lazyIndex(profiles func() langProfileList) func() *profileIndex {
	var once sync.Once
	var x *profileIndex
	return func() *profileIndex {
		once.Do(func() {
			list := profiles()
			x = &profileIndex{list: list, slot: map[Lang]int{}, ranks: map[[3]rune][]langRank{}}
			for lang, trigrams := range list {
				s := len(x.slot)
				x.slot[lang] = s
				for i, t := range trigrams {
					// A text's trigrams are three runes: another
					// string would never be found in one.
					if r := []rune(t); len(r) == 3 {
						k := [3]rune{r[0], r[1], r[2]}
						x.ranks[k] = append(x.ranks[k], langRank{s, i})
					}
				}
			}
		})
		return x
	}
}

var (
	latinLangsIndex      = lazyIndex(latinLangs)
	cyrillicLangsIndex   = lazyIndex(cyrillicLangs)
	devanagariLangsIndex = lazyIndex(devanagariLangs)
	hebrewLangsIndex     = lazyIndex(hebrewLangs)
	ethiopicLangsIndex   = lazyIndex(ethiopicLangs)
	arabicLangsIndex     = lazyIndex(arabicLangs)
)

// distances returns, by slot, what calculateDistance returns for each
// language: the summed distance and the number of profile trigrams found.
func (x *profileIndex) distances(trigramWeights map[[3]rune]int) (dist, hits []int) {
	dist = make([]int, len(x.slot))
	hits = make([]int, len(x.slot))
	for t, w := range trigramWeights {
		if w <= 0 {
			continue
		}
		for _, r := range x.ranks[t] {
			dist[r.slot] += (maxTrigramDistance - r.rank) * w
			hits[r.slot]++
		}
	}
	return dist, hits
}

// countRunes is count with the trigrams as three runes instead of
// strings: the same trigrams with the same counts, without a string (and
// the two rune slices) made for each.
func countRunes(input string) map[[3]rune]int {
	trigrams := map[[3]rune]int{}
	r1, r2 := ' ', rune(0)
	first := true
	step := func(r3 rune) {
		if !(r2 == ' ' && (r1 == ' ' || r3 == ' ')) {
			trigrams[[3]rune{r1, r2, r3}]++
		}
		r1, r2 = r2, r3
	}
	for _, ir := range input {
		r := unicode.ToLower(toTrigramChar(ir))
		if first {
			r2, first = r, false
			continue
		}
		step(r)
	}
	if !first {
		step(' ') // count puts a space after the last rune
	}
	return trigrams
}

// detectLangInIndex is detectLangInProfiles with the distances summed
// from the index: the same languages, in the same order, with the same
// distances and trigram counts.
func detectLangInIndex(text string, options Options, x *profileIndex) (Lang, float64) {
	dist, hits := x.distances(countRunes(text))
	langDistances := []langDistance{}
	for lang := range x.list {
		if len(options.Whitelist) != 0 {
			if _, ok := options.Whitelist[lang]; !ok {
				continue
			}
		} else if len(options.Blacklist) != 0 {
			if _, ok := options.Blacklist[lang]; ok {
				continue
			}
		}
		s := x.slot[lang]
		langDistances = append(langDistances, langDistance{lang, dist[s], hits[s]})
	}
	switch len(langDistances) {
	case 0:
		return -1, 0
	case 1:
		return langDistances[0].lang, 1
	default:
		return calculateConfidence(langDistances)
	}
}
