package cluster

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/rank/terms"
)

// minShingles is the fewest word shingles a text needs before its SimHash
// is trusted; shorter texts collide too easily.
const minShingles = 12

// pseudoDocs are imagined documents, sharing no word with the batch, added
// to the batch size in inverse document frequencies. Without them a word
// two articles share weighs little in a batch of two and much in a batch
// of a hundred, and the same pair of reports would be one story or two
// depending on what else arrived. With 20, a pair scores alike alone and
// in the labelled set (see TestEvaluateIsolatedPairs).
const pseudoDocs = 20

// doc is what the clusterer knows about one article.
type doc struct {
	// identity is digest.IdentityKey: empty when the content cannot
	// identify the article.
	identity string
	url      string
	outlet   string // lower-cased outlet name, else source ID; "" when unknown
	when     time.Time
	leadText string  // title and opening sentences, for embeddings
	lead     vector  // TF-IDF of title and opening sentences
	body     vector  // TF-IDF of title and whole text
	entities []entry // named entities and figures, weighted by IDF
	simhash  uint64
	shingles int
	title    []titleWord // for the slot conflict test
}

// mentions reports whether the article's title or text contains the word
// with dictionary id k (body is sorted by id).
func (d *doc) mentions(k int32) bool {
	if k < 0 {
		return false
	}
	_, ok := slices.BinarySearchFunc(d.body, k, func(e entry, k int32) int { return int(e.id - k) })
	return ok
}

// entry is one weighted feature.
type entry struct {
	id int32
	w  float64
	// head marks an entity that counts as one name: the last word of a
	// multi-word name ("Trump" of "Donald Trump"), a lone name or a
	// figure. Runs and first names weigh in the overlap but are not
	// counted again, so one shared person is one shared entity.
	head bool
}

// vector is a sparse vector sorted by id, normalised to unit length.
type vector []entry

// cosine returns the dot product of two unit vectors.
func (v vector) cosine(o vector) float64 {
	var s float64
	i, j := 0, 0
	for i < len(v) && j < len(o) {
		switch {
		case v[i].id == o[j].id:
			s += v[i].w * o[j].w
			i++
			j++
		case v[i].id < o[j].id:
			i++
		default:
			j++
		}
	}
	return s
}

// entityOverlap returns how many entities two sets share and their IDF
// weighted overlap, normalised by the geometric mean of the two sets'
// weights (a cosine of binary vectors): a short text with three names that
// all recur in a long one is not thereby the same story.
func entityOverlap(a, b []entry) (int, float64) {
	var shared int
	var sw, wa, wb float64
	for _, e := range a {
		wa += e.w
	}
	for _, e := range b {
		wb += e.w
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].id == b[j].id:
			if a[i].head || b[j].head {
				shared++
			}
			sw += a[i].w
			i++
			j++
		case a[i].id < b[j].id:
			i++
		default:
			j++
		}
	}
	if shared == 0 {
		return 0, 0
	}
	return shared, sw / math.Sqrt(wa*wb)
}

// analyse computes the features of every article. Inverse document
// frequencies come from the batch itself (plus pseudoDocs), so words every
// article uses ("trade", "said") weigh little.
func analyse(articles []digest.Article, leadSentences int) []doc {
	dict := map[string]int32{}
	id := func(s string) int32 {
		if v, ok := dict[s]; ok {
			return v
		}
		v := int32(len(dict))
		dict[s] = v
		return v
	}
	type counts map[int32]float64
	leadTF := make([]counts, len(articles))
	bodyTF := make([]counts, len(articles))
	ents := make([]map[int32]bool, len(articles)) // id → head
	docs := make([]doc, len(articles))
	df := map[int32]int{}
	for i, a := range articles {
		text := a.Text
		sents := terms.Sentences(text)
		title := a.Title
		if strings.TrimSpace(title) == "" && len(sents) > 0 {
			title = sents[0]
		}
		lead := title
		for k := 0; k < min(leadSentences, len(sents)); k++ {
			lead += "\n" + sents[k]
		}
		d := &docs[i]
		d.url, d.when, d.leadText = a.URL, a.Published, lead
		d.outlet = strings.ToLower(strings.TrimSpace(a.SourceName))
		if d.outlet == "" {
			d.outlet = a.SourceID
		}
		// Places are made canonical ("Beijing", "Chinese" → China) for
		// every signal but the near-duplicate fingerprint, which is about
		// the words as written.
		rawText := terms.Tokens(text)
		titleToks, textToks := canonicalPlaces(terms.Tokens(title)), canonicalPlaces(rawText)
		leadTF[i] = counts{}
		for _, t := range canonicalPlaces(terms.Tokens(lead)) {
			if !terms.IsStopword(t.Word) {
				leadTF[i][id(t.Stem)]++
			}
		}
		// The title counts twice in the body vector: it names the event.
		bodyTF[i] = counts{}
		for _, t := range titleToks {
			if !terms.IsStopword(t.Word) {
				bodyTF[i][id(t.Stem)] += 2
			}
		}
		capText := map[string]bool{}
		for _, t := range textToks {
			if !terms.IsStopword(t.Word) {
				bodyTF[i][id(t.Stem)]++
			}
			if t.Cap {
				capText[t.Word] = true
			}
		}
		d.title = titleWords(titleToks, capText, id)
		ents[i] = map[int32]bool{}
		for _, e := range entities(titleToks, textToks) {
			k := id("\x00" + e.key)
			ents[i][k] = ents[i][k] || e.head
		}
		// Every lead term is also a body term, so the body's terms give
		// each word's document frequency once.
		for k := range bodyTF[i] {
			df[k]++
		}
		for k := range ents[i] {
			df[k]++
		}
		d.simhash, d.shingles = simhash(rawText)
		d.identity = identity(a)
	}
	n := float64(len(articles))
	idf := func(k int32) float64 { return math.Log(1 + (n+pseudoDocs)/float64(df[k])) }
	for i := range docs {
		docs[i].lead = tfidf(leadTF[i], idf)
		docs[i].body = tfidf(bodyTF[i], idf)
		for k, head := range ents[i] {
			docs[i].entities = append(docs[i].entities, entry{k, idf(k), head})
		}
		slices.SortFunc(docs[i].entities, func(a, b entry) int { return int(a.id - b.id) })
	}
	return docs
}

// identity returns the key under which two articles are the same article:
// the store's identity key (title and a long enough text, see
// digest.IdentityKey).
func identity(a digest.Article) string { return digest.IdentityKey(a) }

// tfidf builds a unit vector with sublinear term frequency.
func tfidf(tf map[int32]float64, idf func(int32) float64) vector {
	v := make(vector, 0, len(tf))
	var norm float64
	for k, c := range tf {
		w := (1 + math.Log(c)) * idf(k)
		v = append(v, entry{id: k, w: w})
		norm += w * w
	}
	if norm == 0 {
		return nil
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i].w /= norm
	}
	slices.SortFunc(v, func(a, b entry) int { return int(a.id - b.id) })
	return v
}

// entity is a name or figure found in a text.
type entity struct {
	key  string
	head bool // see entry.head
}

// entities returns the names and figures in a token stream: capitalised
// words that are not merely the start of a sentence, each with its
// multi-word run ("Helena Marwick"), and numbers of two or more characters
// ("62.9%", "140000"). Years are kept: "2027" is weak evidence, but
// evidence.
func entities(parts ...[]terms.Token) []entity {
	// A word that opens a sentence counts as a name when the text also
	// uses it capitalised elsewhere ("Turkey's trade ministry ..." and
	// "... to Turkey").
	capElsewhere := map[string]bool{}
	for _, toks := range parts {
		for _, t := range toks {
			if t.Cap {
				capElsewhere[t.Word] = true
			}
		}
	}
	idx := map[string]int{}
	var out []entity
	add := func(key string, head bool) {
		if i, ok := idx[key]; ok {
			out[i].head = out[i].head || head
			return
		}
		idx[key] = len(out)
		out = append(out, entity{key, head})
	}
	var run []string
	flush := func() {
		for i, w := range run {
			add(w, i == len(run)-1)
		}
		if len(run) > 1 {
			add(strings.Join(run, " "), false)
		}
		run = run[:0]
	}
	for _, toks := range parts {
		for k, t := range toks {
			isNum := t.Word != "" && t.Word[0] >= '0' && t.Word[0] <= '9'
			// A capitalised sentence opener followed by a name starts a
			// run ("European Commission will ...").
			opensName := t.SentenceStart && k+1 < len(toks) && toks[k+1].Cap && startsUpper(t)
			switch {
			case isNum:
				flush()
				if len(t.Word) >= 2 {
					add("#"+strings.TrimRight(t.Word, "."), true)
				}
			case (t.Cap || (t.SentenceStart && capElsewhere[t.Word]) || opensName) && !terms.IsStopword(t.Word) && !calendarWords[t.Word]:
				run = append(run, t.Stem)
			default:
				flush()
			}
		}
		flush() // a name does not run from the title into the text
	}
	flush()
	return out
}

// calendarWords are capitalised but name no entity: two reports "on
// Wednesday" are not thereby about one event.
var calendarWords = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
	"january": true, "february": true, "march": true, "april": true, "june": true, "july": true,
	"august": true, "september": true, "october": true, "november": true, "december": true,
}

// startsUpper reports whether the token was written with a capital; the
// tokenizer only records that for words inside a sentence.
func startsUpper(t terms.Token) bool { return t.Surface != "" && unicode.IsUpper([]rune(t.Surface)[0]) }

// simhash returns the 64-bit SimHash of the word 3-shingles of toks and the
// number of shingles.
func simhash(toks []terms.Token) (uint64, int) {
	if len(toks) < 3 {
		return 0, 0
	}
	words := make([]uint64, len(toks))
	for i, t := range toks {
		words[i] = fnv64(t.Word)
	}
	var acc [64]int32
	n := 0
	for i := 0; i+3 <= len(words); i++ {
		x := mix(words[i] ^ bits.RotateLeft64(words[i+1], 21) ^ bits.RotateLeft64(words[i+2], 42))
		for b := range acc {
			acc[b] += int32(x>>uint(b)&1)*2 - 1
		}
		n++
	}
	var out uint64
	for b, v := range acc {
		if v > 0 {
			out |= 1 << uint(b)
		}
	}
	return out, n
}

// fnv64 is FNV-1a without the hash.Hash allocation.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix spreads FNV's weak high bits (splitmix64 finaliser).
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hamming(a, b uint64) int { return bits.OnesCount64(a ^ b) }
