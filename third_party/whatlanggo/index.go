package whatlanggo

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// packedTrigram is three runes packed in 21 bits each: a map keyed by an integer
// hashes and compares faster than one keyed by an array.
type packedTrigram uint64

func pack(r1, r2, r3 rune) packedTrigram {
	return packedTrigram(uint64(r1)&0x1fffff<<42 | uint64(r2)&0x1fffff<<21 | uint64(r3)&0x1fffff)
}

// String is the trigram's three runes.
func (t packedTrigram) String() string {
	return string([]rune{rune(t >> 42 & 0x1fffff), rune(t >> 21 & 0x1fffff), rune(t & 0x1fffff)})
}

// profileIndex is a script's profile list turned around: for each
// trigram, its rank in every language profile that lists it.
type profileIndex struct {
	list  langProfileList
	slot  map[Lang]int
	langs []Lang // by slot
	ranks map[packedTrigram][]langRank
	// The ranks again, in a table of their own (open addressing, at most
	// half full), which a text's few hundred look-ups read faster than
	// the map: keys[h] is a trigram whose ranks are vals[at[h]-1], and
	// at[h] is 0 where no trigram is.
	keys []packedTrigram
	at   []int32
	vals [][]langRank
	bits uint
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
			x = &profileIndex{list: list, slot: map[Lang]int{}, ranks: map[packedTrigram][]langRank{}}
			for lang, trigrams := range list {
				s := len(x.slot)
				x.slot[lang] = s
				x.langs = append(x.langs, lang)
				for i, t := range trigrams {
					// A text's trigrams are three runes: another
					// string would never be found in one.
					if r := []rune(t); len(r) == 3 {
						k := pack(r[0], r[1], r[2])
						x.ranks[k] = append(x.ranks[k], langRank{s, i})
					}
				}
			}
			size, bits := 16, uint(4)
			for size < 2*len(x.ranks) {
				size, bits = size*2, bits+1
			}
			x.keys, x.at, x.bits = make([]packedTrigram, size), make([]int32, size), bits
			for k, r := range x.ranks {
				h := tableSlot(k, bits)
				for x.at[h] != 0 {
					h = (h + 1) & (size - 1)
				}
				x.vals = append(x.vals, r)
				x.keys[h], x.at[h] = k, int32(len(x.vals))
			}
		})
		return x
	}
}

// tableSlot is where trigram t's search starts in a table of 1<<bits
// slots.
func tableSlot(t packedTrigram, bits uint) int {
	return int(uint64(t) * 0x9E3779B97F4A7C15 >> (64 - bits))
}

// lookup returns the ranks of trigram t, as x.ranks[t] does.
func (x *profileIndex) lookup(t packedTrigram) []langRank {
	mask := len(x.keys) - 1
	for h := tableSlot(t, x.bits); x.at[h] != 0; h = (h + 1) & mask {
		if x.keys[h] == t {
			return x.vals[x.at[h]-1]
		}
	}
	return nil
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
// Entries of trigramWeights counted 0 times are skipped (countTable's
// empty slots).
func (x *profileIndex) distances(trigramWeights []trigramCount) (dist, hits []int) {
	both := make([]int, 2*len(x.langs))
	dist, hits = both[:len(x.langs)], both[len(x.langs):]
	for _, tw := range trigramWeights {
		if tw.n == 0 {
			continue
		}
		for _, r := range x.lookup(tw.t) {
			dist[r.slot] += (maxTrigramDistance - r.rank) * tw.n
			hits[r.slot]++
		}
	}
	return dist, hits
}

// trigramCount is one of a text's trigrams and how often it occurs.
type trigramCount struct {
	t packedTrigram
	n int
}

// countRunes is count with the trigrams as three packed runes instead of
// strings: the same trigrams with the same counts, without a string (and
// the two rune slices) made for each. Each trigram comes once, in no
// particular order.
func countRunes(input string) []trigramCount {
	table := countTable(input, nil)
	counts := make([]trigramCount, 0, len(table))
	for _, c := range table {
		if c.n > 0 {
			counts = append(counts, c)
		}
	}
	return counts
}

// countTable counts the trigrams of input (see countRunes) in a table of
// their own (open addressing, at most two thirds full) instead of a map,
// which for a few hundred integer keys costs less; its empty slots are
// counted 0 times. The table is made in buf when buf is large enough.
func countTable(input string, buf []trigramCount) []trigramCount {
	size, bits := 16, uint(4)
	for size*2 < 3*(len(input)+1) { // a trigram per rune, at most
		size, bits = size*2, bits+1
	}
	table := buf[:0]
	if cap(table) >= size {
		table = table[:size]
		for i := range table {
			table[i] = trigramCount{}
		}
	} else {
		table = make([]trigramCount, size)
	}
	r1, r2 := ' ', rune(0)
	first, last := true, false
	for i := 0; i <= len(input); {
		var r3 rune
		if i == len(input) {
			if first {
				break
			}
			r3, last = ' ', true // count puts a space after the last rune
			i++
		} else {
			ir, n := rune(input[i]), 1
			if ir >= utf8.RuneSelf {
				ir, n = utf8.DecodeRuneInString(input[i:])
			}
			i += n
			switch {
			case 'a' <= ir && ir <= 'z':
				r3 = ir // an ASCII letter is no stop character and lower case
			case 'A' <= ir && ir <= 'Z':
				r3 = ir + 'a' - 'A'
			default:
				r3 = unicode.ToLower(toTrigramChar(ir))
			}
			if first {
				r2, first = r3, false
				continue
			}
		}
		if !(r2 == ' ' && (r1 == ' ' || r3 == ' ')) {
			t := pack(r1, r2, r3)
			h := tableSlot(t, bits)
			for table[h].n > 0 && table[h].t != t {
				h = (h + 1) & (size - 1)
			}
			if table[h].n == 0 {
				table[h].t = t
			}
			table[h].n++
		}
		r1, r2 = r2, r3
		if last {
			break
		}
	}
	return table
}

// tables holds countTable's tables between detections (pointers to
// them, so that putting one back allocates nothing); a table for a text
// longer than maxPooledTable slots is not kept.
var tables = sync.Pool{New: func() interface{} { return new([]trigramCount) }}

const maxPooledTable = 1 << 13

// detectScript is DetectScript with a shortcut for ASCII letters, most of
// a Latin-script text: such a letter is Latin and of no other script, so
// it counts for Latin at once instead of being looked up in all 23
// scripts' tables. The counts, the order of the counters and so the
// result are the same.
func detectScript(text string) *unicode.RangeTable {
	halfLen := len(text) / 2

	scriptCounter := []scriptCounter{
		{isLatin, unicode.Latin, 0},
		{isCyrillic, unicode.Cyrillic, 0},
		{isArabic, unicode.Arabic, 0},
		{isDevanagari, unicode.Devanagari, 0},
		{isHiraganaKatakana, _HiraganaKatakana, 0},
		{isEthiopic, unicode.Ethiopic, 0},
		{isHebrew, unicode.Hebrew, 0},
		{isBengali, unicode.Bengali, 0},
		{isGeorgian, unicode.Georgian, 0},
		{isHan, unicode.Han, 0},
		{isHangul, unicode.Hangul, 0},
		{isGreek, unicode.Greek, 0},
		{isKannada, unicode.Kannada, 0},
		{isTamil, unicode.Tamil, 0},
		{isThai, unicode.Thai, 0},
		{isGujarati, unicode.Gujarati, 0},
		{isGurmukhi, unicode.Gurmukhi, 0},
		{isTelugu, unicode.Telugu, 0},
		{isMalayalam, unicode.Malayalam, 0},
		{isOriya, unicode.Oriya, 0},
		{isMyanmar, unicode.Myanmar, 0},
		{isSinhala, unicode.Sinhala, 0},
		{isKhmer, unicode.Khmer, 0},
	}
	latin := 0 // where the Latin counter is

	for _, ch := range text {
		if ch < utf8.RuneSelf && ('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z') {
			scriptCounter[latin].count++
			if scriptCounter[latin].count > halfLen {
				return unicode.Latin
			}
			if latin > 0 {
				scriptCounter[latin], scriptCounter[latin-1] = scriptCounter[latin-1], scriptCounter[latin]
				latin--
			}
			continue
		}
		if isStopChar(ch) {
			continue
		}

		for i, sc := range scriptCounter {
			if sc.checkFunc(ch) {
				scriptCounter[i].count++
				if scriptCounter[i].count > halfLen {
					return sc.script
				}

				//if script is found, move it closer to the front so that it be checked first.
				if i > 0 {
					scriptCounter[i], scriptCounter[i-1] = scriptCounter[i-1], scriptCounter[i]
				}
			}
		}
		for i := range scriptCounter {
			if scriptCounter[i].script == unicode.Latin {
				latin = i
			}
		}
	}

	//find the script that occurs the most in the text and return it.
	jpCount := 0
	max := 0
	maxScript := &unicode.RangeTable{}
	for _, script := range scriptCounter {
		if script.count > max {
			max = script.count
			maxScript = script.script
			if script.script == _HiraganaKatakana {
				jpCount = max
			}
		}
	}

	switch {
	case max == 0:
		//if no valid script is detected, return nil.
		return nil
	case max != 0 && (maxScript == unicode.Han && jpCount > 0):
		// If Hiragana or Katakana is included, even if judged as Mandarin,
		// it is regarded as Japanese. Japanese uses Kanji (unicode.Han)
		// in addition to Hiragana and Katakana.
		return _HiraganaKatakana
	default:
		return maxScript
	}
}

// detectLangInIndex is detectLangInProfiles with the distances summed
// from the index: the same languages with the same distances and trigram
// counts. Of the languages only the two that calculateConfidence's stable
// sort would put first are kept (the first in order with the greatest
// distance, then the first other with the greatest left), so the result
// is the same without sorting them all. The languages are visited in the
// index's order, which is the profile map's order when the index was
// built, rather than in a new walk of the map: where two languages tie
// for the greatest distance, either is the first in some walk of the map.
func detectLangInIndex(text string, options Options, x *profileIndex) (Lang, float64) {
	buf := tables.Get().(*[]trigramCount)
	table := countTable(text, *buf)
	dist, hits := x.distances(table)
	if cap(table) <= maxPooledTable {
		*buf = table
		tables.Put(buf)
	}
	var top [2]langDistance
	n := 0
	for s, lang := range x.langs {
		if len(options.Whitelist) != 0 {
			if _, ok := options.Whitelist[lang]; !ok {
				continue
			}
		} else if len(options.Blacklist) != 0 {
			if _, ok := options.Blacklist[lang]; ok {
				continue
			}
		}
		d := langDistance{lang, dist[s], hits[s]}
		switch {
		case n == 0 || d.dist > top[0].dist:
			top[1], top[0] = top[0], d
		case n == 1 || d.dist > top[1].dist:
			top[1] = d
		}
		n++
	}
	switch n {
	case 0:
		return -1, 0
	case 1:
		return top[0].lang, 1
	default:
		return calculateConfidence(top[:])
	}
}
