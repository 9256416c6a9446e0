#!/usr/bin/env bash
# Rebuild third_party/gomoji, third_party/go-domdistiller,
# third_party/whatlanggo, third_party/go-trafilatura,
# third_party/go-htmldate and third_party/go-readability: the libraries
# (linked by digest/feed, directly or through go-trafilatura) with the
# tables and regular expressions they built in package initialisers built
# on first use instead.
#
# Every process that links them paid for those tables before main, though
# only a gather ever reads them: gomoji's map of 4,700 emojis (0.98 MB
# allocated) and go-domdistiller's three Unicode range tables, built by
# listing every rune of their ranges (1.7 MB), are read by full-text
# extraction; whatlanggo's trigram profiles of 84 languages (0.35 MB) by
# language detection. With them (and our own packages' regular
# expressions, internal/lazyre) made lazy, `digest version` allocates
# under the runtime's first GC goal before main. The package-level regular
# expressions of go-trafilatura (22), go-htmldate (21), go-readability (25)
# and go-domdistiller (28) were the largest CPU cost left before main
# (~13 % of `digest version`'s samples in a perf profile, and 0.75 MB
# allocated): scripts/lazyregexp rewrites each into a value compiled on its
# first use, whose methods are those of *regexp.Regexp, so the libraries'
# code that uses them is unchanged. The patch is mechanical:
# each table becomes a function that builds it once (sync.OnceValue, or
# sync.Once where the module's go.mod predates generics) and each read a
# call; nothing else changes. go.mod points the modules here with replace
# directives; see PATCHED.md in each directory.
#
# Usage: scripts/vendor-lazy-init.sh   (the versions go.mod names)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# vendor MODULE VERSION DIR (see vendor-module.sh).
# shellcheck source=scripts/vendor-module.sh
source "$ROOT/scripts/vendor-module.sh"

# must FILE PATTERN: fail unless the patched FILE holds PATTERN, so that an
# upstream change the seds no longer fit stops the script.
must() { grep -q -- "$2" "$1" || { echo "$1: patch did not apply ($2)" >&2; exit 1; }; }

# readme DIR MODULE VERSION WHAT: write DIR/PATCHED.md.
readme() {
	cat >"$ROOT/third_party/$1/PATCHED.md" <<MD
# $2 $3, initialised on first use

This is $2 $3 (see the licence files here) without its tests, examples and code
generators, with one change made by scripts/vendor-lazy-init.sh: $4 is built the first time it is
read instead of in a package initialiser, so that commands which never extract an article
(\`digest version\`, \`digest healthcheck\`) do not pay for it. go.mod points the module here with a
replace directive. To update: change the version in go.mod and in the script, and run it.
MD
}

GOMOJI=v1.2.0
vendor github.com/forPelevin/gomoji "$GOMOJI" gomoji
G="$ROOT/third_party/gomoji"
sed -i -e 's/^package gomoji$/&\n\nimport "sync"/' \
	-e 's/^	emojiMap = map\[string\]Emoji{$/	emojiMap = sync.OnceValue(func() map[string]Emoji {\n		return map[string]Emoji{/' \
	-e 's/^	}$/	}\n	})/' "$G/data.go"
must "$G/data.go" 'emojiMap = sync.OnceValue'
sed -i -e 's/emojiMap\[/emojiMap()[/g' -e 's/emojiMapToSlice(emojiMap)/emojiMapToSlice(emojiMap())/' "$G/gomoji.go"
must "$G/gomoji.go" 'emojiMapToSlice(emojiMap())'
readme gomoji github.com/forPelevin/gomoji "$GOMOJI" "the emoji map (emojiMap)"

DOMDISTILLER=v0.0.0-20240926050704-25b8d046ffb4
vendor github.com/markusmobius/go-domdistiller "$DOMDISTILLER" go-domdistiller
W="$ROOT/third_party/go-domdistiller/internal/stringutil/word-counter.go"
sed -i -e 's/^	\(rtMatcher[0-9]\) = \(createRangeTable(.*)\)$/	\1 = sync.OnceValue(func() *unicode.RangeTable { return \2 })/' \
	-e 's/\(rtMatcher[0-9]\)\([,)]\)/\1()\2/g' -e 's/^	"strings"$/&\n	"sync"/' "$W"
[ "$(grep -c 'rtMatcher[0-9] = sync.OnceValue' "$W")" = 3 ] || { echo "$W: patch did not apply" >&2; exit 1; }
readme go-domdistiller github.com/markusmobius/go-domdistiller "$DOMDISTILLER" \
	"each of the word counter's Unicode range tables (internal/stringutil)"

WHATLANGGO=v0.0.0-20240916001553-aac1f0f737fc
vendor github.com/RadhiFadlillah/whatlanggo "$WHATLANGGO" whatlanggo
L="$ROOT/third_party/whatlanggo"
# Its go.mod says go 1.12: no generics, so a sync.Once in a helper.
PROFILES='latinLangs\|cyrillicLangs\|arabicLangs\|devanagariLangs\|ethiopicLangs\|hebrewLangs'
sed -i -e "s/^var \($PROFILES\) = langProfileList{\$/var \1 = lazyProfiles(func() langProfileList {\n\treturn langProfileList{/" \
	-e "/^var \($PROFILES\) = lazyProfiles/,/^}\$/ s/^}\$/}\n})/" "$L/lang.go"
[ "$(grep -c '= lazyProfiles(' "$L/lang.go")" = 6 ] || { echo "$L/lang.go: patch did not apply" >&2; exit 1; }
cat >>"$L/lang.go" <<'GO'

// lazyProfiles returns a function that builds a profile list on its first
// call and returns the same list on every call.
func lazyProfiles(build func() langProfileList) func() langProfileList {
	var once sync.Once
	var l langProfileList
	return func() langProfileList {
		once.Do(func() { l = build() })
		return l
	}
}
GO
sed -i 's/^package whatlanggo$/&\n\nimport "sync"/' "$L/lang.go"
sed -i "s/options, \($PROFILES\))/options, \1())/" "$L/detect.go"
[ "$(grep -c 'Langs())' "$L/detect.go")" = 6 ] || { echo "$L/detect.go: patch did not apply" >&2; exit 1; }
# Second change: a text's trigrams are looked up in an index of the
# script's profiles (trigram -> its rank in each language that has it),
# once each, instead of each language's 300 profile trigrams being looked
# up in the text's trigrams: 300 map reads per language (12,000 for the
# Latin script's 40) were most of a gather's CPU on a first run. The sums
# are the same integers, the languages are visited in the same (map) order,
# so the result is the same.
cat >"$L/index.go" <<'GO'
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
GO
cat >"$L/index_test.go" <<'GO'
package whatlanggo

import "testing"

// TestIndexDistances checks that countRunes finds the trigrams count
// finds, and that the index gives every language of every script the
// distance and trigram count that calculateDistance gives, on texts in
// several languages and scripts, short and malformed ones; so do the
// index's table (lookup) and the counts made in a table used before
// (countTable).
func TestIndexDistances(t *testing.T) {
	texts := []string{
		"The trade ministry will publish a consultation next month, and industry groups have asked for safeguard measures.",
		"Le ministère du commerce publiera une consultation le mois prochain; les industriels demandent des mesures de sauvegarde.",
		"Das Handelsministerium wird im nächsten Monat eine Konsultation veröffentlichen, die Industrie fordert Schutzmaßnahmen.",
		"El ministerio de comercio publicará una consulta el próximo mes y la industria pide medidas de salvaguardia.",
		"Министерство торговли опубликует консультацию в следующем месяце, промышленность просит защитных мер.",
		"ستنشر وزارة التجارة مشاورة الشهر المقبل وطلبت مجموعات الصناعة تدابير وقائية",
		"व्यापार मंत्रालय अगले महीने परामर्श प्रकाशित करेगा और उद्योग समूहों ने सुरक्षा उपायों की मांग की है",
		"משרד הסחר יפרסם התייעצות בחודש הבא וקבוצות התעשייה ביקשו אמצעי הגנה",
		"የንግድ ሚኒስቴር በሚቀጥለው ወር ምክክር ያትማል",
		"", "a", "  x  y ", "Bad \xff utf-8 \xe2\x82 bytes, 12.5% more",
		"Tokyo の東京都 Shibuya 区で trade fair", "Mixed Ελληνικά and English words, mostly English words here",
		"Ελληνικά κείμενα με λίγα Latin", "中文 text 中文 中文", "ab Жж ab Жж Жж",
	}
	indexes := map[string]func() *profileIndex{"latin": latinLangsIndex, "cyrillic": cyrillicLangsIndex,
		"devanagari": devanagariLangsIndex, "hebrew": hebrewLangsIndex, "ethiopic": ethiopicLangsIndex, "arabic": arabicLangsIndex}
	found := 0
	var dirty []trigramCount
	for name, index := range indexes {
		x := index()
		for k, r := range x.ranks {
			if got := x.lookup(k); len(got) != len(r) || &got[0] != &r[0] {
				t.Fatalf("%s: lookup(%q) is not ranks[%q]", name, k.String(), k.String())
			}
		}
		if x.lookup(pack('\x00', '\x00', '\x00')) != nil || x.lookup(pack('q', 'q', 'q')) != nil {
			t.Fatalf("%s: lookup finds a trigram no profile has", name)
		}
		for _, text := range texts {
			w := count(text)
			rw := countRunes(text)
			if len(rw) != len(w) {
				t.Fatalf("%.30q: %d trigrams, count gives %d", text, len(rw), len(w))
			}
			seen := map[packedTrigram]bool{}
			for _, c := range rw {
				if w[c.t.String()] != c.n {
					t.Fatalf("%.30q: %q %d times, count gives %d", text, c.t.String(), c.n, w[c.t.String()])
				}
				if seen[c.t] {
					t.Fatalf("%.30q: %q twice", text, c.t.String())
				}
				seen[c.t] = true
			}
			if got, want := detectScript(text), DetectScript(text); got != want {
				t.Fatalf("%.30q: detectScript %v, DetectScript %v", text, Scripts[got], Scripts[want])
			}
			dist, hits := x.distances(rw)
			// The table of counts as detection reads it: made in a
			// table another text was counted in.
			dirty = countTable(text, dirty)
			if d2, h2 := x.distances(dirty); !equalInts(d2, dist) || !equalInts(h2, hits) {
				t.Fatalf("%s, %.30q: distances from the table %v/%v, from the counts %v/%v", name, text, d2, h2, dist, hits)
			}
			dirty = countTable(texts[0], dirty)
			for lang, trigrams := range x.list {
				d, n := calculateDistance(trigrams, w)
				if dist[x.slot[lang]] != d || hits[x.slot[lang]] != n {
					t.Fatalf("%s, %s, %.30q: index %d/%d, calculateDistance %d/%d", name, lang, text,
						dist[x.slot[lang]], hits[x.slot[lang]], d, n)
				}
				found += n
			}
		}
	}
	if found == 0 {
		t.Fatal("no trigram found in any profile")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDetectLangInIndex checks that detectLangInIndex returns the language
// and confidence that detectLangInProfiles returns, on every text above
// and on windows of all of them joined, with and without a whitelist.
// Where two languages tie for the greatest distance, both pick the first
// in the profile map's order, which differs between two walks of the map:
// there either tied language will do.
func TestDetectLangInIndex(t *testing.T) {
	texts := []string{
		"The trade ministry will publish a consultation next month, and industry groups have asked for safeguard measures.",
		"Le ministère du commerce publiera une consultation le mois prochain; les industriels demandent des mesures de sauvegarde.",
		"Das Handelsministerium wird im nächsten Monat eine Konsultation veröffentlichen, die Industrie fordert Schutzmaßnahmen.",
		"El ministerio de comercio publicará una consulta el próximo mes y la industria pide medidas de salvaguardia.",
		"O ministério do comércio publicará uma consulta no próximo mês e a indústria pede medidas de salvaguarda.",
		"Министерство торговли опубликует консультацию в следующем месяце, промышленность просит защитных мер.",
		"ستنشر وزارة التجارة مشاورة الشهر المقبل وطلبت مجموعات الصناعة تدابير وقائية",
		"", "a", "  x  y ", "Bad \xff utf-8 \xe2\x82 bytes, 12.5% more", "nul \x00\x00\x00 runes",
	}
	joined := ""
	for _, s := range texts {
		joined += s + " "
	}
	for n := 1; n < len(joined); n += 7 {
		from, to := n-90, n+600
		if from < 0 {
			from = 0
		}
		if to > len(joined) {
			to = len(joined)
		}
		texts = append(texts, joined[from:n], joined[n:to])
	}
	indexes := []*profileIndex{latinLangsIndex(), cyrillicLangsIndex(), arabicLangsIndex()}
	options := []Options{{}, {Whitelist: map[Lang]bool{Eng: true, Fra: true, Rus: true}}, {Whitelist: map[Lang]bool{Deu: true}}}
	checked := 0
	for _, x := range indexes {
		for _, o := range options {
			for _, text := range texts {
				lang, conf := detectLangInIndex(text, o, x)
				want, wantConf := detectLangInProfiles(text, o, x.list)
				if lang == want && conf == wantConf {
					checked++
					continue
				}
				// A tie: lang must have want's distance.
				w := count(text)
				d1, _ := calculateDistance(x.list[lang], w)
				d2, _ := calculateDistance(x.list[want], w)
				if lang < 0 || want < 0 || d1 != d2 {
					t.Fatalf("%.40q: %v (%v), detectLangInProfiles %v (%v)", text, lang, conf, want, wantConf)
				}
			}
		}
	}
	if checked < len(texts) {
		t.Fatalf("only %d of %d detections compared exactly", checked, len(texts)*len(indexes)*len(options))
	}
}
GO
sed -i "s/detectLangInProfiles(text, options, \($PROFILES\)())/detectLangInIndex(text, options, \1Index())/" "$L/detect.go"
[ "$(grep -c 'LangsIndex())' "$L/detect.go")" = 6 ] || { echo "$L/detect.go: index patch did not apply" >&2; exit 1; }
# Third: DetectWithOptions finds the script with detectScript (index.go),
# which counts an ASCII letter for Latin without asking the other 22
# scripts' tables: the same counts, so the same script.
sed -i 's/^	script := DetectScript(text)$/	script := detectScript(text)/' "$L/detect.go"
must "$L/detect.go" 'script := detectScript(text)'
readme whatlanggo github.com/RadhiFadlillah/whatlanggo "$WHATLANGGO" \
	"each script's list of trigram profiles (latinLangs and the five others)"
cat >>"$L/PATCHED.md" <<'MD'

A second change (index.go): the text's trigrams are looked up in an index of each script's
profiles, once each, instead of every language's 300 profile trigrams in the text's, and are
counted as three runes packed in an integer (countRunes, in a small open-addressing table)
instead of strings in a map; only the two best languages are kept instead of all being
sorted; the same sums and order, so the same result, at a fraction of the CPU (see the script). DetectWithOptions
finds the script with detectScript, which counts an ASCII letter for Latin without looking it up
in every script's table (the same counts, so the same script). The index's trigrams are also
held in an open-addressing table of their own (lookup), the counting tables are reused
(a sync.Pool), and the languages are visited in the index's order.
MD

# Package-level regular expressions compiled on first use (scripts/lazyregexp;
# it prints each file changed and how many; the counts are checked below so
# that an upstream change shows).
TRAFILATURA=v1.12.2
vendor github.com/markusmobius/go-trafilatura "$TRAFILATURA" go-trafilatura
HTMLDATE=v1.9.1
vendor github.com/markusmobius/go-htmldate "$HTMLDATE" go-htmldate
READABILITY=v0.0.0-20241012063810-92284fa8a71f
vendor github.com/go-shiori/go-readability "$READABILITY" go-readability
PROCFS=v0.22.0 # linked by prometheus's process collector
vendor github.com/prometheus/procfs "$PROCFS" procfs
lazy() { # DIR EXPECTED: make DIR's regular expressions lazy, EXPECTED of them in all
	local n
	n=$(cd "$ROOT" && go run ./scripts/lazyregexp "$ROOT/third_party/$1" | awk -F': ' '{ s += $NF } END { print s + 0 }')
	[ "$n" = "$2" ] || { echo "third_party/$1: $n regular expressions made lazy, expected $2" >&2; exit 1; }
}
lazy go-trafilatura 22
lazy go-htmldate 21
lazy go-readability 25
lazy go-domdistiller 28
lazy procfs 32
for d in go-trafilatura go-htmldate go-readability procfs; do
	readme "$d" "$(sed -n 's/^module //p' "$ROOT/third_party/$d/go.mod")" \
		"$(case $d in go-trafilatura) echo "$TRAFILATURA" ;; go-htmldate) echo "$HTMLDATE" ;; procfs) echo "$PROCFS" ;; *) echo "$READABILITY" ;; esac)" \
		"each package-level regular expression (scripts/lazyregexp, lazyregexp.go)"
done
cat >>"$ROOT/third_party/go-domdistiller/PATCHED.md" <<'MD'

A second change: each package-level regular expression is compiled the first time it is used
(scripts/lazyregexp, lazyregexp.go in each package it changed).
MD

# Package-level tables built by code (maps, lists of regular expressions,
# the loggers of go-htmldate and go-trafilatura, which their init functions
# made) built on first use (scripts/lazyvars; lazyvalue.go in each package
# changed): with no initialiser left in these packages, a process that
# never extracts an article neither allocates the tables nor pages in the
# code and data that built them (~1.3 MB less RSS for `digest version`
# with our own packages' tables, issue 17).
lazyvars() { (cd "$ROOT" && go run ./scripts/lazyvars "$@" >/dev/null); }
M='map[string]struct{}'
for d in go-htmldate go-trafilatura; do
	# The logger set in init() becomes a value built by a function.
	perl -0pi -e 's/var log zerolog\.Logger\n\nfunc init\(\) \{\n\tlog = (.*?)\n\}\n/var log = func() *zerolog.Logger {\n\tl := $1\n\treturn &l\n}()\n/s' \
		"$ROOT/third_party/$d/core.go"
	must "$ROOT/third_party/$d/core.go" 'var log = func() \*zerolog.Logger {'
done
lazyvars third_party/go-htmldate log='*zerolog.Logger' defaultMinDate=time.Time defaultMaxDate=time.Time \
	monthNumber='map[string]int' dateAttributes="$M" propertyModified="$M" attrModifiedNames="$M" attrPublishClasses="$M" \
	itemPropAttrKeys="$M" itemPropOriginal="$M" itemPropModified="$M" rxThreeComponents mapTimezoneNames
lazyvars third_party/go-trafilatura log='*zerolog.Logger' basicCleaningSelector=string $(for v in allowedAttributes \
	elementWithSizeAttr emptyTagsToRemove formatTagCatalog mapXmlCellTags mapXmlGraphicTags mapXmlHeadTags mapXmlHiTags \
	mapXmlItemTags mapXmlLbTags mapXmlListTags mapXmlQuoteTags mapXmlRefTags metaNameAuthor metaNameDescription \
	metaNameImage metaNamePublisher metaNameTag metaNameTitle tagCatalog tagsToClean tagsToSanitize tagsToStrip \
	validTagCatalog; do echo "$v=$M"; done)
lazyvars third_party/go-readability divToPElems="$M" unlikelyRoles="$M"
DD=third_party/go-domdistiller/internal
lazyvars $DD/markup/schemaorg schemaTypeURLs tagAttributeMap
lazyvars $DD/stringutil rtMatcher1 rtMatcher2 rtMatcher3
lazyvars $DD/domutil allowedAttributes elementWithSizeAttr
lazyvars $DD/pagination/pattern badPageParamNames
lazyvars $DD/tableclass ariaRoles ariaTableDescendantRoles ariaTableRoles headerTags objectTags
lazyvars $DD/webdoc inlineTagNames lazyImageAttrs
lazyvars $DD/extractor/embed relevantImageTags relevantTwitterTags relevantVimeoTags relevantYouTubeTags
lazyvars $DD/converter unlikelyRoles
lazyvars $DD/filter/heuristic rxDtmLongestPartPatterns='[]*regexp.Regexp' rxDtmPotentialTitlePatterns='[]*regexp.Regexp' \
	rxDtmPotentialTitleReplacePatterns='[]*regexp.Regexp'
lazyvars third_party/gomoji emojiMap
for d in go-htmldate go-trafilatura go-readability go-domdistiller; do
	cat >>"$ROOT/third_party/$d/PATCHED.md" <<'MD'

Another change: package-level tables built by code (maps, lists of regular expressions, the
logger an init function made) are built the first time they are read (scripts/lazyvars,
lazyvalue.go in each package it changed), so that no initialiser is left to run for them.
MD
done

# The whole copies are gofmt-ed: the repository keeps every Go file formatted.
gofmt -w "$G" "$ROOT/third_party/go-domdistiller" "$L" "$ROOT/third_party/go-trafilatura" \
	"$ROOT/third_party/go-htmldate" "$ROOT/third_party/go-readability" "$ROOT/third_party/procfs"
echo "third_party/gomoji ($GOMOJI), third_party/go-domdistiller ($DOMDISTILLER) and" \
	"third_party/whatlanggo ($WHATLANGGO): tables made lazy; go-trafilatura ($TRAFILATURA)," \
	"go-htmldate ($HTMLDATE), go-readability ($READABILITY), go-domdistiller: regular expressions"
