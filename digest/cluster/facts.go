package cluster

import (
	"encoding/binary"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// Trade notices are published from templates: "Brazil sets 32% anti-dumping
// duty on steel from India", "Peru sets 12% anti-dumping duty on rice from
// Chile". Their texts are alike in every word but the facts in the slots,
// and those facts are the news. Two titles that align word for word except
// where one names a different country, product or figure are two events,
// however similar the rest; this file finds such conflicts.

// Kinds of title words.
const (
	kindWord    uint8 = iota
	kindName          // a place, person, company: a capitalised name
	kindFigure        // a number, percentage, amount or year
	kindProduct       // a traded good
)

// titleWord is one word of a title as the conflict test sees it.
//
// Its key (place code, figure, or stem: what aligns with the other title)
// is in doc.titleKeys, by index, only while the features can be encoded:
// a window's clustering reads the keys' numbers (sym) alone, and the
// strings would be a tenth of its features.
type titleWord struct {
	// sym is termID of the key: the alignment compares these numbers
	// instead of the strings, and the mention tests look them up (see id).
	sym  uint64
	kind uint8
	// fig is, for kindFigure, the index of the word's figure in the doc's
	// titleFigures (a title has few: the words stay small).
	fig uint16
	// place marks a place's code (a key that starts with "@").
	place bool
	// mentionable marks a name, a product or a content word: one whose
	// mention elsewhere in an article counts (see id).
	mentionable bool
	// object marks a preposition that introduces what a notice is about.
	object bool
	// content marks a word that is not a stop word.
	content bool
}

// id is the word's termID for mention tests; 0 when none.
func (w *titleWord) id() uint64 {
	if w.mentionable {
		return w.sym
	}
	return 0
}

// objectPrepositions introduce the goods of a notice.
var objectPrepositions = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{"on": true, "of": true, "for": true, "into": true, "against": true}
}}

// figure is a number as written: its value (scaled by "bn", "million" and
// the like), its unit ("%" or "") and the half-unit of its last digit, so
// that "85bn" and "85.1 billion" agree and 7.1032 and 7.0988 do not.
type figure struct {
	value, tolerance float64
	unit             figureUnit
	// key marks a distinctive figure (see distinctive), for shareFigure:
	// set where the figure is read, it takes the struct's padding where a
	// list of each article's distinctive figures took a slice.
	key bool
}

// figureUnit is a figure's unit: a window holds hundreds of thousands of
// figures, and a code is a byte where a string takes sixteen.
type figureUnit uint8

// The units of figures, and how they are written (figureUnits).
const (
	noUnit figureUnit = iota
	percent
	ordinal
)

var figureUnits = [...]string{noUnit: "", percent: "%", ordinal: "th"}

func (u figureUnit) String() string { return figureUnits[u] }

// agrees reports whether two figures can be the same quantity as rounded
// by two writers.
func (f figure) agrees(g figure) bool {
	return f.unit == g.unit && math.Abs(f.value-g.value) <= max(f.tolerance, g.tolerance)+1e-9*math.Abs(f.value)
}

// scaleWords multiply the figure before them.
var scaleWords = lazy.Value[map[string]float64]{Build: func() map[string]float64 {
	return map[string]float64{
		"thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
		"trillion": 1e12, "tn": 1e12, "k": 1e3,
	}
}}

// figureAt reads the number token toks[k] and the words after it that give
// its unit or scale ("32%", "32 percent", "32 per cent", "1.2 billion").
func figureAt(toks []nlp.Token, k int) (figure, bool) {
	next := ""
	if k+1 < len(toks) {
		next = toks[k+1].Word
		// British style writes the unit in two words: "20.6 per cent" is
		// "20.6%", not a bare 20.6 that no percentage agrees with.
		if next == "per" && k+2 < len(toks) && toks[k+2].Word == "cent" {
			next = "percent"
		}
	}
	return parseFigure(toks[k].Word, next)
}

// parseFigure reads a number token ("32%", "7.1032", "1.2bn", "140000")
// and the scale or unit word after it, if any.
func parseFigure(word, next string) (figure, bool) {
	end := 0
	for end < len(word) && (word[end] >= '0' && word[end] <= '9' || word[end] == '.') {
		end++
	}
	if end == 0 {
		return figure{}, false
	}
	num := strings.TrimRight(word[:end], ".")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return figure{}, false
	}
	decimals := 0
	if i := strings.IndexByte(num, '.'); i >= 0 {
		decimals = len(num) - i - 1
	}
	f := figure{value: v, tolerance: 0.5 * math.Pow10(-decimals)}
	suffix := word[end:]
	switch {
	case suffix == "%" || next == "percent" || next == "pc":
		f.unit = percent
	case suffix == "":
		// Most numbers: only the word after can scale them (neither
		// table has the empty word, which was two look-ups a number).
		if s := scaleWords.Get()[next]; s > 0 && len(next) > 1 {
			f.value, f.tolerance = f.value*s, f.tolerance*s
		}
	case ordinalSuffixes.Get()[suffix]:
		// "the 20th sanctions package" is not "20 tankers".
		f.unit = ordinal
	case scaleWords.Get()[suffix] > 0:
		f.value, f.tolerance = f.value*scaleWords.Get()[suffix], f.tolerance*scaleWords.Get()[suffix]
	}
	f.key = distinctive(f)
	return f, true
}

// ordinalSuffixes make a number an ordinal.
var ordinalSuffixes = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{"st": true, "nd": true, "rd": true, "th": true}
}}

// productWords are goods that trade notices are about. A product is a fact
// of a title the way a country or a rate is: "duty on steel" and "duty on
// rice" are two notices.
var productWords = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(productList) {
		m[nlp.Stem(w)] = true
	}
	return m
}}

// productFilter holds productWords (see wordFilter): isProduct.
var productFilter = lazy.Value[*wordFilter]{Build: func() *wordFilter {
	f := new(wordFilter)
	for w := range productWords.Get() {
		f.add(w)
	}
	return f
}}

// isProduct reports whether a stem is one of productWords.
func isProduct(stem string) bool {
	return productFilter.Get().has(stem) && productWords.Get()[stem]
}

// productList is the words of productWords, as written.
const productList = `
		steel aluminium aluminum copper nickel zinc tin tinplate iron ore coal coke lithium cobalt graphite
		gallium germanium bauxite alumina manganese silicon polysilicon titanium tungsten magnesium uranium
		gold silver platinum palladium oil crude gas lng lpg diesel gasoline petrol fuel kerosene fertiliser
		fertilizer urea potash phosphate ammonia ethanol biodiesel rice wheat maize corn soybean soy soymeal
		barley sorghum oats flour sugar coffee cocoa tea palm rapeseed canola sunflower cotton wool silk
		rubber timber lumber wood plywood pulp paper cardboard beef pork poultry chicken turkey lamb mutton
		meat dairy milk cheese butter honey egg fish shrimp prawn salmon tuna seafood fruit banana apple
		grape citrus orange avocado tomato potato onion garlic nut almond cashew wine spirit whisky whiskey
		beer brandy cognac vodka rum tobacco cigarette car vehicle ev evs truck tyre tire motorcycle bicycle bike battery cell
		chip semiconductor wafer solar panel module glass cement tile ceramic textile garment apparel clothing
		footwear shoe furniture mattress toy pharmaceutical drug vaccine medicine machinery turbine aircraft
		pipe tube wire rod rebar coil sheet plate foil fastener nail screw bolt chemical plastic pvc
		polyethylene polypropylene resin fibre fiber yarn fabric laptop smartphone phone appliance
		refrigerator washer transformer crane drone`

// monthWords are capitalised but name no entity.
var monthWords = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
		"sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	}
}}

// titleWords classifies the words of a title (places already made
// canonical). A capitalised word is a name unless it opens the title or
// the title capitalises nearly every word ("Menendez Trial Enters Second
// Day"); then it is a name only when the article's own text writes it with
// a capital mid-sentence (capText). Places are always names. The ids are
// set by analyse once the batch's terms are numbered.
func titleWords(toks []nlp.Token, capText []string) ([]titleWord, []string, []figure) {
	upper, words := 0, 0
	for _, t := range toks {
		if t.Word != "" && !isDigit(t.Word[0]) && !nlp.IsStopword(t.Word) {
			words++
			if startsUpper(t.Surface) {
				upper++
			}
		}
	}
	titleCase := words >= 3 && 5*upper >= 4*words
	out, keys := make([]titleWord, 0, len(toks)), make([]string, 0, len(toks))
	var figs []figure
	for k, t := range toks {
		var w titleWord
		key := canonical(t.Word, t.Stem)
		switch {
		case strings.HasPrefix(t.Word, "@"):
			w.kind = kindName
		case t.Word != "" && isDigit(t.Word[0]):
			if f, ok := figureAt(toks, k); ok && len(figs) <= math.MaxUint16 {
				w.kind, w.fig, key = kindFigure, uint16(len(figs)), strings.TrimRight(t.Word, ".")
				figs = append(figs, f)
			}
		case nlp.IsStopword(t.Word):
			w.object = objectPrepositions.Get()[t.Word]
		case calendarWords.Get()[t.Word] || monthWords.Get()[t.Word]:
		case isProduct(t.Stem):
			w.kind = kindProduct
		case startsUpper(t.Surface) && ((!titleCase && k > 0) || slices.Contains(capText, t.Word)):
			w.kind = kindName
		}
		w.content = !nlp.IsStopword(t.Word)
		out, keys = append(out, w), append(keys, key)
	}
	return out, keys, figs
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// maxTitleWords bounds the alignment; longer titles are cut (a headline
// has about ten words).
const maxTitleWords = 32

// conflict reports whether two articles' titles are the same template
// with different facts in one slot: the titles align word for word (at
// least three words and half of the longer title) and, between two
// aligned words, one title has a figure that no figure of the other
// agrees with, or a name or product the other article never mentions
// while the other has one this article never mentions.
func conflict(a, b *doc) bool {
	ta, tb := a.title, b.title
	if len(ta) > maxTitleWords {
		ta = ta[:maxTitleWords]
	}
	if len(tb) > maxTitleWords {
		tb = tb[:maxTitleWords]
	}
	n, m := len(ta), len(tb)
	if n < 3 || m < 3 {
		return false
	}
	var lcs lcsTable
	lcs.fill(ta, tb)
	aligned := lcs.at(0, 0)
	if aligned < 3 || 2*aligned < max(n, m) {
		return false
	}
	// Walk the alignment; each stretch between aligned words where both
	// titles have words is a slot.
	i, j, si, sj := 0, 0, 0, 0
	for i < n && j < m {
		switch {
		case ta[i].sym == tb[j].sym:
			if slotConflict(ta[si:i], tb[sj:j], si > 0 && ta[si-1].object, a, b) {
				return true
			}
			i, j = i+1, j+1
			si, sj = i, j
		case lcs.at(i+1, j) >= lcs.at(i, j+1):
			i++
		default:
			j++
		}
	}
	return slotConflict(ta[si:], tb[sj:], si > 0 && ta[si-1].object, a, b)
}

// lcsTable is the table of the lengths of the longest common
// subsequences of the suffixes of two titles' keys, ta[i:] and tb[j:],
// that conflict aligns the titles by: a word a row, by the bit-parallel
// algorithm (Hyyrö, "Bit-parallel LCS-length computation revisited",
// 2004), instead of a byte a cell. Both
// titles are read backwards, so that a row's bit k stands for tb[m-1-k]
// and the length for tb[j:] is the count of zero bits below bit m-j. The
// test runs for hundreds of thousands of pairs of templated titles, and
// the cell by cell table, a byte and a branch each, was most of it.
type lcsTable struct {
	rows [maxTitleWords + 1]uint64 // rows[i] for ta[i:]
	m    int
}

// fill computes the table of ta and tb, of at most maxTitleWords words.
func (t *lcsTable) fill(ta, tb []titleWord) {
	n, m := len(ta), len(tb)
	t.m = m
	t.rows[n] = ^uint64(0) // the empty suffix: no word in common
	for i := n - 1; i >= 0; i-- {
		var match uint64 // the words of tb with ta[i]'s key
		s := ta[i].sym
		for j := range tb {
			if tb[j].sym == s {
				match |= 1 << uint(m-1-j)
			}
		}
		// A carry out of the low m bits changes only bits above them,
		// which at never reads.
		v := t.rows[i+1]
		u := v & match
		t.rows[i] = (v + u) | (v - u)
	}
}

// at returns the length of the longest common subsequence of ta[i:] and
// tb[j:].
func (t *lcsTable) at(i, j int) int {
	k := uint(t.m - j)
	return int(k) - bits.OnesCount64(t.rows[i]&(1<<k-1))
}

// slotConflict reports whether two stretches of words in the same place of
// two titles state different facts.
// goods is set when the slot follows an aligned preposition of object
// (on, of, for, into, against).
func slotConflict(sa, sb []titleWord, goods bool, a, b *doc) bool {
	if len(sa) == 0 || len(sb) == 0 {
		return false
	}
	// Figures: some figure on each side, and none that agree. (On the
	// stack: the test runs for millions of pairs of templated titles.)
	var bufA, bufB [4]figure
	fa, fb := bufA[:0], bufB[:0]
	for _, x := range sa {
		if x.kind == kindFigure {
			fa = append(fa, a.figs[x.fig])
		}
	}
	for _, x := range sb {
		if x.kind == kindFigure {
			fb = append(fb, b.figs[x.fig])
		}
	}
	if len(fa) > 0 && len(fb) > 0 && !anyAgree(fa, fb) {
		return true
	}
	// Goods the lexicon does not know: lower-case words right after an
	// aligned preposition ("duty on [citric acid] from") are the object of
	// the notice, as a product is.
	if goods && unmentioned(sa, kindWord, b) && unmentioned(sb, kindWord, a) {
		return true
	}
	// Places: some on each side, none in common. A place the other
	// article mentions elsewhere does not help: a country that imposes a
	// duty in one notice is the origin of the goods in another.
	if namesPlace(sa) && namesPlace(sb) && !slices.ContainsFunc(sa, func(x titleWord) bool {
		return isPlace(x) && slices.ContainsFunc(sb, func(y titleWord) bool { return isPlace(y) && y.sym == x.sym })
	}) {
		return true
	}
	// Other names and products: each side has one the other article
	// never mentions, anywhere (a tinplate story that says "steel
	// packaging" mentions neither conflict).
	for _, kind := range []uint8{kindName, kindProduct} {
		if unmentioned(sa, kind, b) && unmentioned(sb, kind, a) {
			return true
		}
	}
	return false
}

// namesPlace reports whether the words name a place.
func namesPlace(words []titleWord) bool {
	return slices.ContainsFunc(words, isPlace)
}

// isPlace reports whether x is a place (its name, by its code).
func isPlace(x titleWord) bool { return x.kind == kindName && x.place }

// placeCodes returns the place codes among the title words whose keys
// are keys (by index).
func placeCodes(words []titleWord, keys []string) []string {
	var out []string
	for k, x := range words {
		if isPlace(x) {
			out = append(out, keys[k])
		}
	}
	return out
}

func anyAgree(fa, fb []figure) bool {
	for _, f := range fa {
		for _, g := range fb {
			if f.agrees(g) {
				return true
			}
		}
	}
	return false
}

// unmentioned reports whether the words have one of kind that the other
// article's text does not contain.
func unmentioned(words []titleWord, kind uint8, other *doc) bool {
	for k := range words {
		if x := &words[k]; x.kind == kind && x.mentionable && !x.place && !other.mentions(x.id()) {
			return true
		}
	}
	return false
}

// placeClash reports whether both titles name places and neither article
// mentions, anywhere, a place the other's title names: "India bans sugar
// exports" and "Thai sugar output seen rising" are two countries' news,
// however alike their words. productClash is the same test for goods
// ("EU opens anti-dumping probe into Chinese tinplate", "EU and China
// agree minimum prices for Chinese electric cars").
func placeClash(a, b *doc) bool {
	return factClash(a.titlePlaces(), b.titlePlaces(), a, b)
}

func productClash(a, b *doc) bool {
	return factClash(a.titleProducts(), b.titleProducts(), a, b)
}

// factClash reports whether both lists of title facts (term ids of their
// keys) are non-empty and neither article mentions a fact of the other's
// list.
func factClash(pa, pb []uint64, a, b *doc) bool {
	if len(pa) == 0 || len(pb) == 0 {
		return false
	}
	for _, p := range pa {
		if b.mentions(p) {
			return false
		}
	}
	for _, p := range pb {
		if a.mentions(p) {
			return false
		}
	}
	return true
}

// productKeys returns the keys of the products among words, forms and
// kinds left out (see productForms and productKinds).
func productKeys(words []titleWord, keys []string) []string {
	var out []string
	for k, x := range words {
		if x.kind == kindProduct && !productForms.Get()[keys[k]] && !productKinds.Get()[keys[k]] {
			out = append(out, keys[k])
		}
	}
	return out
}

// productForms are goods words that name a shape rather than a material:
// "steel coils" and "metal sheet" can be one product, so a title's form
// words do not clash with another's.
var productForms = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("sheet coil plate foil wire rod tube pipe panel module cell wafer fibre fiber yarn fabric") {
		m[nlp.Stem(w)] = true
	}
	return m
}}

// productKinds are goods words that name a kind of goods rather than one
// good: "EU pig meat" is "European pork", "Korean vehicles" are "Korean
// cars", so a title's kind words do not clash with another's goods.
var productKinds = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("meat dairy seafood fruit vehicle fuel chemical") {
		m[nlp.Stem(w)] = true
	}
	return m
}}

// appendFigures appends the figures among toks to dst.
func appendFigures(dst []figure, toks []nlp.Token) []figure {
	for k, t := range toks {
		if t.Word == "" || !isDigit(t.Word[0]) {
			continue
		}
		if f, ok := figureAt(toks, k); ok {
			dst = append(dst, f)
		}
	}
	return dst
}

// figureClash reports whether both titles state figures and neither
// article states, anywhere, a figure that agrees with one of the other's
// title: "Vietnam: 42% duty on fasteners from Turkey" and "Turkey sets 32%
// duty on ceramic tiles" are two notices even where their titles do not
// align well enough for the slot test. A paraphrase that rounds ("41%"
// for "41.2%") or leaves the figure out of its title does not clash, and
// neither do two reports stating one distinctive figure (shareFigure):
// outlets put different figures of one event in their titles ("Chipmaker
// sheds 15% of staff", "Santa Clara group's $10bn savings drive") and
// quote its key one in their texts ("15k jobs", "15,000 positions"),
// while two notices of one template differ in the figures they state.
func figureClash(a, b *doc) bool {
	fa, fb := a.titleFigures(), b.titleFigures()
	if len(fa) == 0 || len(fb) == 0 || shareFigure(a, b) {
		return false
	}
	return !anyAgree(fa, b.figures()) && !anyAgree(fb, a.figures())
}

// factClasses sorts a batch's articles into classes that placeClash and
// productClash cannot tell apart, so that the tests run once per pair of
// classes instead of once per pair of articles: on the feed farm's
// templated wire texts, 40,000 articles make ~100 million near-duplicate
// pairs to test, and 100 classes. Two articles are in one class when their
// titles name the same places and goods and, of the places and goods that
// any title of the batch names, their texts mention the same ones: both
// tests read nothing else of an article (see factClash).
type factClasses struct {
	class []int32 // by article
	rep   []int   // an article of each class
	// The answers by pair of classes: in dense (0 not yet known, else
	// 1+clash) when there are few classes, else in memo.
	dense []uint8
	memo  map[uint64]bool
}

// maxDenseClasses is the most classes whose answers are kept in an array
// (a megabyte); a map keeps them beyond.
const maxDenseClasses = 1024

func newFactClasses(docs []doc) *factClasses {
	named := map[uint64]bool{} // every title's places and goods
	for i := range docs {
		for _, p := range docs[i].named { // places and goods
			named[p] = true
		}
	}
	ids := slices.Sorted(maps.Keys(named))
	fc := &factClasses{class: make([]int32, len(docs))}
	byKey := map[string]int32{}
	var key []byte
	for i := range docs {
		d := &docs[i]
		key = key[:0]
		for _, list := range [][]uint64{d.titlePlaces(), d.titleProducts()} {
			for _, p := range list {
				key = binary.AppendUvarint(key, p)
			}
			key = append(key, 0xff) // no uvarint ends in 0xff
		}
		// The named words the text mentions: a pass over the shorter of
		// the two lists, looking up the longer.
		if len(ids) <= len(d.bodyIDs) {
			for _, p := range ids {
				if d.mentions(p) {
					key = binary.AppendUvarint(key, p)
				}
			}
		} else {
			for _, id := range d.bodyIDs {
				if id != 0 && named[id] {
					key = binary.AppendUvarint(key, id)
				}
			}
		}
		c, ok := byKey[string(key)]
		if !ok {
			c = int32(len(fc.rep))
			byKey[string(key)] = c
			fc.rep = append(fc.rep, i)
		}
		fc.class[i] = c
	}
	if n := len(fc.rep); n <= maxDenseClasses {
		fc.dense = make([]uint8, n*n)
	} else {
		fc.memo = map[uint64]bool{}
	}
	return fc
}

// fork returns a copy of the classes whose answers, none known yet, one
// goroutine may find while others find theirs (clash writes them down).
func (fc *factClasses) fork() *factClasses {
	f := &factClasses{class: fc.class, rep: fc.rep}
	if fc.dense != nil {
		f.dense = make([]uint8, len(fc.dense))
	} else {
		f.memo = map[uint64]bool{}
	}
	return f
}

// absorb takes the answers a fork found (they are the same for both).
func (fc *factClasses) absorb(f *factClasses) {
	for k, v := range f.dense {
		if v != 0 {
			fc.dense[k] = v
		}
	}
	maps.Copy(fc.memo, f.memo)
}

// clash reports placeClash(a, b) || productClash(a, b) for articles i and
// j, from the classes' representatives (both tests are symmetric).
func (fc *factClasses) clash(docs []doc, i, j int) bool {
	return fc.classesClash(docs, fc.class[i], fc.class[j])
}

// classesClash reports whether the articles of classes ci and cj clash
// (see clash).
func (fc *factClasses) classesClash(docs []doc, ci, cj int32) bool {
	if ci > cj {
		ci, cj = cj, ci
	}
	test := func() bool {
		a, b := &docs[fc.rep[ci]], &docs[fc.rep[cj]]
		return placeClash(a, b) || productClash(a, b)
	}
	if fc.dense != nil {
		k := int(ci)*len(fc.rep) + int(cj)
		if fc.dense[k] == 0 {
			fc.dense[k] = 1 + uint8(b2n(test()))
		}
		return fc.dense[k] == 2
	}
	k := uint64(ci)<<32 | uint64(cj)
	v, ok := fc.memo[k]
	if !ok {
		v = test()
		fc.memo[k] = v
	}
	return v
}

// distinctive reports whether a figure is one that two reports of other
// events rarely both state: a percentage of three or more significant
// digits ("41.2%"; "25%" is every other tariff), else a quantity of at
// least 100 with two or more ("2.2 million", "15,000", "140": trailing
// zeros of a whole number do not count, so "4,000" and "$10bn" have one)
// that is not a year. Small counts ("36 ports", "COVID-19"), round amounts
// and ordinals are said of many events.
func distinctive(f figure) bool {
	if f.unit == ordinal {
		return false
	}
	v := trimZeros(math.Round(f.value / (2 * f.tolerance)))
	switch {
	case v < 10:
		return false
	case f.unit == percent:
		return v >= 100
	case f.value < 100:
		return false
	}
	return f.tolerance != 0.5 || f.value < 1900 || f.value > 2100
}

// trimZeros returns a whole number less its trailing zeros, as dividing
// it by ten while math.Mod(v, 10) is 0 does, in integers where it fits
// them exactly (below 2^53, where the division and the remainder are
// exact too): math.Mod was most of distinctive.
func trimZeros(v float64) float64 {
	if v >= 0 && v < 1<<53 {
		u := uint64(v)
		for u >= 10 && u%10 == 0 {
			u /= 10
		}
		return float64(u)
	}
	for v >= 10 && math.Mod(v, 10) == 0 {
		v /= 10
	}
	return v
}

// shareFigure reports whether two articles state a distinctive figure that
// agrees ("2.2 million barrels per day" and "2.2m b/d", "15,000 jobs" and
// "roughly 15k"): outlets reporting one event quote its figures, whatever
// words they choose around them.
func shareFigure(a, b *doc) bool {
	for _, f := range a.figures() {
		if !f.key {
			continue
		}
		for _, g := range b.figures() {
			if g.key && f.agrees(g) {
				return true
			}
		}
	}
	return false
}
