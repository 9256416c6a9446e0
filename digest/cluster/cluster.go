// Package cluster groups articles about the same news event into stories.
//
// Three kinds of evidence join two articles (edges of a graph whose
// connected components, found with union-find, are the stories):
//
//   - identity: the same canonical URL, or the same digest.IdentityKey
//     (title and a text long enough to identify the article);
//   - near-duplicate text: 64-bit SimHash fingerprints of word 3-shingles
//     within a small Hamming distance (wire copy republished with edits);
//   - same event: a similarity score that combines the TF-IDF cosine of the
//     title and first sentences, the TF-IDF cosine of the whole text and the
//     overlap of named entities and figures, for articles published within
//     a time window of each other; optionally the cosine of embeddings.
package cluster

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
)

// Embedder turns texts into embedding vectors, one per text, in order. An
// LLM-backed implementation calls an OpenAI-compatible /embeddings endpoint.
// Cluster passes every article's title and opening sentences in one call;
// an implementation splits them into requests as its endpoint requires.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Config tunes the clusterer. The zero value of a field means its default
// (see DefaultConfig); negative weights are treated as zero.
type Config struct {
	// NearDuplicateBits is the largest Hamming distance between two 64-bit
	// SimHash fingerprints that still marks a near-duplicate (1..15;
	// default 6, about a shingle cosine of 0.95: a lightly edited copy).
	// Near-duplicates join only within Window, because templated texts
	// ("events calendar, week 47") recur.
	NearDuplicateBits int
	// Window is how far apart in time two articles may be published and
	// still be the same event (default 48h). Articles without a time are
	// compared with everyone.
	Window time.Duration
	// LeadSentences is how many opening sentences join the title in the
	// lead vector (default 2).
	LeadSentences int
	// Weights of the three similarity signals in the same-event score.
	LeadWeight, BodyWeight, EntityWeight float64
	// Threshold is the same-event score at or above which two articles are
	// joined (default 0.26).
	Threshold float64
	// MinSharedEntities is how many named entities or figures two articles
	// must share to be joined as the same event (default 2; a full name
	// such as "Helena Marwick" counts once). It keeps stories on one
	// subject but different events (two steel tariff decisions) apart.
	MinSharedEntities int
	// Embedder, when set, adds an edge between articles whose title-and-lead
	// embeddings have cosine similarity at or above EmbeddingThreshold and
	// that share at least one entity. Errors from it are logged and the
	// clustering goes on without embeddings.
	Embedder           Embedder
	EmbeddingThreshold float64 // default 0.86
	Logger             *slog.Logger
}

// DefaultConfig returns the tuned defaults (see testdata/labelled.json and
// TestEvaluate for how they were chosen).
func DefaultConfig() Config {
	return Config{
		NearDuplicateBits:  6,
		Window:             48 * time.Hour,
		LeadSentences:      2,
		LeadWeight:         0.45,
		BodyWeight:         0.30,
		EntityWeight:       0.25,
		Threshold:          0.26,
		MinSharedEntities:  2,
		EmbeddingThreshold: 0.86,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.NearDuplicateBits = min(positive(c.NearDuplicateBits, d.NearDuplicateBits), 15)
	c.Window = positive(c.Window, d.Window)
	c.LeadSentences = positive(c.LeadSentences, d.LeadSentences)
	if c.LeadWeight <= 0 && c.BodyWeight <= 0 && c.EntityWeight <= 0 {
		c.LeadWeight, c.BodyWeight, c.EntityWeight = d.LeadWeight, d.BodyWeight, d.EntityWeight
	}
	c.LeadWeight, c.BodyWeight, c.EntityWeight = max(c.LeadWeight, 0), max(c.BodyWeight, 0), max(c.EntityWeight, 0)
	c.Threshold = positive(c.Threshold, d.Threshold)
	c.MinSharedEntities = positive(c.MinSharedEntities, d.MinSharedEntities)
	c.EmbeddingThreshold = positive(c.EmbeddingThreshold, d.EmbeddingThreshold)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// positive returns v, or def when v is zero or negative (unset).
func positive[T int | float64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Clusterer groups articles into stories. It is safe for concurrent use.
type Clusterer struct {
	cfg Config
}

var _ digest.Clusterer = (*Clusterer)(nil)

// New returns a Clusterer; zero fields of cfg take their defaults.
func New(cfg Config) *Clusterer {
	return &Clusterer{cfg: cfg.withDefaults()}
}

// Cluster returns one story per group of articles about the same event.
// Every article is in exactly one story; the lead (Articles[0]) is the one
// with the longest text (ties: earliest, then input order), the others
// follow by publication time. Stories come in the order of their first
// article in the input. The result depends only on the input.
func (c *Clusterer) Cluster(ctx context.Context, articles []digest.Article) ([]digest.Story, error) {
	if len(articles) == 0 {
		return nil, nil
	}
	docs := analyse(articles, c.cfg.LeadSentences)
	uf := newUnionFind(len(docs))
	c.joinIdentical(docs, uf)
	identical := uf.merges
	c.joinNearDuplicates(docs, uf)
	nearDup := uf.merges - identical
	if err := c.joinSameEvent(ctx, docs, uf); err != nil {
		return nil, err
	}
	sameEvent := uf.merges - identical - nearDup
	if c.cfg.Embedder != nil {
		if err := c.joinByEmbedding(ctx, docs, uf); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("cluster by embeddings: %w", ctx.Err())
			}
			c.cfg.Logger.Warn("embeddings unavailable; clustering without them", "error", err)
		}
	}
	stories := buildStories(articles, uf)
	c.cfg.Logger.Debug("articles clustered", "articles", len(articles), "stories", len(stories),
		"identical_joins", identical, "near_duplicate_joins", nearDup, "same_event_joins", sameEvent,
		"embedding_joins", uf.merges-identical-nearDup-sameEvent)
	return stories, nil
}

// joinIdentical joins articles with the same URL or the same identity key
// (digest.IdentityKey): feeds often carry items with an empty, one-line or
// placeholder body, and those are not thereby alike.
func (c *Clusterer) joinIdentical(docs []doc, uf *unionFind) {
	byKey := map[string]int{}
	for i, d := range docs {
		keys := []string{"i:" + d.identity}
		if d.url != "" {
			keys = append(keys, "u:"+d.url)
		}
		for _, k := range keys {
			if k == "i:" || k == "u:" {
				continue
			}
			if j, ok := byKey[k]; ok {
				uf.union(i, j)
			} else {
				byKey[k] = i
			}
		}
	}
}

// joinNearDuplicates joins articles published within the window whose
// SimHash fingerprints differ in at most k = NearDuplicateBits bits.
// Splitting the 64 bits into k+1 bands finds every such pair without
// comparing all of them: with at most k differing bits one band is equal.
// Each band's buckets are scanned in time order, so a fingerprint that
// recurs all through the batch (a templated weekly text) costs a sort, not
// a comparison of every pair of its copies.
func (c *Clusterer) joinNearDuplicates(docs []doc, uf *unionFind) {
	k := c.cfg.NearDuplicateBits
	bands := k + 1
	order := make([]int, 0, len(docs))
	for i := range docs {
		if docs[i].shingles >= minShingles { // shorter: no meaningful fingerprint
			order = append(order, i)
		}
	}
	// Oldest first, undated last (cmpTime), input order among equals.
	slices.SortStableFunc(order, func(a, b int) int { return cmpTime(docs[a].when, docs[b].when) })
	for band := 0; band < bands; band++ {
		lo, hi := 64*band/bands, 64*(band+1)/bands
		mask := uint64(1)<<uint(hi-lo) - 1
		buckets := map[uint64][]int{}
		var keys []uint64 // in order of first use, so the scan is deterministic
		for _, i := range order {
			key := docs[i].simhash >> uint(lo) & mask
			if _, ok := buckets[key]; !ok {
				keys = append(keys, key)
			}
			buckets[key] = append(buckets[key], i)
		}
		for _, key := range keys {
			c.joinBucket(docs, buckets[key], uf)
		}
	}
}

// joinBucket joins the near-duplicates among members, which are in time
// order with the undated ones last: a dated article is compared with the
// later ones up to Window after it, and with every undated one.
func (c *Clusterer) joinBucket(docs []doc, members []int, uf *unionFind) {
	undated := len(members)
	for undated > 0 && docs[members[undated-1]].when.IsZero() {
		undated--
	}
	k := c.cfg.NearDuplicateBits
	join := func(i, j int) {
		if hamming(docs[i].simhash, docs[j].simhash) <= k {
			uf.union(i, j)
		}
	}
	for a, i := range members {
		b := a + 1
		for ; b < undated && docs[members[b]].when.Sub(docs[i].when) <= c.cfg.Window; b++ {
			join(i, members[b])
		}
		for b = max(b, undated); b < len(members); b++ {
			join(i, members[b])
		}
	}
}

// withinWindow reports whether two articles are close enough in time to be
// one event; an article without a time is close to every other.
func (c *Clusterer) withinWindow(a, b *doc) bool {
	if a.when.IsZero() || b.when.IsZero() {
		return true
	}
	d := a.when.Sub(b.when)
	return d <= c.cfg.Window && d >= -c.cfg.Window
}

// joinSameEvent scores the candidate pairs and joins those at or above the
// threshold.
func (c *Clusterer) joinSameEvent(ctx context.Context, docs []doc, uf *unionFind) error {
	return c.eachCandidate(ctx, docs, uf, func(i, j int) {
		if c.sameEvent(&docs[i], &docs[j]) {
			uf.union(i, j)
		}
	})
}

// eachCandidate calls fn for every pair of articles, not yet in one story,
// published within the window of each other and sharing at least one
// named entity or figure that is not common in the batch. Pairs that share
// only common entities ("China", "2026" in a batch of trade news) are not
// candidates: that is weak evidence of one event, and skipping them keeps
// the work far below all pairs. In batches under 1,000 articles nothing is
// common (the bar is 50 articles) and every pair sharing an entity is
// visited.
func (c *Clusterer) eachCandidate(ctx context.Context, docs []doc, uf *unionFind, fn func(i, j int)) error {
	postings := map[int32][]int{}
	for i, d := range docs {
		for _, e := range d.entities {
			if e.head {
				postings[e.id] = append(postings[e.id], i)
			}
		}
	}
	common := max(50, len(docs)/20)
	seen := make([]int, len(docs)) // seen[j] == i+1: pair (i, j) visited
	for i := range docs {
		if i%64 == 0 && ctx.Err() != nil {
			return fmt.Errorf("cluster articles: %w", ctx.Err())
		}
		for _, e := range docs[i].entities {
			p := postings[e.id]
			if !e.head || len(p) > common {
				continue
			}
			for _, j := range p {
				if j <= i || seen[j] == i+1 {
					continue
				}
				seen[j] = i + 1
				if c.withinWindow(&docs[i], &docs[j]) && uf.find(i) != uf.find(j) {
					fn(i, j)
				}
			}
		}
	}
	return nil
}

// sameEvent reports whether two articles are about one event.
func (c *Clusterer) sameEvent(a, b *doc) bool {
	shared, ent := entityOverlap(a.entities, b.entities)
	if shared < c.cfg.MinSharedEntities {
		return false
	}
	return c.score(a, b, ent) >= c.cfg.Threshold
}

func (c *Clusterer) score(a, b *doc, ent float64) float64 {
	return c.cfg.LeadWeight*a.lead.cosine(b.lead) + c.cfg.BodyWeight*a.body.cosine(b.body) + c.cfg.EntityWeight*ent
}

// joinByEmbedding adds edges between candidate articles whose lead
// embeddings are close.
func (c *Clusterer) joinByEmbedding(ctx context.Context, docs []doc, uf *unionFind) error {
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.leadText
	}
	vecs, err := c.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("embed %d texts: %w", len(texts), err)
	}
	if len(vecs) != len(docs) {
		return fmt.Errorf("embed %d texts: got %d vectors", len(texts), len(vecs))
	}
	norms := make([]float64, len(vecs))
	for i, v := range vecs {
		norms[i] = norm32(v)
	}
	return c.eachCandidate(ctx, docs, uf, func(i, j int) {
		if len(vecs[i]) != len(vecs[j]) || norms[i] == 0 || norms[j] == 0 {
			return
		}
		if dot32(vecs[i], vecs[j])/(norms[i]*norms[j]) >= c.cfg.EmbeddingThreshold {
			uf.union(i, j)
		}
	})
}

func dot32(a, b []float32) float64 {
	var s float64
	for k := range a {
		s += float64(a[k]) * float64(b[k])
	}
	return s
}

func norm32(v []float32) float64 { return math.Sqrt(dot32(v, v)) }

// buildStories turns the union-find components into stories.
func buildStories(articles []digest.Article, uf *unionFind) []digest.Story {
	groups := map[int][]int{}
	var roots []int // in order of first member
	for i := range articles {
		r := uf.find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	stories := make([]digest.Story, 0, len(roots))
	for _, r := range roots {
		members := groups[r]
		lead := slices.MinFunc(members, func(a, b int) int { return leadOrder(articles, a, b) })
		rest := slices.DeleteFunc(slices.Clone(members), func(i int) bool { return i == lead })
		slices.SortStableFunc(rest, func(a, b int) int { return cmpTime(articles[a].Published, articles[b].Published) })
		st := digest.Story{Articles: make([]digest.Article, 0, len(members))}
		st.Articles = append(st.Articles, articles[lead])
		for _, i := range rest {
			st.Articles = append(st.Articles, articles[i])
		}
		st.Key = articles[lead].ContentHash
		if st.Key == "" {
			st.Key = digest.ContentHash(articles[lead].Title + "\n" + articles[lead].Text)
		}
		stories = append(stories, st)
	}
	return stories
}

// leadOrder orders candidates for lead: longest text first, then earliest,
// then input order.
func leadOrder(articles []digest.Article, a, b int) int {
	la, lb := utf8.RuneCountInString(articles[a].Text), utf8.RuneCountInString(articles[b].Text)
	if la != lb {
		return cmp.Compare(lb, la)
	}
	if c := cmpTime(articles[a].Published, articles[b].Published); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// cmpTime orders times ascending with zero times last (unknown is not early).
func cmpTime(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// unionFind is a disjoint-set forest with path halving and union by size.
type unionFind struct {
	parent, size []int
	merges       int // unions that joined two sets, for the log
}

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int, n), size: make([]int, n)}
	for i := range u.parent {
		u.parent[i] = i
		u.size[i] = 1
	}
	return u
}

func (u *unionFind) find(x int) int {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if u.size[ra] < u.size[rb] || (u.size[ra] == u.size[rb] && rb < ra) {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.size[ra] += u.size[rb]
	u.merges++
}
