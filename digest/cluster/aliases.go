package cluster

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// Outlets name one body in different ways: by its acronym ("IEEPA", "the
// International Emergency Economic Powers Act"), or by a nickname
// ("Threadneedle Street" for the Bank of England). Two paraphrased reports
// of one event often share no other name, so the clusterer gives each
// article extra entity keys, starting with '=', under which such names
// meet: an acronym written in capitals is the key itself ("=ofac"), a run
// of capitalised words adds the key of its initials ("Office of Foreign
// Assets Control" adds "=ofac"), and a nickname adds its body's key.

// nicknameTable lists names that stand for a body whose acronym or name
// they do not spell, one body a line: its key (the acronym of its name),
// then the nicknames, matched like places (see placeTable).
const nicknameTable = `
boe: Threadneedle Street, Old Lady of Threadneedle Street
fed: Fed, Federal Reserve, Federal Reserve Board
ustr: US Trade Representative, U.S. Trade Representative
`

// nicknames maps lower-case word sequences to keys.
var nicknames = lazy.Value[placeTrie]{Build: func() placeTrie { return newPlaceTrie(nicknameTable, "=") }}

// Acronyms are 2 to 6 letters; a run's initials make a key only from 3
// letters up, because two-letter initials of personal names ("Tim
// Morrison", "Tom Miller") would meet by chance.
const (
	minAcronym    = 2
	minRunAcronym = 3
	maxAcronym    = 6
)

// acronymKey returns the key of a token written as an acronym ("OFAC",
// "BoE", "PBoC": capitals, at least two of them, first and last letters
// upper case); "" otherwise. Places ("US", "EU") keep their place codes.
func acronymKey(t nlp.Token) string {
	if t.Word == "" || t.Word[0] == '@' || t.Word[0] == '&' { // places, actors (canonicalNames)
		return ""
	}
	n, upper := 0, 0
	var last rune
	for _, r := range t.Surface {
		if !unicode.IsLetter(r) {
			return ""
		}
		n++
		if unicode.IsUpper(r) {
			upper++
		}
		last = r
	}
	first, _ := utf8.DecodeRuneInString(t.Surface)
	if n < minAcronym || n > maxAcronym || upper < 2 || !unicode.IsUpper(first) || !unicode.IsUpper(last) {
		return ""
	}
	return "=" + t.Word
}

// nameConnectors may join the words of a name ("Bank of England",
// "Department for Business and Trade").
var nameConnectors = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{"of": true, "for": true, "and": true, "on": true}
}}

// alias is a key an article's names stand for (see aliasKeys).
type alias struct {
	key string
	// initials marks the initials of a run, as opposed to a nickname
	// written in the text: two articles that both spell out "Ministry of
	// Commerce" already share its words, and must not share them twice.
	initials bool
}

// aliasKeys appends to dst the keys of the runs of capitalised words and
// the nicknames in toks (places already made canonical; see the file
// comment). A run adds the initials of its capitalised words, and when it
// has connectors also the initials of all its words ("Bank of England":
// "=boe"); leading stop words ("The") are not part of a run.
func aliasKeys(dst []alias, toks []nlp.Token) []alias {
	nick := nicknames.Get()
	var capsBuf, allBuf [2 * maxAcronym]byte // longer runs make no key
	for i := 0; i < len(toks); {
		if !startsUpper(toks[i].Surface) { // most words: nothing starts here
			i++
			continue
		}
		if n, key := nick.match(toks[i:]); n > 0 {
			dst = append(dst, alias{key, false})
			i += n
			continue
		}
		if nlp.IsStopword(toks[i].Word) || isDigit(toks[i].Word[0]) {
			i++
			continue
		}
		// A run: capitalised words, with single connectors between them.
		caps, all := capsBuf[:0], allBuf[:0]
		j := i
		for j < len(toks) {
			t := toks[j]
			if j > i && t.SentenceStart {
				break
			}
			if startsUpper(t.Surface) && !isDigit(t.Word[0]) && !calendarWords.Get()[t.Word] {
				r, _ := utf8.DecodeRuneInString(t.Surface)
				c := byte(unicode.ToLower(r))
				caps, all = append(caps, c), append(all, c)
				j++
				continue
			}
			if nameConnectors.Get()[t.Word] && !t.SentenceStart && j+1 < len(toks) && startsUpper(toks[j+1].Surface) && !toks[j+1].SentenceStart {
				all = append(all, t.Word[0])
				j++
				continue
			}
			break
		}
		if len(caps) >= minRunAcronym && len(caps) <= maxAcronym {
			dst = append(dst, alias{"=" + string(caps), true})
		}
		if len(all) != len(caps) && len(all) >= minRunAcronym && len(all) <= maxAcronym {
			dst = append(dst, alias{"=" + string(all), true})
		}
		i = max(j, i+1)
	}
	return dst
}

// match returns how many tokens at the start of toks are a name of the
// trie, longest first, and its code; 0 when none is.
func (t placeTrie) match(toks []nlp.Token) (int, string) {
	if len(toks) == 0 || !startsUpper(toks[0].Surface) || !t.first.has(toks[0].Word) {
		return 0, ""
	}
	s, ok := t.steps[toks[0].Word]
	if !ok {
		return 0, ""
	}
	best, code := 0, ""
	if s.code != "" {
		best, code = 1, s.code
	}
	// The words so far are looked up without a string made of them, and
	// only while some name goes on with them: a lookup a word, where one
	// was made for each of maxPlaceWords words after a name's first.
	var buf [64]byte
	b := append(buf[:0], toks[0].Word...)
	for k := 1; s.more && k < min(maxPlaceWords, len(toks)); k++ {
		b = append(append(b, ' '), toks[k].Word...)
		if s, ok = t.steps[string(b)]; !ok {
			break
		}
		if s.code != "" {
			best, code = k+1, s.code
		}
	}
	return best, code
}

// wordFilter holds a set of words by their length and first and last
// bytes (filterKey), so that most words not in the set are passed over
// without a map lookup: it may hold words that are not in the set, never
// misses one that is. placeTrie.match tests every capitalised word of
// every text against four tries, parseLead every word of a lead against
// the goods.
type wordFilter [filterKeys / 64]uint64

// filterKeys is the number of keys filterKey gives.
const filterKeys = 32 * 32 * 32

func filterKey(w string) uint {
	return uint(min(len(w), 31))<<10 | uint(w[0]&31)<<5 | uint(w[len(w)-1]&31)
}

// add adds w to the filter.
func (f *wordFilter) add(w string) {
	if w != "" {
		k := filterKey(w)
		f[k/64] |= 1 << (k % 64)
	}
}

// has reports whether w may be in the set; false when it is not.
func (f *wordFilter) has(w string) bool {
	if w == "" {
		return false
	}
	k := filterKey(w)
	return f[k/64]&(1<<(k%64)) != 0
}

// seal returns t with the first words of its names marked (t.first) and
// its steps (see trieStep) made: call it once the trie has all its names.
func (t placeTrie) seal() placeTrie {
	t.first = new(wordFilter)
	t.steps = map[string]trieStep{}
	for name, code := range t.names {
		w, _, _ := strings.Cut(name, " ")
		t.first.add(w)
		s := t.steps[name]
		s.code = code
		t.steps[name] = s
		for k := range len(name) {
			if name[k] == ' ' {
				s := t.steps[name[:k]]
				s.more = true
				t.steps[name[:k]] = s
			}
		}
	}
	return t
}
