package cluster

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"runtime/trace"
	"slices"
	"sync/atomic"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/parallel"
)

// Features are what the clusterer reads of one article's title and text:
// its term counts, names and figures, title words, SimHash, identity key
// and length, before the weights that depend on the batch. They are
// computed once, when the article is new, and kept with it (Encode,
// DecodeFeatures), so that a later run clusters the article without
// loading or reading its text. The zero value has none: ClusterFeatures
// then reads the article's text.
type Features struct {
	d             doc
	lead          string // title and opening sentences, for embeddings
	leadKept      bool   // lead is held: the clusterer embeds
	leadSentences int
	ok            bool
}

// Features returns the features of a, read from its title and text. They
// hold the lead text only for a clusterer with an Embedder, which alone
// reads it: it was a fifth of the encoded features (285 of 1,440 bytes an
// article on the feed farm), which the store writes once and a window's
// clustering reads twice.
func (c *Clusterer) Features(a digest.Article) Features {
	title, lead := leadText(a, c.cfg.LeadSentences)
	f := Features{d: parseLead(a, title, lead), leadSentences: c.cfg.LeadSentences, ok: true}
	if c.cfg.Embedder != nil {
		f.lead, f.leadKept = lead, true
	}
	return f
}

// noLeadText is set in the second byte of encoded features (beside
// LeadSentences, which is far below it) when they hold no lead text: such
// features are current for a clusterer without an Embedder only.
const noLeadText = 0x80

// featuresVersion is the version of the features and their encoding:
// raise it when parse or the encoding changes, so that features kept by an
// older build are read again from the text instead of being trusted.
const featuresVersion = 9

// ErrStaleFeatures is returned by DecodeFeatures for features encoded by
// another version of the clusterer or under another LeadSentences: the
// article's text must be read again.
var ErrStaleFeatures = errors.New("features from another version of the clusterer")

// Encode returns the features as bytes for the store; nil for the zero
// value.
func (f Features) Encode() []byte {
	if !f.ok {
		return nil
	}
	d := &f.d
	// The size is reckoned from the parts, so that the bytes are
	// allocated once: growing them was a third of the bytes a gather
	// allocated to read its articles' features.
	size := 64 + 6*(len(d.lead)+len(d.body)+len(d.entities)) + len(f.lead) + len(d.identity) + 27*len(d.figs)
	for k := range d.title {
		size += 12 + len(d.titleKeys[k])
	}
	b := make([]byte, 0, size)
	b = append(b, featuresVersion)
	head := byte(f.leadSentences)
	if !f.leadKept {
		head |= noLeadText
	}
	b = append(b, head)
	b = appendString(b, d.identity)
	b = appendString(b, f.lead)
	for _, v := range []vector{d.lead, d.body} {
		b = binary.AppendUvarint(b, uint64(len(v)))
		var prev uint64
		for _, e := range v {
			b = binary.AppendUvarint(b, (e.id-prev)>>idShift) // sorted by id: deltas
			b = binary.AppendUvarint(b, uint64(e.w))          // a count (see countTerms)
			prev = e.id
		}
	}
	b = binary.AppendUvarint(b, uint64(len(d.entities)))
	for _, e := range d.entities {
		b = binary.AppendUvarint(b, e.id>>idShift)
		b = append(b, byte(b2n(e.head)|b2n(e.alias)<<1|b2n(e.descr)<<2))
	}
	b = binary.LittleEndian.AppendUint64(b, d.simhash)
	b = binary.AppendUvarint(b, uint64(d.shingles))
	b = binary.AppendUvarint(b, uint64(d.runes))
	b = binary.AppendUvarint(b, uint64(len(d.title)))
	for k, w := range d.title {
		b = appendString(b, d.titleKeys[k])
		fig := w.kind == kindFigure
		b = append(b, w.kind, byte(b2n(w.object)|b2n(w.content)<<1|b2n(w.mentionable)<<2|b2n(fig)<<3))
		if fig {
			b = appendFigure(b, d.figs[w.fig])
		}
	}
	b = binary.AppendUvarint(b, uint64(len(d.figures())))
	for _, fg := range d.figures() {
		b = appendFigure(b, fg)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendFigure(b []byte, f figure) []byte {
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.value))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.tolerance))
	return appendString(b, f.unit.String())
}

// DecodeFeatures reads encoded features (Features.Encode). It returns
// ErrStaleFeatures for features of another version or LeadSentences, and
// an error for bytes that are not features.
func (c *Clusterer) DecodeFeatures(b []byte) (Features, error) {
	d, lead, err := c.decodeDoc(b, false, true)
	if err != nil {
		return Features{}, err
	}
	return Features{d: d, lead: lead, leadKept: b[1]&noLeadText == 0, leadSentences: c.cfg.LeadSentences, ok: true}, nil
}

// decodeDoc reads encoded features (DecodeFeatures) into a doc without
// its metadata, and returns the lead text with it. With encoded, the term
// counts are checked and left as they are encoded (doc.terms, a part of
// b: the caller copies it or lets go of it), for weigh to read, and the
// title words' keys are not kept: the doc is for clustering only. The
// lead text is read only withLead (it is for embeddings: a window's
// worth is garbage to collect otherwise).
func (c *Clusterer) decodeDoc(b []byte, encoded, withLead bool) (doc, string, error) {
	if !c.KeptCurrent(b) {
		return doc{}, "", ErrStaleFeatures
	}
	r := reader{b: b[2:]}
	d := doc{parsed: &parsed{}}
	if encoded {
		d.ident = identityID(r.bytes())
	} else {
		d.identity = r.string()
		d.ident = identityID(d.identity)
	}
	var lead string
	if withLead {
		lead = r.string()
	} else {
		r.skipString()
	}
	if encoded {
		terms := r.b
		skipTerms(&r)
		if r.err == nil {
			d.terms = terms[:len(terms)-len(r.b)]
		}
	} else {
		d.lead, d.body = readTerms(&r, nil, nil)
	}
	n := r.count(2)
	d.entities = make([]entry, 0, n)
	for range n {
		id, fl := r.uvarint()<<idShift, r.byte()
		d.entities = append(d.entities, entry{id: id, head: fl&1 != 0, alias: fl&2 != 0, descr: fl&4 != 0})
	}
	d.simhash = r.uint64()
	d.shingles = int32(r.uvarint())
	d.runes = int32(r.uvarint())
	n = r.count(3)
	d.title = make([]titleWord, 0, n)
	keys := make([]string, 0, n)
	var tfBuf [4]figure
	titleFigures := tfBuf[:0] // copied into d.figs below
	for range n {
		keys = append(keys, r.string())
		w := titleWord{kind: r.byte()}
		fl := r.byte()
		w.object, w.content, w.mentionable = fl&1 != 0, fl&2 != 0, fl&4 != 0
		if (fl&8 != 0) != (w.kind == kindFigure) || len(titleFigures) > math.MaxUint16 {
			r.fail() // a figure is what a figure word has, and only it
		} else if fl&8 != 0 {
			w.fig = uint16(len(titleFigures))
			titleFigures = append(titleFigures, r.figure())
		}
		d.title = append(d.title, w)
	}
	d.titleFacts(keys)
	if !encoded {
		// Features that can be encoded again; a window being clustered
		// reads the keys' numbers only (see titleWord).
		d.titleKeys = keys
	}
	n = r.count(17)
	d.titleFigs = int32(len(titleFigures))
	if m := len(titleFigures) + n; m > 0 { // as setFigures makes them
		d.figs = append(make([]figure, 0, m), titleFigures...)
	}
	for range n {
		d.figs = append(d.figs, r.figure())
	}
	if r.err != nil {
		return doc{}, "", fmt.Errorf("decode features: %w", r.err)
	}
	if len(r.b) != 0 {
		return doc{}, "", fmt.Errorf("decode features: %d bytes left over", len(r.b))
	}
	return d, lead, nil
}

// readTerms reads the encoded lead and body term counts, appending them
// to lead and body (a nil vector is allocated at its size).
func readTerms(r *reader, lead, body vector) (vector, vector) {
	for _, v := range []*vector{&lead, &body} {
		n := r.count(2)
		if *v == nil {
			*v = make(vector, 0, n)
		}
		var prev uint64
		for range n {
			id := prev + r.uvarint()<<idShift
			*v = append(*v, term{id: id, w: float64(r.uvarint())})
			prev = id
		}
	}
	return lead, body
}

// skipTerms reads past the encoded lead and body term counts.
func skipTerms(r *reader) {
	for range 2 {
		for range r.count(2) {
			r.uvarint()
			r.uvarint()
		}
	}
}

// eachBodyTerm calls fn with the id of every body term of encoded term
// counts (doc.terms), in order.
func eachBodyTerm(terms []byte, fn func(id uint64)) {
	r := reader{b: terms}
	for range r.count(2) { // the lead's
		r.uvarint()
		r.uvarint()
	}
	var prev uint64
	for range r.count(2) {
		id := prev + r.uvarint()<<idShift
		r.uvarint()
		fn(id)
		prev = id
	}
}

// errShort marks features cut short.
var errShort = errors.New("features cut short")

// reader reads an encoding, remembering the first error: every read after
// it returns zero.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errShort
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	// Half the term counts' numbers are one byte (the counts; the ids'
	// deltas are hashes'): read here, without the call and its loop
	// (binary.Uvarint reads them the same).
	if len(r.b) > 0 && r.b[0] < 0x80 {
		x := uint64(r.b[0])
		r.b = r.b[1:]
		return x
	}
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return x
}

// count reads a length whose items take at least size bytes each, so that
// a corrupt length cannot ask for more memory than the bytes could hold.
func (r *reader) count(size int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/size) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	x := r.b[0]
	r.b = r.b[1:]
	return x
}

func (r *reader) uint64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	x := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return x
}

func (r *reader) string() string {
	n := r.count(1)
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) skipString() { r.b = r.b[r.count(1):] }

// bytes reads a string without copying it.
func (r *reader) bytes() []byte {
	n := r.count(1)
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *reader) figure() figure {
	f := figure{value: math.Float64frombits(r.uint64()), tolerance: math.Float64frombits(r.uint64())}
	n := r.count(1)
	unit := r.b[:n]
	r.b = r.b[n:]
	switch string(unit) {
	case figureUnits[noUnit]:
	case figureUnits[percent]:
		f.unit = percent
	case figureUnits[ordinal]:
		f.unit = ordinal
	default:
		r.fail()
	}
	f.key = distinctive(f)
	return f
}

// docOf returns the doc of an article for a batch: its features, copied
// (weigh sets the weights in place), with the article's metadata; read
// from its text when it has none.
func (f Features) docOf(a digest.Article, leadSentences int) doc {
	if !f.ok {
		return parse(a, leadSentences)
	}
	d := f.d
	p := *d.parsed // f's own is not weighed
	d.parsed = &p
	d.lead, d.body, d.entities = slices.Clone(d.lead), slices.Clone(d.body), slices.Clone(d.entities)
	d.setMeta(a)
	return d
}

var _ digest.KeepingClusterer = (*Clusterer)(nil)

// KeptCurrent reports whether features kept in the store were encoded by
// this version of the clusterer under its LeadSentences, with the lead
// text when it embeds (see Features).
func (c *Clusterer) KeptCurrent(b []byte) bool {
	return len(b) >= 2 && b[0] == featuresVersion &&
		(int(b[1]) == c.cfg.LeadSentences || (c.cfg.Embedder == nil && int(b[1]) == c.cfg.LeadSentences|noLeadText))
}

// EncodeFeatures returns the encoded features of a (Features, Encode).
func (c *Clusterer) EncodeFeatures(a digest.Article) []byte { return c.Features(a).Encode() }

// ClusterKept decodes the kept features and clusters as ClusterFeatures;
// an article whose features are not current is read from its text, and
// its features come back encoded (by index, nil for the others) for the
// store. Reading, encoding and decoding run on every core. The entries of
// features are set to nil as they are decoded.
//
// With again (may be nil), the features are read with it, a batch of
// articles at a time (weighBatch), and the entries of features need only
// be their heads (digest.KeptArticle.Head), which say which articles have
// current features: a window's encodings are never held at once. Nor are
// its term counts, most of the features, held between the two passes
// that weigh them: the first pass decodes the rest and counts the
// document frequencies, the second reads the features again and weighs
// their terms; a window whose term counts take no more than heldTerms
// bytes holds them instead of reading them again. Features that
// changed since the heads were read or in between (another build's, or
// gone) make it fail with digest.ErrKeptChanged.
func (c *Clusterer) ClusterKept(ctx context.Context, articles []digest.Article, features [][]byte, prior []int64, again digest.KeptReader) ([]digest.Story, [][]byte, error) {
	if len(features) != len(articles) {
		return nil, nil, fmt.Errorf("cluster articles: %d articles, %d features", len(articles), len(features))
	}
	if prior != nil && len(prior) != len(articles) {
		return nil, nil, fmt.Errorf("cluster articles: %d articles, %d priors", len(articles), len(prior))
	}
	if len(articles) == 0 {
		return nil, nil, nil
	}
	// The features are decoded straight into the batch's docs, which
	// weigh turns into their compact weighed form: no second copy of the
	// window's features is held, and the leads only for embeddings.
	docs := make([]doc, len(articles))
	fresh := make([][]byte, len(articles))
	errs := make([]error, len(articles))
	var leads []string
	if c.cfg.Embedder != nil {
		leads = make([]string, len(articles))
	}
	// With again: what each article's body adds to the document
	// frequencies (by worker, as weigh counts them), and a hash of each
	// one's term counts, to know them when they are read again.
	var dfs []map[uint64]int32
	var sums []uint64
	seed := maphash.MakeSeed()
	// The term counts held in hand for the second pass (heldTerms): their
	// bytes, and which docs hold them; the order both passes read in.
	var held atomic.Int64
	var isHeld []bool
	var order []int
	if again != nil {
		dfs, sums = make([]map[uint64]int32, parallel.Workers(len(articles))), make([]uint64, len(articles))
		isHeld, order = make([]bool, len(articles)), byID(articles)
	}
	// drop counts what doc i's body adds to the document frequencies and
	// lets go of its term counts, to be read again (eachAgain).
	drop := func(w, i int) {
		d := &docs[i]
		if dfs[w] == nil {
			dfs[w] = map[uint64]int32{}
		}
		df := dfs[w]
		eachBodyTerm(d.terms, func(id uint64) { df[id]++ })
		sums[i] = maphash.Bytes(seed, d.terms) | 1 // 0: in hand
		d.parsed = nil
	}
	read := func(w, i int) {
		var lead string
		if !c.KeptCurrent(features[i]) {
			f := c.Features(articles[i])
			fresh[i] = f.Encode()
			docs[i], lead = f.d, f.lead
			docs[i].titleKeys = nil // encoded
		} else {
			docs[i], lead, errs[i] = c.decodeDoc(features[i], true, leads != nil)
			switch d := &docs[i]; {
			case d.parsed == nil || d.terms == nil: // not decoded
			case again == nil:
				d.terms = slices.Clone(d.terms) // the rest of the encoding is let go of
			case held.Add(int64(len(d.terms))) <= heldTerms:
				d.terms = slices.Clone(d.terms)
				isHeld[i] = true
			default:
				drop(w, i)
			}
			features[i] = nil // decoded: the encoding need not be held as well
		}
		docs[i].setMeta(articles[i])
		if leads != nil {
			leads[i] = lead
		}
	}
	var err error
	r := trace.StartRegion(ctx, "cluster: features")
	if again == nil {
		parallel.Each(len(articles), read)
	} else {
		// The features are read a batch at a time here too: a window's
		// encodings (~1.4 KB an article) held at once were the peak of
		// the run.
		err = c.inBatches(ctx, articles, order, func(i int) bool { return c.KeptCurrent(features[i]) }, again, func(i int, b []byte) error {
			if !c.KeptCurrent(b) {
				return fmt.Errorf("cluster article %d: %w", articles[i].ID, digest.ErrKeptChanged)
			}
			features[i] = b
			return nil
		}, read)
	}
	r.End()
	if err != nil {
		return nil, nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("cluster article %d: %w", articles[i].ID, err)
		}
	}
	if held.Load() > heldTerms {
		// All or none: a window larger than that reads every one again,
		// as its second pass reads most anyway, and holding some would
		// raise the peak of the heap, which such a window's clustering
		// sets, by as much.
		parallel.Each(len(docs), func(w, i int) {
			if isHeld[i] {
				drop(w, i)
			}
		})
	}
	r = trace.StartRegion(ctx, "cluster: weigh")
	if again == nil {
		weigh(docs, false)
	} else {
		err = weighFrom(docs, false, dfs, func(fn func(w, i int)) error {
			return c.eachAgain(ctx, articles, order, docs, sums, seed, again, fn)
		})
	}
	r.End()
	if err != nil {
		return nil, nil, err
	}
	stories, err := c.cluster(ctx, articles, docs, prior, func([]digest.Article) []string { return leads })
	return stories, fresh, err
}

// heldTerms is how many bytes of encoded term counts ClusterKept holds
// between its two passes rather than read again, when the whole window's
// fit. The 200-feed farm's 10,000 articles have 3.9 MB of them (7.6 MB
// before term ids were written in 32 bits, see termID; the term-MB of
// BenchmarkClusterKept_Farm) and are read once instead of twice; a pass
// over their features is ~33 ms of SQLite reads (BenchmarkDB_KeptFeatures
// in digest/store). At 800 feeds, four times the articles, every one is
// read again, as before: holding the first 12 MB raised that run's peak RSS
// from ~131 to ~152 MB (FEEDS=800 scripts/bench-first-run.sh). (A variable
// for tests.)
var heldTerms int64 = 12 << 20

// weighBatch is how many articles' features ClusterKept reads again at
// once: the second pass holds this many encodings, not a window's. (A
// variable for tests.)
var weighBatch = 512

// eachAgain calls fn(w, i) for every doc, as parallel.Each does, a batch at
// a time; a doc whose term counts are not in hand (sums[i] != 0) gets
// them from its features read again (again), which must hash to sums[i].
func (c *Clusterer) eachAgain(ctx context.Context, articles []digest.Article, order []int, docs []doc, sums []uint64, seed maphash.Seed, again digest.KeptReader, fn func(w, i int)) error {
	return c.inBatches(ctx, articles, order, func(i int) bool { return sums[i] != 0 }, again, func(i int, b []byte) error {
		terms, ok := c.keptTerms(b)
		if !ok || maphash.Bytes(seed, terms)|1 != sums[i] {
			return fmt.Errorf("cluster article %d: %w", articles[i].ID, digest.ErrKeptChanged)
		}
		docs[i].parsed = &parsed{terms: terms}
		return nil
	}, fn)
}

// inBatches calls fn(w, i) for every article, as parallel.Each does, a
// batch (weighBatch) of order (byID) at a time: before a batch, the
// features of its articles that need them (need) are read (again) and
// given to take (nil when they are gone), whose error stops it. The next
// batch's features are read while fn runs over this one's, so that the
// store's reads (one connection on SQLite) and the processors' work
// overlap instead of taking turns; two batches' encodings are held at
// once, not a window's.
func (c *Clusterer) inBatches(ctx context.Context, articles []digest.Article, order []int, need func(i int) bool, again digest.KeptReader, take func(i int, b []byte) error, fn func(w, i int)) error {
	type read struct {
		kept map[int64][]byte
		err  error
	}
	// fetch starts the read of the features batch needs; nil when none.
	fetch := func(batch []int) chan read {
		var ids []int64
		for _, i := range batch {
			if need(i) {
				ids = append(ids, articles[i].ID)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		ch := make(chan read, 1)
		go func() {
			kept, err := again(ctx, ids)
			ch <- read{kept, err}
		}()
		return ch
	}
	batchAt := func(start int) []int { return order[start:min(start+weighBatch, len(order))] }
	next := fetch(batchAt(0))
	for start := 0; start < len(order); start += weighBatch {
		batch, pending := batchAt(start), next
		next = nil
		if pending != nil {
			r := <-pending
			if r.err != nil {
				return fmt.Errorf("cluster articles: read kept features: %w", r.err)
			}
			for _, i := range batch {
				if !need(i) {
					continue
				}
				if err := take(i, r.kept[articles[i].ID]); err != nil {
					return err
				}
			}
		}
		if start+weighBatch < len(order) {
			// need is asked of the next batch's articles before fn runs
			// over this one's, which changes none of theirs.
			next = fetch(batchAt(start + weighBatch))
		}
		parallel.Each(len(batch), func(w, k int) { fn(w, batch[k]) })
	}
	return nil
}

// byID returns the indexes of articles in the order of their IDs, the
// store's order of their features, in which both of ClusterKept's passes
// read them: a batch of the window's order (by time, many feeds' articles
// interleaved) has its rows on as many pages as it has rows, and each
// pass read most of the table's pages twice or more.
func byID(articles []digest.Article) []int {
	order := make([]int, len(articles))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(articles[a].ID, articles[b].ID) })
	return order
}

// keptTerms returns the encoded term counts of current features (see
// decodeDoc); false when b is not that.
func (c *Clusterer) keptTerms(b []byte) ([]byte, bool) {
	if !c.KeptCurrent(b) {
		return nil, false
	}
	r := reader{b: b[2:]}
	r.skipString() // identity
	r.skipString() // lead
	terms := r.b
	skipTerms(&r)
	if r.err != nil {
		return nil, false
	}
	return terms[:len(terms)-len(r.b)], true
}
