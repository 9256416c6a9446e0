package cluster

import (
	"cmp"
	"iter"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/nlp"
	"github.com/tradedigest/tradedigest/internal/parallel"
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

// doc is what the clusterer knows about one article. A window holds
// tens of thousands, so what only parse and weigh need, or few docs keep,
// is apart (parsed).
type doc struct {
	// ident numbers the article's digest.IdentityKey as termID numbers a
	// term (identityID; 0 when the content cannot identify the article):
	// a window's keys held as strings were ~90 bytes an article until
	// the grouping numbered them. The key itself is parsed.identity.
	ident  uint64
	url    string
	outlet string // lower-cased outlet name, else source ID; "" when unknown
	when   time.Time
	// parsed holds the term counts and title keys until weigh, and then
	// the weighed vectors that are not exact (nil for most docs).
	*parsed
	// bodyIDs are the body's term ids that a title of the batch can ask
	// mentions about (askedIDs), sorted: weighed, the body keeps only the
	// terms another article shares, and most of a text's words are in no
	// title.
	bodyIDs  []uint64
	leadDot  dotTerms
	bodyDot  dotTerms
	tab      *dotWeights // what leadDot and bodyDot are weighed by
	entities []entry     // named entities and figures, weighted by IDF
	// entityWeight is the sum of the entities' weights, in their order,
	// as entityOverlap sums them (for dotter.entityOverlap).
	entityWeight float64
	simhash      uint64
	shingles     int32
	runes        int32       // the text's length in runes, for the choice of lead
	title        []titleWord // for the slot conflict test
	// named are the title's places then its goods (term ids), for
	// placeClash and productClash (titlePlaces, titleProducts), and figs
	// the title's figures then every figure of title and text, for
	// figureClash and shareFigure (titleFigures, figures): a slice each,
	// where four took a window's worth of slice headers and allocations.
	named  []uint64
	figs   []figure
	places int32 // how many of named are places
	// titleFigs is how many of figs are the title's (see setFigures).
	titleFigs int32
	// events and actors are the frame of the lead, titleEvents the kinds
	// of events the title names (see events.go).
	events, titleEvents uint16
	// media marks an outlet's video, pictures, live page or podcast of
	// an event, or its update of a report (mediaTitle), which the
	// same-outlet bar does not apply to.
	media  bool
	actors actorWords
}

// parsed is the part of a doc that weigh lets go of: the term counts, as
// counted or as encoded, and the title words' keys.
type parsed struct {
	// lead and body are the term counts of the title and opening
	// sentences and of the title and whole text, until weigh turns them
	// into leadDot and bodyDot (TF-IDF) and lets go of them, keeping a
	// weighed vector only when its dot terms are not exact (see
	// dotTerms): a window's vectors would otherwise be held twice.
	lead, body vector
	// terms are the lead's and body's term counts as encoded (see
	// Features.Encode), which ClusterKept holds instead of the vectors
	// until weigh reads them: a window's worth of vectors is decoded
	// before any can be weighed, at 16 bytes a term where the encoding
	// takes about 10.
	terms []byte
	// titleKeys are the title words' keys (see titleWord), and identity
	// the article's identity key (see doc.ident), for Encode: parse sets
	// them, features read back from the store for a window have none.
	titleKeys []string
	identity  string
}

// vectors returns the doc's lead and body vectors: nil once weigh has let
// go of them.
func (d *doc) vectors() (lead, body vector) {
	if d.parsed == nil {
		return nil, nil
	}
	return d.lead, d.body
}

// mentions reports whether the article's title or text contains the word
// with dictionary id k, which must be one that askedIDs gives for a title
// of the batch (bodyIDs has no other).
func (d *doc) mentions(k uint64) bool {
	if k == 0 {
		return false
	}
	_, ok := slices.BinarySearch(d.bodyIDs, k)
	return ok
}

// titlePlaces returns the term ids of the title's places.
func (d *doc) titlePlaces() []uint64 { return d.named[:d.places:d.places] }

// titleProducts returns the term ids of the title's goods.
func (d *doc) titleProducts() []uint64 { return d.named[d.places:] }

// titleFigures returns the figures of the title's words (titleWord.fig).
func (d *doc) titleFigures() []figure { return d.figs[:d.titleFigs:d.titleFigs] }

// figures returns every figure of the title and text.
func (d *doc) figures() []figure { return d.figs[d.titleFigs:] }

// setFigures sets the title's figures and every figure of the title and
// text, in one slice.
func (d *doc) setFigures(title, all []figure) {
	d.figs, d.titleFigs = slices.Concat(title, all), int32(len(title)) // nil when both are empty
}

// leadCosine and bodyCosine return the cosines of two weighed articles'
// lead and body vectors (see cosine).
func (d *doc) leadCosine(o *doc) float64 {
	v, _ := d.vectors()
	w, _ := o.vectors()
	return cosine(v, w, d.leadDot, o.leadDot, d.tab)
}

func (d *doc) bodyCosine(o *doc) float64 {
	_, v := d.vectors()
	_, w := o.vectors()
	return cosine(v, w, d.bodyDot, o.bodyDot, d.tab)
}

// entry is one weighted feature.
type entry struct {
	id uint64
	// num is the entity's number among the batch's terms (termInfo.num),
	// -1 when no article writes it; set for entities only. Its weight is
	// the batch's (dotWeights.entity).
	num int32
	// head marks an entity that counts as one name: the last word of a
	// multi-word name ("Trump" of "Donald Trump"), a lone name or a
	// figure. Runs and first names weigh in the overlap but are not
	// counted again, so one shared person is one shared entity.
	head bool
	// alias marks a key an article has only as the initials of a name it
	// writes (aliasKeys), or only as a capitalised word opening a sentence
	// (entity.opener). Such a key is evidence only where another article
	// writes the acronym, nickname or name: two initials meet only when
	// two articles spell out the same name, whose words they already
	// share, two sentence openers ("Shares fell") are as likely common
	// words (entityOverlap skips both), and a key no article writes would
	// only dilute the article's overlap with every other (it weighs
	// nothing, see analyse).
	alias bool
	// descr marks the description of an actor ("the Danish carrier"),
	// which meets only the same key as an alias, given by the name of an
	// actor it fits (see gazetteer.go): two descriptions may be of two
	// actors.
	descr bool
}

// vector is a sparse vector sorted by id, normalised to unit length.
type vector []term

// term is one weighted word of a vector: an entry without the entity
// fields, two thirds of its size (every article holds a few hundred).
type term struct {
	id uint64
	w  float64
}

// weights yields the vector's weights in its order (by id).
func (v vector) weights() iter.Seq[float64] {
	return func(yield func(float64) bool) {
		for i := range v {
			if !yield(v[i].w) {
				return
			}
		}
	}
}

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
func entityOverlap(a, b []entry, tab *dotWeights) (int, float64) {
	var shared int
	var sw, wa, wb float64
	for _, e := range a {
		wa += tab.entity(e)
	}
	for _, e := range b {
		wb += tab.entity(e)
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].id == b[j].id && (a[i].alias && b[j].alias || a[i].descr && b[j].descr):
			i++ // see entry.alias and entry.descr
			j++
		case a[i].id == b[j].id:
			if a[i].head || b[j].head {
				shared++
			}
			sw += tab.entity(a[i])
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
//
// Each article is read on its own, on every core: terms are numbered by a
// hash of their text (termID), not in order of appearance, so no shared
// dictionary is needed and the result does not depend on the scheduling.
// Document frequencies are summed from per-worker counts.
func analyse(articles []digest.Article, leadSentences int) []doc {
	docs := make([]doc, len(articles))
	parallel.Each(len(articles), func(_, i int) { docs[i] = parse(articles[i], leadSentences) })
	weigh(docs, false)
	return docs
}

// weigh sets the weights of parsed docs (see analyse), which need the
// whole batch: the TF-IDF vectors, their dot terms and the entities'
// weights. The term counts (doc.lead, doc.body) are let go of unless
// keepVectors (tests compare the dot products with vector.cosine's).
func weigh(docs []doc, keepVectors bool) {
	_ = weighFrom(docs, keepVectors, nil, func(fn func(w, i int)) error {
		parallel.Each(len(docs), fn)
		return nil
	})
}

// weighFrom is weigh for docs some of whose term counts are read in a
// second pass (ClusterKept with a KeptReader): dfs holds what those docs'
// bodies add to the document frequencies (by worker, as weigh counts
// them; nil when none), and each calls fn(w, i) for every doc, by worker
// w, after setting the doc's encoded term counts (doc.terms) where it
// has none in hand. An error of each is returned.
func weighFrom(docs []doc, keepVectors bool, dfs []map[uint64]int32, each func(fn func(w, i int)) error) error {
	workers := parallel.Workers(len(docs))
	if len(dfs) < workers {
		dfs = append(dfs, make([]map[uint64]int32, workers-len(dfs))...)
	}
	parallel.Each(len(docs), func(w, i int) {
		if dfs[w] == nil {
			dfs[w] = map[uint64]int32{}
		}
		// Every lead term is also a body term, so the body's terms give
		// each word's document frequency once.
		// (A doc without them has its term counts read again, see
		// eachAgain: the caller's dfs count them.)
		if p := docs[i].parsed; p != nil {
			for _, e := range p.body {
				dfs[w][e.id]++
			}
			if p.terms != nil {
				df := dfs[w]
				eachBodyTerm(p.terms, func(id uint64) { df[id]++ })
			}
		}
		for _, e := range docs[i].entities {
			if !e.alias { // written names only: see entry.alias
				dfs[w][e.id]++
			}
		}
	})
	df := dfs[0]
	if df == nil { // worker 0 found no article left
		df = map[uint64]int32{}
	}
	for k, m := range dfs[1:] {
		for id, v := range m {
			df[id] += v
		}
		dfs[k+1] = nil // let go of it before the dictionary is built
	}
	dfs[0] = nil // df is the batch's
	n := float64(len(docs))
	idf := func(df int32) float64 { return nlp.IDF(n+pseudoDocs, float64(df)) }
	// Each term's IDF is computed once, not once per article using it;
	// terms that two or more articles use are numbered densely for the
	// dot products (see dotTerms), in the order of their ids, so that a
	// vector's dot terms are in the order of their numbers too.
	ids := make([]uint64, 0, len(df))
	for k := range df {
		ids = append(ids, k)
	}
	sortIDs(ids)
	dict := make(map[uint64]termInfo, len(df))
	dots := int32(0)
	for _, k := range ids {
		if df[k] >= 2 {
			dots++
		}
	}
	tab := newDotWeights(int(dots), len(ids))
	dots = 0
	for _, k := range ids {
		v := df[k]
		t := termInfo{idf: idf(v), dot: -1, num: int32(len(dict))}
		tab.idfs = append(tab.idfs, t.idf)
		if v >= 2 {
			t.dot, dots = dots, dots+1
			tab.idf[t.dot] = t.idf
		}
		dict[k] = t
	}
	lookup := func(k uint64) termInfo {
		if t, ok := dict[k]; ok {
			return t
		}
		return termInfo{idf: idf(0), dot: -1, num: -1} // a lead term no body has (see dotTerms), an alias no article writes
	}
	asked := askedIDs(docs)
	scratch := make([]weighScratch, workers)
	return each(func(w, i int) {
		d := &docs[i]
		if d.parsed == nil {
			d.parsed = &parsed{}
		}
		sc := &scratch[w]
		// Encoded term counts are read into the worker's vectors, which
		// the doc keeps (a copy) only where weigh would keep its own.
		borrowed := d.terms != nil
		if borrowed {
			sc.lead, sc.body = readTerms(&reader{b: d.terms}, sc.lead[:0], sc.body[:0])
			d.lead, d.body, d.terms = sc.lead, sc.body, nil
		}
		d.leadDot = tfidf(d.lead, lookup, tab, &sc.tfidf)
		d.bodyDot = tfidf(d.body, lookup, tab, &sc.tfidf)
		d.tab = tab
		d.setFrame() // reads the lead's term ids
		// Gathered in the worker's buffer, then copied at their size:
		// one look-up a body term, not one to count and one to copy.
		ids := sc.ids[:0]
		for k := range d.body {
			if asked[d.body[k].id] {
				ids = append(ids, d.body[k].id)
			}
		}
		sc.ids = ids
		d.bodyIDs = slices.Clone(ids)
		keep := func(v vector, exact bool) vector {
			switch {
			case exact && !keepVectors:
				return nil
			case borrowed:
				return slices.Clone(v)
			}
			return v
		}
		d.lead, d.body = keep(d.lead, d.leadDot.exact()), keep(d.body, d.bodyDot.exact())
		d.identity = "" // numbered (ident): a weighed doc is not encoded
		if d.lead == nil && d.body == nil && d.titleKeys == nil {
			d.parsed = nil
		}
		for k := range d.entities {
			e := &d.entities[k]
			t := lookup(e.id)
			e.num = t.num
			if e.alias && t.num < 0 {
				continue
			}
			d.entityWeight += t.idf
		}
	})
}

// weighScratch is a weigh worker's buffers: the term numbers of a vector
// (tfidf), the term counts read from an encoding (doc.terms) and a
// doc's asked body ids (bodyIDs).
type weighScratch struct {
	tfidf      tfidfScratch
	lead, body vector
	ids        []uint64 // a doc's bodyIDs
}

// askedIDs returns the ids that the batch's titles can ask mentions
// about: their mentionable words (titleWord.id), places and goods (see
// unmentioned, factClash and factClasses).
func askedIDs(docs []doc) map[uint64]bool {
	asked := map[uint64]bool{}
	for i := range docs {
		d := &docs[i]
		for k := range d.title {
			if id := d.title[k].id(); id != 0 {
				asked[id] = true
			}
		}
		for _, p := range d.named { // places and goods
			asked[p] = true
		}
	}
	return asked
}

// termInfo is what the batch knows of one term: its inverse document
// frequency, its number among the terms that two or more articles use
// (-1 for the others), and its number among all.
type termInfo struct {
	idf float64
	dot int32
	num int32 // its number among all the batch's terms
}

// termID numbers a term by a hash of its text: two articles use the same
// number for the same term. Entity keys are hashed apart from words (a
// name is not the word it is spelt with). Zero is never an id.
//
// Only the hash's top 64-idShift bits are kept, in the top of the id,
// the rest zero: the codec writes ids without their zero bits, which made
// the encoded features a third smaller (1,147 → 727 bytes an article on
// the 200-feed farm, BenchmarkClusterKept_Farm's feature-B/article), while
// the sorts and tables that read an id's top bits find them spread as
// before. A window of 10^5 distinct
// terms has about one pair of them sharing an id (n²/2^33), a pair of
// unrelated words then weighing as one, too rarely to move a story.
func termID(s string, entity bool) uint64 {
	h := mix(fnv64(s))
	if entity {
		h = mix(h ^ 0x9e3779b97f4a7c15)
	}
	return max(h&^(1<<idShift-1), 1<<idShift)
}

// idShift is the number of low bits that are zero in every term id
// (termID): 64 less the bits kept.
const idShift = 32

// termIDs returns the ids of the words' stems, synonyms made one
// (canonical), each added times times.
func termIDs(dst []uint64, toks []nlp.Token, times int) []uint64 {
	for _, t := range toks {
		if k := wordID(t.Word, t.Stem); k != 0 {
			for range times {
				dst = append(dst, k)
			}
		}
	}
	return dst
}

// leadTermIDs is termIDs of the lead's words, once each, that also
// appends to goods the goodID of each word that names a good: both come
// from one look-up of the word in wordMemo, where testing every word of
// the lead against the goods again was a twentieth of parse.
func leadTermIDs(dst, goods []uint64, toks []nlp.Token) ([]uint64, []uint64) {
	for _, t := range toks {
		var k, g uint64
		if e := memoEntry(t.Word, t.Stem); e != nil {
			k, g = e.id, e.good
		} else {
			k, g = wordIDOf(t.Word, t.Stem), goodID(t.Stem)
		}
		if k != 0 {
			dst = append(dst, k)
		}
		if g != 0 {
			goods = append(goods, g)
		}
	}
	return dst, goods
}

// wordID returns termID(canonical(word, stem), false) for a word that is
// not a stop word, 0 for a stop word (wordIDOf), from wordMemo when the
// word can be there. A stop word test, the canonical form (two lookups
// and the normal stem) and a hash of it were a fifth of reading an
// article's features, for words that every article repeats.
func wordID(word, stem string) uint64 {
	if e := memoEntry(word, stem); e != nil {
		return e.id
	}
	return wordIDOf(word, stem)
}

// wordIDOf is wordID, reckoned.
func wordIDOf(word, stem string) uint64 {
	if nlp.IsStopword(word) {
		return 0
	}
	return termID(canonical(word, stem), false)
}

// goodID returns the entity id under which the lead of an article keeps
// the good a word of it names (see parseLead), from the word's stem: the
// good itself or the one its makers are named for ("winemaker", see
// makerGood), 0 when it names none or only a form or kind of goods.
func goodID(stem string) uint64 {
	if p := makerGood(stem); p != "" {
		stem = p
	}
	if isProduct(stem) && !productForms.Get()[stem] && !productKinds.Get()[stem] {
		return termID("$"+canonicalStem(stem), true)
	}
	return 0
}

// memoEntry returns the wordMemo entry of a word, made and remembered
// when the slot holds another; nil for a word that is not remembered.
//
// A word is remembered with its stem's length when the stem is a piece
// of it (all but "-ies" and "-ied" words, which are looked up each
// time), and only up to memoWord bytes, held in the entry itself: a
// lookup reads the slot and the entry, not a third place for the word.
func memoEntry(word, stem string) *wordIDEntry {
	if len(word) > memoWord || len(stem) > len(word) || word[:len(stem)] != stem {
		return nil
	}
	slot := &wordMemo[mix(fnv64(word))&(uint64(len(wordMemo))-1)]
	if e := slot.Load(); e != nil && int(e.stem) == len(stem) && string(e.word[:e.n]) == word {
		return e
	}
	e := &wordIDEntry{id: wordIDOf(word, stem), good: goodID(stem), n: uint8(len(word)), stem: uint8(len(stem))}
	copy(e.word[:], word)
	slot.Store(e)
	return e
}

// memoWord is the longest word wordMemo holds.
const memoWord = 22

// wordMemo remembers wordID's last answers, one a slot by the hash of
// the word, as derivedMemo does derivedStem's (a fixed size in a process
// that runs for months: 128 KiB of pointers and 32 bytes an entry; read
// and written whole, as parse runs on every core).
var wordMemo [1 << 14]atomic.Pointer[wordIDEntry]

// wordIDEntry is a word (its first n bytes), the length of its stem (a
// prefix of it), its wordID and its goodID.
type wordIDEntry struct {
	id, good uint64
	n, stem  uint8
	word     [memoWord]byte
}

// parse reads one article (see analyse): everything but the weights,
// which need the whole batch.
func parse(a digest.Article, leadSentences int) doc {
	title, lead := leadText(a, leadSentences)
	return parseLead(a, title, lead)
}

// parseLead is parse with the article's title and lead (leadText) in
// hand: Features keeps the lead too, and splitting the text's opening
// into sentences is a tenth of parse.
func parseLead(a digest.Article, title, lead string) doc {
	d := doc{parsed: &parsed{}}
	text := a.Text
	d.setMeta(a)
	// Places are made canonical ("Beijing", "Chinese" → China) for every
	// signal but the near-duplicate fingerprint, which is about the words
	// as written: it is taken first, as canonicalNames rewrites the
	// tokens in place.
	bufs := tokenBufs.Get().(*tokenBuffers)
	defer bufs.put()
	bufs.text = nlp.AppendTokens(bufs.text[:0], text)
	textToks := bufs.text
	var shingles int
	d.simhash, shingles = simhash(textToks)
	d.shingles = int32(shingles)
	bufs.title = nlp.AppendTokens(bufs.title[:0], title)
	if !bufs.leadTokens(title, text, lead) {
		bufs.lead = nlp.AppendTokens(bufs.lead[:0], lead)
	}
	titleToks, textToks := canonicalNames(bufs.title), canonicalNames(textToks)
	leadToks := canonicalNames(bufs.lead)
	ids, goods := leadTermIDs(bufs.ids[:0], bufs.goods[:0], leadToks)
	bufs.goods = goods
	d.lead = countTerms(ids)
	// The title counts twice in the body vector: it names the event.
	ids = termIDs(ids[:0], titleToks, 2)
	ids = termIDs(ids, textToks, 1)
	ids = impliedPlaces(ids, textToks)
	d.body = countTerms(ids)
	bufs.ids = ids
	var titleFigures []figure
	d.title, d.titleKeys, titleFigures = titleWords(titleToks, capitalisedIn(titleToks, textToks))
	d.setFigures(titleFigures, appendFigures(appendFigures(nil, titleToks), textToks))
	for k := range d.title {
		w := &d.title[k]
		w.mentionable = w.kind == kindName || w.kind == kindProduct || (w.kind == kindWord && w.content)
	}
	d.titleFacts(d.titleKeys)
	ents := entities(titleToks, textToks)
	aliases := aliasKeys(aliasKeys(nil, titleToks), textToks)
	d.entities = make([]entry, 0, len(ents)+len(aliases))
	for _, e := range ents {
		d.entities = append(d.entities, entry{id: termID(e.key, true), head: e.head, alias: e.opener})
	}
	for _, k := range aliases {
		d.entities = append(d.entities, entry{id: termID(k.key, true), head: true, alias: k.initials})
	}
	d.entities = appendDescriptors(d.entities, titleToks, textToks)
	// The goods a report is about are facts of it as names are, and two
	// outlets name them alike more often than they share other words
	// ("timber" for "lumber" made one by the synonyms). They are read
	// from the title and opening sentences only, where the report says
	// what it is about, and weigh in the overlap without counting as a
	// shared name: one subject's reports all name its goods. Their makers
	// name them too ("winemakers": see makerGood). leadTermIDs found
	// them, in the lead's order.
	for _, g := range goods {
		d.entities = append(d.entities, entry{id: g})
	}
	slices.SortFunc(d.entities, func(a, b entry) int {
		if c := cmp.Compare(a.id, b.id); c != 0 {
			return c
		}
		return cmp.Compare(b2n(a.alias), b2n(b.alias)) // a written name before its alias
	})
	// One entry per key: a name the article writes ("OFAC") is not also
	// its alias.
	d.entities = slices.CompactFunc(d.entities, func(a, b entry) bool { return a.id == b.id })
	d.runes = int32(runeCount(text))
	d.identity = identity(a)
	d.ident = identityID(d.identity)
	return d
}

// leadTokens sets b.lead to the tokens of lead (leadText: the title,
// then each opening sentence after a line break) taken from b.title and
// b.text, the title's and the text's as written (before
// canonicalNames), instead of tokenising the lead again: the lead is
// half of a short text. It reports false, and the caller tokenises the
// lead, when the lead is not such that the tokens are sure to be
// nlp.AppendTokens(nil, lead)'s:
//
//   - the lead is the title, then nothing or a line break: the title's
//     last word ends where its tokens do, a line break being no part of
//     a word;
//   - each sentence is found as written in the text, with white space or
//     the text's end on either side (so no word of the text runs into or
//     out of it, and the tokeniser looks no further than the byte after
//     a word): its tokens are the text's tokens there, the first of
//     which opens a sentence, as after the lead's line break.
func (b *tokenBuffers) leadTokens(title, text, lead string) bool {
	rest, ok := strings.CutPrefix(lead, title)
	if !ok || rest != "" && rest[0] != '\n' {
		return false
	}
	dst, textToks := append(b.lead[:0], b.title...), b.text
	at := b.at[:0] // the byte offsets of textToks[:len(at)] in text
	offset := func(k int) int {
		for len(at) <= k {
			from := 0
			if n := len(at); n > 0 {
				from = at[n-1] + len(textToks[n-1].Surface)
			}
			at = append(at, from+strings.Index(text[from:], textToks[len(at)].Surface))
		}
		return at[k]
	}
	for ok && rest != "" { // a line break, then a sentence
		s, _, _ := strings.Cut(rest[1:], "\n")
		rest = rest[1+len(s):]
		start := strings.Index(text, s)
		end := start + len(s)
		if s == "" || start < 0 || start > 0 && !asciiSpace(text[start-1]) || end < len(text) && !asciiSpace(text[end]) {
			ok = false
			break
		}
		k := 0
		for k < len(textToks) && offset(k) < start {
			k++
		}
		first := len(dst)
		for ; k < len(textToks) && offset(k) < end; k++ {
			dst = append(dst, textToks[k])
		}
		if first < len(dst) {
			dst[first].SentenceStart, dst[first].Cap = true, false
		}
	}
	b.lead, b.at = dst, at
	return ok
}

// asciiSpace reports whether c is ASCII white space.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// tokenBuffers are the arrays parseLead tokenises an article's text,
// title and lead into, and counts its term ids in, reused from one
// article to the next (tokenBufs): the tokens (56 bytes a word) were half
// the bytes a gather allocated to read its articles' features. Nothing
// parseLead returns holds the slices, only strings of their tokens.
type tokenBuffers struct {
	text, title, lead []nlp.Token
	ids               []uint64
	goods             []uint64 // see leadTermIDs
	at                []int    // see leadTokens
}

var tokenBufs = sync.Pool{New: func() any { return new(tokenBuffers) }}

// put clears the buffers, so that they hold no article's strings, and
// returns them to the pool.
func (b *tokenBuffers) put() {
	clear(b.text)
	clear(b.title)
	clear(b.lead)
	tokenBufs.Put(b)
}

// titleFacts sets what is derived from the title's words and their keys
// (by index) alone: their symbols, and the title's places, goods and
// figures (also for features read back from the store, which keep the
// words only).
func (d *doc) titleFacts(keys []string) {
	for k := range d.title {
		w := &d.title[k]
		w.sym = termID(keys[k], false)
		w.place = strings.HasPrefix(keys[k], "@")
	}
	places, products := placeCodes(d.title, keys), productKeys(d.title, keys)
	d.named, d.places = nil, int32(len(places))
	if n := len(places) + len(products); n > 0 {
		d.named = make([]uint64, 0, n)
		for _, list := range [][]string{places, products} {
			for _, k := range list {
				d.named = append(d.named, termID(k, false))
			}
		}
	}
}

// setMeta sets what the article's metadata says: its URL, outlet, time
// and whether its title marks a media item (kept apart from the features
// a later run reads back, see Features).
func (d *doc) setMeta(a digest.Article) {
	d.url, d.when = a.URL, a.Published
	d.media = mediaTitle(a.Title)
	d.outlet = strings.ToLower(strings.TrimSpace(a.SourceName))
	if d.outlet == "" {
		d.outlet = a.SourceID
	}
}

// leadText returns the article's title (its first sentence when it has
// none) and the title followed by the opening sentences, one a line: the
// lead that the lead vector and the embeddings read.
func leadText(a digest.Article, leadSentences int) (title, lead string) {
	sents := firstSentences(a.Text, leadSentences+1)
	title = a.Title
	if strings.TrimSpace(title) == "" && len(sents) > 0 {
		title = sents[0]
	}
	sents = sents[:min(leadSentences, len(sents))]
	if len(sents) == 0 {
		return title, title
	}
	n := len(title)
	for _, s := range sents {
		n += 1 + len(s)
	}
	var b strings.Builder // one allocation, where a concatenation a sentence made one each
	b.Grow(n)
	b.WriteString(title)
	for _, s := range sents {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	return title, b.String()
}

// firstSentences returns the first n sentences of text as nlp.Sentences
// splits them, without splitting the rest.
func firstSentences(text string, n int) []string {
	var out []string
	for len(out) < n && text != "" {
		para, rest, _ := strings.Cut(text, "\n\n")
		out = nlp.AppendSentences(out, para, n-len(out))
		text = rest
	}
	return out
}

// capitalisedIn returns the words of the title that the text writes with a
// capital inside a sentence (names, as opposed to a headline's capitals),
// each once: a title's few, in a list rather than a map.
func capitalisedIn(title, text []nlp.Token) []string {
	var want []string
	for _, t := range title {
		if startsUpper(t.Surface) {
			want = append(want, t.Word)
		}
	}
	if len(want) == 0 {
		return nil
	}
	var out []string
	for _, t := range text {
		if t.Cap && slices.Contains(want, t.Word) && !slices.Contains(out, t.Word) {
			out = append(out, t.Word)
		}
	}
	return out
}

// countTerms returns the distinct ids of a text with their counts (in w),
// sorted by id; ids is reordered.
func countTerms(ids []uint64) vector {
	sortIDs(ids)
	distinct := 0
	for k, x := range ids {
		if k == 0 || x != ids[k-1] {
			distinct++
		}
	}
	v := make(vector, 0, distinct)
	for k, x := range ids {
		if k > 0 && x == ids[k-1] {
			v[len(v)-1].w++
			continue
		}
		v = append(v, term{id: x, w: 1})
	}
	return v
}

// sortIDs sorts term ids. A text's few hundred ids are sorted by their
// bytes, lowest first (radix sort), which takes a fraction of the
// comparisons' time; a short list by its top bits (sortFewIDs).
func sortIDs(ids []uint64) {
	if len(ids) < fewIDs {
		sortFewIDs(ids)
		return
	}
	var counts [8][256]int32
	for _, x := range ids {
		for b := range counts {
			counts[b][byte(x>>(8*b))]++
		}
	}
	src, dst := ids, make([]uint64, len(ids))
	for b := range counts {
		c := &counts[b]
		if c[byte(src[0]>>(8*b))] == int32(len(src)) {
			continue // every id has this byte
		}
		var sum int32
		for k, n := range c {
			c[k], sum = sum, sum+n
		}
		for _, x := range src {
			k := byte(x >> (8 * b))
			dst[c[k]] = x
			c[k]++
		}
		src, dst = dst, src
	}
	if &src[0] != &ids[0] {
		copy(ids, src)
	}
}

// fewIDs is the most ids sortFewIDs sorts.
const fewIDs = 128

// sortFewIDs sorts fewer than fewIDs term ids: they are put in order of
// their top 7 bits (a counting sort into 128 buckets), then the few in
// one bucket in order by insertion. Term ids are hashes, spread evenly
// over the buckets (a word repeated is one id repeated, which insertion
// passes over), and an article's lead and short texts have 50 to 120:
// slices.Sort's comparisons were a tenth of reading a short article's
// features.
func sortFewIDs(ids []uint64) {
	const shift = 64 - 7
	var counts [fewIDs + 1]uint8
	for _, x := range ids {
		counts[x>>shift+1]++
	}
	for k := 1; k < len(counts); k++ {
		counts[k] += counts[k-1]
	}
	var buf [fewIDs]uint64
	for _, x := range ids {
		b := x >> shift
		buf[counts[b]] = x
		counts[b]++
	}
	copy(ids, buf[:len(ids)])
	for i := 1; i < len(ids); i++ {
		x, j := ids[i], i
		for ; j > 0 && ids[j-1] > x; j-- {
			ids[j] = ids[j-1]
		}
		ids[j] = x
	}
}

// runeCount is utf8.RuneCountInString(s), passing over eight ASCII
// bytes at a time, where the standard library decodes every byte: most
// texts are mostly ASCII, and the count was a fiftieth of parse. Other
// bytes are decoded one rune at a time, as ranging over s does (an
// invalid byte is a rune).
func runeCount(s string) int {
	n := 0
	for i := 0; i < len(s); n++ {
		switch {
		case i+8 <= len(s) && ascii8(s[i:i+8]):
			i += 8
			n += 7
		case s[i] < utf8.RuneSelf:
			i++
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	return n
}

// ascii8 reports whether the eight bytes of s are ASCII: read as one
// word, which the compiler loads at once.
func ascii8(s string) bool {
	w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	return w&0x8080808080808080 == 0
}

// identity returns the key under which two articles are the same article:
// the store's identity key (title and a long enough text, see
// digest.IdentityKey).
func identity(a digest.Article) string { return digest.IdentityKey(a) }

// identityID returns the number of an identity key (doc.ident): 0 for
// none.
func identityID[T string | []byte](key T) uint64 {
	if len(key) == 0 {
		return 0
	}
	return max(mix(fnv64(key)), 1)
}

// tfidf turns term counts into a unit vector with sublinear term
// frequency (nlp.SublinearTF times the batch's nlp.IDF), in place, and
// returns its dot terms (see dotTerms), whose weights are read from tab.
// The weighting and the length are internal/nlp's; the vectors stay the
// clusterer's own (hashed ids sorted for merging, dense numbers for
// dotter) because nlp.Vector's string keys would cost a map lookup per
// term in every candidate pair. scratch is the caller's buffer for the
// terms' numbers and counts; the dot terms are allocated at their size.
func tfidf(v vector, term func(uint64) termInfo, tab *dotWeights, scratch *tfidfScratch) dotTerms {
	ix, counts := scratch.ix[:0], scratch.counts[:0]
	shared, packs := 0, true
	for i := range v {
		t := term(v[i].id)
		counts = append(counts, v[i].w)
		v[i].w = nlp.SublinearTF(v[i].w) * t.idf
		ix = append(ix, t.dot)
		if t.dot >= 0 {
			shared++
			packs = packs && t.dot <= dotNumMask && v[i].w == tab.tf(counts[i])*tab.idf[t.dot]
		}
	}
	scratch.ix, scratch.counts = ix, counts
	// The squares are added in the vector's order, so the length, and
	// with it every cosine, is the same to the bit from run to run.
	norm := nlp.Norm(v.weights())
	if norm == 0 {
		return dotTerms{}
	}
	for i := range v {
		v[i].w /= norm
	}
	if math.IsInf(norm, 0) || math.IsNaN(norm) {
		// Not exact: the dot products are taken from the weighed vector,
		// which weigh keeps (see dotTerms).
		return dotTerms{}
	}
	dt := dotTerms{terms: make([]uint32, 0, shared), norm: norm}
	if !packs {
		w := make([]float64, 0, shared)
		dt.w = &w
	}
	for i, x := range ix {
		switch {
		case x < 0:
		case packs:
			dt.terms = append(dt.terms, uint32(x)|uint32(counts[i])<<dotCountShift)
		default:
			dt.terms, *dt.w = append(dt.terms, uint32(x)), append(*dt.w, v[i].w)
		}
	}
	return dt
}

// tfidfScratch is a weigh worker's buffers for tfidf.
type tfidfScratch struct {
	ix     []int32
	counts []float64
}

// dotTerms are the terms of a vector that another article of the batch
// can share, by their dense numbers, in the vector's order (which is the
// order of their numbers). Terms of one article only add nothing to a dot
// product, so a dot product over dense arrays (dotter) reads these alone
// and adds the same products in the same order as vector.cosine: the same
// result to the bit.
//
// A window holds a few hundred dot terms an article, so a term is four
// bytes: its number in the low 24 bits and its count in the text in the
// high 8, its weight computed again where it is read (weight) by the
// very operations tfidf computed it with, which give the same bits. A
// vector whose counts or numbers do not fit (a count above 255, a batch
// with more than 2^24 shared terms) keeps its weights (w) and its terms
// hold their numbers alone.
//
// A vector is not exact when a weight is not finite (a lead term no body
// has: its IDF is infinite); then 0 × NaN would differ from skipping the
// term, and the dot product is taken by vector.cosine of the whole
// weighed vectors, which the doc keeps for such a vector only (its dot
// terms are empty, their length zero). The dot terms' weights are read
// from the batch's dotWeights (doc.tab).
type dotTerms struct {
	terms []uint32
	norm  float64 // the vector's length; 0 when not exact
	// w are the weights of a vector whose terms do not pack (nil when
	// terms hold the counts): behind a pointer, as two vectors of every
	// article of a window hold dot terms and next to none of them need
	// it (16 bytes a vector).
	w *[]float64
}

// exact reports whether the dot terms give the vector's dot products.
func (dt *dotTerms) exact() bool { return dt.norm != 0 }

// The packing of a dot term (see dotTerms).
const (
	dotCountShift = 24
	dotNumMask    = 1<<dotCountShift - 1
)

// num returns the dense number of the k-th term.
func (dt *dotTerms) num(k int) int32 {
	if dt.w != nil {
		return int32(dt.terms[k])
	}
	return int32(dt.terms[k] & dotNumMask)
}

// weight returns the weight of the k-th term: as tfidf computed it, the
// term's sublinear frequency times its IDF, over the vector's length.
func (dt *dotTerms) weight(tab *dotWeights, k int) float64 {
	if dt.w != nil {
		return (*dt.w)[k]
	}
	t := dt.terms[k]
	return tab.tfs[t>>dotCountShift] * tab.idf[t&dotNumMask] / dt.norm
}

// dotWeights is what the batch's packed dot terms are weighed by: the
// IDF of each shared term, by its dense number, and the sublinear
// frequency of each count that fits a packed term.
type dotWeights struct {
	idf []float64
	tfs [1 << (32 - dotCountShift)]float64
	// idfs is the IDF of every term of the batch, by its number
	// (termInfo.num): the weights of the entities (entity), which a
	// window holds hundreds of thousands of.
	idfs []float64
}

func newDotWeights(shared, terms int) *dotWeights {
	tab := &dotWeights{idf: make([]float64, shared), idfs: make([]float64, 0, terms)}
	for c := range tab.tfs {
		tab.tfs[c] = nlp.SublinearTF(float64(c))
	}
	return tab
}

// entity returns the weight of a weighed entity: its IDF, zero for an
// alias that no article writes (see entry.alias).
func (tab *dotWeights) entity(e entry) float64 {
	if e.num < 0 {
		return 0
	}
	return tab.idfs[e.num]
}

// tf returns nlp.SublinearTF(count) from the table when the count is one
// a packed term holds, else NaN (which equals no weight).
func (tab *dotWeights) tf(count float64) float64 {
	if count >= 1 && count < float64(len(tab.tfs)) && count == math.Trunc(count) {
		return tab.tfs[int(count)]
	}
	return math.NaN()
}

// cosine returns the dot product of two weighed vectors of one batch, v
// and o, whose dot terms are dv and do: their shared terms' products in
// the order of their numbers when both are exact, as vector.cosine adds
// them; else vector.cosine of the whole vectors, of which weigh keeps the
// ones that are not exact. The other, exact vector (nil then) has finite
// weights on terms another article's body has, where one that is not
// exact has weights of zero (finite over an infinite length) or is empty:
// their products are all zero, which vector.cosine with nil returns.
func cosine(v, o vector, dv, do dotTerms, tab *dotWeights) float64 {
	if !dv.exact() || !do.exact() {
		return v.cosine(o)
	}
	var s float64
	i, j := 0, 0
	for i < len(dv.terms) && j < len(do.terms) {
		a, b := dv.num(i), do.num(j)
		switch {
		case a == b:
			s += dv.weight(tab, i) * do.weight(tab, j)
			i++
			j++
		case a < b:
			i++
		default:
			j++
		}
	}
	return s
}

// entity is a name or figure found in a text.
type entity struct {
	key  string
	head bool // see entry.head
	// opener marks a capitalised word that opens a sentence and that the
	// article writes nowhere else with a capital: a name or any word. It
	// is kept as an alias (entry.alias), evidence only where another
	// article writes it as a name ("Samsung has offered 5.1%" beside
	// "Samsung Electronics workers begin ...").
	opener bool
}

// entities returns the names and figures in a token stream: capitalised
// words that are not merely the start of a sentence, each with its
// multi-word run ("Helena Marwick"), and numbers of two or more characters
// ("62.9%", "140000"). Years are kept: "2027" is weak evidence, but
// evidence.
func entities(parts ...[]nlp.Token) []entity {
	// A word that opens a sentence counts as a name when the text also
	// uses it capitalised elsewhere ("Turkey's trade ministry ..." and
	// "... to Turkey").
	// Lists on the stack while they are short (shortIndex).
	caps := shortIndex{keys: make([]string, 0, 8)}
	for _, toks := range parts {
		for _, t := range toks {
			if t.Cap {
				caps.add(t.Word)
			}
		}
	}
	capElsewhere := func(w string) bool { return caps.index(w) >= 0 }
	keys := shortIndex{keys: make([]string, 0, 8)} // out's keys: a key's number is its entity's index
	var out []entity
	add := func(key string, head, opener bool) {
		if i, isNew := keys.add(key); !isNew {
			out[i].head = out[i].head || head
			out[i].opener = out[i].opener && opener
			return
		}
		out = append(out, entity{key, head, opener})
	}
	var run []string
	flush := func() {
		for i, w := range run {
			add(w, i == len(run)-1, false)
		}
		if len(run) > 1 {
			add(strings.Join(run, " "), false, false)
		}
		run = run[:0]
	}
	for _, toks := range parts {
		for k, t := range toks {
			isNum := t.Word != "" && t.Word[0] >= '0' && t.Word[0] <= '9'
			// A capitalised sentence opener followed by a name starts a
			// run ("European Commission will ...").
			opensName := t.SentenceStart && k+1 < len(toks) && toks[k+1].Cap && startsUpper(t.Surface)
			switch {
			case isNum:
				flush()
				if len(t.Word) >= 2 || k+1 < len(toks) && len(toks[k+1].Word) > 1 && scaleWords.Get()[toks[k+1].Word] > 0 { // "5 billion"
					var buf [32]byte
					add(string(appendFigureKey(append(buf[:0], '#'), toks, k)), true, false)
				}
			case (t.Cap || (t.SentenceStart && capElsewhere(t.Word)) || opensName) && !nlp.IsStopword(t.Word) && !calendarWords.Get()[t.Word]:
				// An acronym is keyed as one so that it meets the
				// initials of the name it stands for (aliasKeys).
				run = append(run, cmp.Or(acronymKey(t), t.Stem))
			case t.SentenceStart && startsUpper(t.Surface) && !nlp.IsStopword(t.Word) && !calendarWords.Get()[t.Word]:
				// Any sentence opens with a capital, a name or not
				// ("Samsung has offered 5.1%", "Shares fell"): the word
				// is a name only where another article writes it as
				// one (see entity.opener).
				flush()
				add(t.Stem, true, true)
			default:
				flush()
			}
		}
		flush() // a name does not run from the title into the text
	}
	flush()
	return out
}

// shortIndex numbers strings in the order they are first added. It
// searches a list while it holds at most shortSet of them, as an article's
// capitalised words and names mostly are (a map costs more than the
// search there), and a map once it holds more.
type shortIndex struct {
	keys []string
	at   map[string]int // nil while keys is short
}

// shortSet is how many strings a shortIndex keeps in a list alone.
const shortSet = 16

// index returns the number of k, -1 when k was never added.
func (x *shortIndex) index(k string) int {
	if x.at == nil {
		return slices.Index(x.keys, k)
	}
	if i, ok := x.at[k]; ok {
		return i
	}
	return -1
}

// add adds k unless it is there, and returns its number and whether it
// is new.
func (x *shortIndex) add(k string) (int, bool) {
	if i := x.index(k); i >= 0 {
		return i, false
	}
	i := len(x.keys)
	x.keys = append(x.keys, k)
	switch {
	case x.at != nil:
		x.at[k] = i
	case len(x.keys) > shortSet:
		x.at = make(map[string]int, 2*shortSet)
		for n, key := range x.keys {
			x.at[key] = n
		}
	}
	return i, true
}

// appendFigureKey appends the entity key of the number toks[k]: its value as
// figureAt reads it, scale words applied, with its unit, so that outlets'
// ways of writing one figure meet ("15,000" and "15k", "$1.2bn" and "1.2
// billion", "20.6 per cent" and "20.6%", "5.0%" and "5%"); as written when
// it is no plain number.
// (Appended, so that the entity's key is made in one allocation.)
func appendFigureKey(dst []byte, toks []nlp.Token, k int) []byte {
	if f, ok := figureAt(toks, k); ok {
		return append(strconv.AppendFloat(dst, f.value, 'g', 10, 64), f.unit.String()...) // 10 digits: 1.84 × 1e9 is 1840000000
	}
	dst = append(dst, strings.TrimRight(toks[k].Word, ".")...)
	if k+1 < len(toks) && (toks[k+1].Word == "percent" || toks[k+1].Word == "pc" ||
		toks[k+1].Word == "per" && k+2 < len(toks) && toks[k+2].Word == "cent") {
		dst = append(dst, '%')
	}
	return dst
}

// calendarWords are capitalised but name no entity: two reports "on
// Wednesday" are not thereby about one event.
var calendarWords = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
		"january": true, "february": true, "march": true, "april": true, "june": true, "july": true,
		"august": true, "september": true, "october": true, "november": true, "december": true,
	}
}}

// startsUpper reports whether a word as written (a token's Surface)
// starts with a capital; the tokenizer only records that for words
// inside a sentence. It takes the string, not the token, to be small
// enough to be inlined: a dozen passes over every token of a text ask
// it, and the calls (each copying a token) were a twentieth of parse.
func startsUpper(s string) bool {
	return s != "" && (s[0]-'A' < 26 || s[0] >= utf8.RuneSelf && upperRune(s))
}

// upperRune reports whether s starts with an upper-case rune.
func upperRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// simhash returns the 64-bit SimHash of the word 3-shingles of toks and the
// number of shingles.
//
// Bit b of the fingerprint is set when more shingle hashes have bit b set
// than not. The counts of set bits are kept eight to a word, one per byte
// (bit 8m+k of the hashes in byte m of lanes[k]), and moved to ones before
// a byte can overflow: eight additions per shingle instead of 64.
func simhash(toks []nlp.Token) (uint64, int) {
	if len(toks) < 3 {
		return 0, 0
	}
	const bytes = 0x0101010101010101
	var ones [64]int32
	var lanes [8]uint64
	flush := func() {
		for k, l := range lanes {
			for m := range 8 {
				ones[8*m+k] += int32(l >> uint(8*m) & 0xff)
			}
			lanes[k] = 0
		}
	}
	w0, w1 := fnv64(toks[0].Word), fnv64(toks[1].Word)
	n := 0
	for _, t := range toks[2:] {
		w2 := fnv64(t.Word)
		x := mix(w0 ^ bits.RotateLeft64(w1, 21) ^ bits.RotateLeft64(w2, 42))
		for k := range lanes {
			lanes[k] += x >> uint(k) & bytes
		}
		w0, w1 = w1, w2
		if n++; n%255 == 0 {
			flush()
		}
	}
	flush()
	var out uint64
	for b, c := range ones {
		if 2*c > int32(n) { // more set than clear
			out |= 1 << uint(b)
		}
	}
	return out, n
}

// fnv64 is FNV-1a without the hash.Hash allocation.
func fnv64[T string | []byte](s T) uint64 {
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

func b2n(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mediaTitle reports whether a title marks a media item rather than a
// written report: a video, a picture gallery, a live page or a podcast, as
// outlets label them after a dash or before a colon ("Moments of protest
// during the address – video", "Super blue blood moon - in pictures",
// "Spurs v United: Premier League – live!", "Video: ..."), or the outlet's
// update of an earlier report ("Update: shares fall after ...", "UPDATE
// 2-..."): an outlet labels its second write-up of one event so.
func mediaTitle(title string) bool {
	t := strings.ToLower(strings.TrimSpace(title))
	t = strings.TrimRight(t, "!. ")
	// Each dash is looked for only in a title that has its first two
	// bytes (most have neither: the searches from the end were most of
	// the test's time).
	hyphen, wide := strings.Contains(t, " -"), strings.Contains(t, " \xe2\x80")
	for _, dash := range []string{" – ", " — ", " - ", " -- "} {
		if !(dash[1] == '-' && hyphen || dash[1] != '-' && wide) {
			continue
		}
		if k := strings.LastIndex(t, dash); k >= 0 && mediaLabels.Get()[strings.TrimSpace(t[k+len(dash):])] {
			return true
		}
	}
	if label, _, ok := strings.Cut(t, ":"); ok && mediaLabels.Get()[strings.TrimSpace(label)] {
		return true
	}
	// A wire's numbered update: "UPDATE 2-Airbus cuts ...".
	if rest, ok := strings.CutPrefix(t, "update "); ok {
		n := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		return n > 0 && rest[n] == '-'
	}
	return false
}

// mediaLabels are the labels of media items (see mediaTitle).
var mediaLabels = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"video": true, "videos": true, "watch": true, "in pictures": true, "pictures": true, "in photos": true,
		"photos": true, "gallery": true, "live": true, "as it happened": true, "podcast": true, "audio": true,
		"update": true, "updated": true,
	}
}}

// makerGood returns the good named by a word for its makers or growers
// ("winemaker", "steelmaker", "chipmaker", "coalminer"), from its stem; ""
// when there is none. Outlets that write "Canberra's winemakers regain
// their biggest market" and "China lifts duties on Australian wine" name
// one good.
func makerGood(stem string) string {
	for _, suffix := range []string{"maker", "grower", "producer", "miner"} {
		if p, ok := strings.CutSuffix(stem, suffix); ok && len(p) >= 3 && productWords.Get()[nlp.Stem(p)] {
			return nlp.Stem(p)
		}
	}
	return ""
}
