// Package cluster groups articles about the same news event into stories.
//
// Four kinds of evidence link two articles:
//
//   - identity: the same canonical URL, or the same digest.IdentityKey
//     (title and a text long enough to identify the article);
//   - near-duplicate text: 64-bit SimHash fingerprints of word 3-shingles
//     within a small Hamming distance (wire copy republished with edits);
//   - same event: a similarity score that combines the TF-IDF cosine of the
//     title and first sentences, the TF-IDF cosine of the whole text and the
//     overlap of named entities and figures (places made canonical: Beijing
//     and the White House are China and the US; an acronym meets the name
//     it stands for, OFAC the Office of Foreign Assets Control: see
//     aliases.go), for articles that share enough of them, raised for
//     two reports of one singular event of one actor (a central bank's
//     rate decision, a court's ruling: see events.go), for two reports
//     stating one distinctive figure ("2.2 million barrels per day",
//     "2.2m b/d": see shareFigure) and for two outlets' reports published
//     within hours of each other, lowered for reports days apart (see
//     timeAdjust);
//   - optionally, the cosine of embeddings of title and lead.
//
// Links do not chain. Stories grow by merging groups, strongest links
// first (in that order a same-event link counts as weaker for every hour
// between its articles: see closerFirst), and two groups merge only when
// every article of one is compatible with every article of the other:
// published within the window of each other, not stating conflicting
// facts (the same title template with another country, product or figure
// in one slot, or titles naming places that neither text mentions of the
// other's: see facts.go), similar enough on average (average linkage),
// and, for two articles of the same outlet, similar by the stronger
// same-outlet bar: an outlet rarely reports one event twice, and often
// reports one subject many times (its video, pictures or live page of an
// event are held to the other bar: see outletBar). An article still alone
// goes to the story that takes it and where it has its strongest pair,
// among the stories its links reach, rather than to the first link's
// (see grouping.home).
package cluster

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"runtime/trace"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/defaults"
	"github.com/tradedigest/tradedigest/internal/keysort"
	"github.com/tradedigest/tradedigest/internal/parallel"
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
	// Window is how far apart in time two articles of one story may be
	// published (default 48h). Articles without a time are compared with
	// everyone.
	Window time.Duration
	// LeadSentences is how many opening sentences join the title in the
	// lead vector (default 2).
	LeadSentences int
	// Weights of the three similarity signals in the same-event score
	// (defaults 0.55, 0.25, 0.20): two outlets' reports of one event say
	// it in their title and first sentences, while two events on one
	// subject share much of the rest of their vocabulary.
	LeadWeight, BodyWeight, EntityWeight float64
	// Threshold is the same-event score at or above which two articles of
	// different outlets are linked (default 0.22).
	Threshold float64
	// SameOutletThreshold is the same-event score two articles of one
	// outlet need to be in one story, unless they are near-duplicates or
	// one is a media item such as "... – video" (default 0.36).
	SameOutletThreshold float64
	// LinkThreshold is the mean pairwise score two groups need to merge
	// (default 0.16): every member must be near the whole story, not one
	// neighbour. Near-duplicate and identical pairs count as 1.
	LinkThreshold float64
	// MinSharedEntities is how many named entities or figures two articles
	// must share to be linked as the same event (default 1; a full name
	// such as "Helena Marwick" counts once). Paraphrased reports often
	// share one name only ("India bans sugar exports", "No Indian sugar
	// for world market"); stories on one subject but different events (two
	// steel tariff decisions) are kept apart by the slot and place tests
	// and the score.
	MinSharedEntities int
	// Embedder, when set, adds a link between articles whose title-and-lead
	// embeddings have cosine similarity at or above EmbeddingThreshold and
	// that share at least one entity; such a pair also counts as at the
	// threshold in the average. Errors from it are logged and the
	// clustering goes on without embeddings.
	Embedder           Embedder
	EmbeddingThreshold float64 // default 0.86
	Logger             *slog.Logger
}

// DefaultConfig returns the tuned defaults (see testdata/labelled.json and
// TestEvaluate for how they were chosen).
func DefaultConfig() Config {
	return Config{
		NearDuplicateBits:   6,
		Window:              48 * time.Hour,
		LeadSentences:       2,
		LeadWeight:          0.55,
		BodyWeight:          0.25,
		EntityWeight:        0.20,
		Threshold:           0.22,
		SameOutletThreshold: 0.36,
		LinkThreshold:       0.16,
		MinSharedEntities:   1,
		EmbeddingThreshold:  0.86,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.NearDuplicateBits = min(defaults.PositiveOr(c.NearDuplicateBits, d.NearDuplicateBits), 15)
	c.Window = defaults.PositiveOr(c.Window, d.Window)
	// At most 127: the encoded features keep it in the seven low bits of
	// a byte (noLeadText is the eighth).
	c.LeadSentences = min(defaults.PositiveOr(c.LeadSentences, d.LeadSentences), noLeadText-1)
	if c.LeadWeight <= 0 && c.BodyWeight <= 0 && c.EntityWeight <= 0 {
		c.LeadWeight, c.BodyWeight, c.EntityWeight = d.LeadWeight, d.BodyWeight, d.EntityWeight
	}
	c.LeadWeight, c.BodyWeight, c.EntityWeight = max(c.LeadWeight, 0), max(c.BodyWeight, 0), max(c.EntityWeight, 0)
	c.Threshold = defaults.PositiveOr(c.Threshold, d.Threshold)
	c.SameOutletThreshold = defaults.PositiveOr(c.SameOutletThreshold, d.SameOutletThreshold)
	c.LinkThreshold = defaults.PositiveOr(c.LinkThreshold, d.LinkThreshold)
	c.MinSharedEntities = defaults.PositiveOr(c.MinSharedEntities, d.MinSharedEntities)
	c.EmbeddingThreshold = defaults.PositiveOr(c.EmbeddingThreshold, d.EmbeddingThreshold)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
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

// Kinds of links, strongest first: merges are tried in this order.
const (
	linkIdentical = iota
	linkNearDuplicate
	linkSameEvent
	linkEmbedding
	linkKinds
)

var linkNames = [linkKinds]string{digest.JoinIdentical, digest.JoinNearDuplicate, digest.JoinSameEvent, digest.JoinEmbedding}

// link is a candidate edge between two articles.
type link struct {
	i, j     int
	kind     int
	strength float64 // higher first within a kind
}

// Cluster returns one story per group of articles about the same event.
// Every article is in exactly one story; the lead (Articles[0]) is the one
// with the longest text (ties: earliest, then by URL: canonicalOrder),
// the others follow by publication time, and Joins says for each how it
// relates to the story. Stories come in the order of their first article
// in the input. The stories depend on the articles, not on their order.
func (c *Clusterer) Cluster(ctx context.Context, articles []digest.Article) ([]digest.Story, error) {
	if len(articles) == 0 {
		return nil, nil
	}
	return c.cluster(ctx, articles, analyse(articles, c.cfg.LeadSentences), nil, c.leads(nil))
}

// ClusterFeatures is Cluster for articles whose features were kept
// (Features, by index; an article without them must have its text), and
// which an earlier run may have clustered already: articles with the same
// non-zero prior are one story of that run and stay together, and an
// article whose prior is 0 is new. prior may be nil: every article is new,
// and the result is Cluster's. The stories' articles are the ones given,
// texts or not.
//
// Only links with a new article are made and tried, strongest first, each
// merge tested against every member as Cluster tests it, with the weights
// of the whole window. The stories can differ from clustering the window
// afresh in these ways, and no other:
//   - earlier stories never split: a new article that would have taken an
//     earlier article away from its story (their link stronger than the
//     one that formed the story, the story's other members incompatible
//     with the new one) joins the whole story or stays apart;
//   - a new article can join two earlier stories into one (it bridges
//     them) only when the merged story passes the average and every
//     pairwise test, as afresh; but afresh, the earlier articles' own links
//     might have been tried in another order around it;
//   - the earlier stories were formed with the weights of their own
//     window, which new articles shift a little.
func (c *Clusterer) ClusterFeatures(ctx context.Context, articles []digest.Article, feats []Features, prior []int64) ([]digest.Story, error) {
	if len(feats) != len(articles) || (prior != nil && len(prior) != len(articles)) {
		return nil, fmt.Errorf("cluster articles: %d articles, %d features, %d priors", len(articles), len(feats), len(prior))
	}
	if len(articles) == 0 {
		return nil, nil
	}
	docs := make([]doc, len(articles))
	parallel.Each(len(articles), func(_, i int) { docs[i] = feats[i].docOf(articles[i], c.cfg.LeadSentences) })
	weigh(docs, false)
	// Without embeddings no lead is asked for: the features need not be
	// held while clustering (docs has what the clusterer reads of them).
	var leads func([]digest.Article) []string
	if c.cfg.Embedder != nil {
		leads = c.leads(feats)
	}
	return c.cluster(ctx, articles, docs, prior, leads)
}

// cluster groups the analysed articles (see ClusterFeatures for prior).
// docs, which it reorders, are the articles' by index.
//
// leads gives the title-and-lead texts of the articles for embeddings (nil
// without an Embedder), in a slice cluster may reorder.
func (c *Clusterer) cluster(ctx context.Context, articles []digest.Article, docs []doc, prior []int64, leads func([]digest.Article) []string) ([]digest.Story, error) {
	at := canonicalOrder(articles)
	keysort.Permute(docs, at)
	if prior != nil {
		prior = slices.Clone(prior) // the caller's
		keysort.Permute(prior, at)
	}
	internOutlets(docs)
	g := newGrouping(&c.cfg, docs)
	g.keepPrior(prior)
	if c.cfg.Embedder != nil {
		texts := leads(articles) // by input index
		keysort.Permute(texts, at)
		vecs, err := c.embed(ctx, texts)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("cluster by embeddings: %w", ctx.Err())
		case err != nil:
			c.cfg.Logger.Warn("embeddings unavailable; clustering without them", "error", err)
		default:
			g.vecs = vecs
		}
	}
	r := trace.StartRegion(ctx, "cluster: links")
	links, err := c.links(ctx, g, true)
	r.End()
	if err != nil {
		return nil, err
	}
	defer trace.StartRegion(ctx, "cluster: join").End()
	joins := g.joinAll(links)
	g.releaseAlone()
	plans := g.storyPlans(at)
	// The stories' articles and joins are a window's worth of new
	// allocations: the features are let go of first (a run's peak was
	// here, with both held).
	refused, conflicting := g.refused, g.conflicting
	*g = grouping{}
	stories := makeStories(articles, at, plans)
	c.cfg.Logger.Debug("articles clustered", "articles", len(articles), "stories", len(stories),
		"identical_joins", joins[linkIdentical], "near_duplicate_joins", joins[linkNearDuplicate],
		"same_event_joins", joins[linkSameEvent], "embedding_joins", joins[linkEmbedding],
		"refused_conflict", refused[refusedConflict], "refused_same_outlet", refused[refusedOutlet],
		"refused_window", refused[refusedWindow], "refused_average", refused[refusedAverage],
		"conflicting_pairs", conflicting)
	return stories, nil
}

// links returns the candidate links of the batch, strongest first (by
// kind, then strength, then articles). With early, a pair whose articles
// state conflicting facts (clash) never becomes a link: join would refuse
// it, since it tests that very pair, so leaving it out changes no
// decision, and a batch of templated texts has millions of them (the
// near-duplicate pairs of one template, told apart by their titles).
//
// With early, a candidate pair whose titles' places or goods clash is
// also left out before it is scored: that test is a look-up by the
// articles' classes (factClasses), while scoring the pair takes its
// cosines, and on the farm's templated texts more than nine candidates in
// ten clash so (on the labelled set, one in six).
func (c *Clusterer) links(ctx context.Context, g *grouping, early bool) ([]link, error) {
	// The near-duplicate scan's workers each test pairs with a tester of
	// their own (grouping.testers), gathered after it.
	var keeps func(workers int) []func(i, j int) bool
	var near []*clashFork
	var classes *pairClasses
	if early {
		keeps = func(workers int) []func(i, j int) bool {
			near = g.testers(workers)
			fs := make([]func(i, j int) bool, workers)
			for w, t := range near {
				fs[w] = func(i, j int) bool { return t.keep(g, i, j) }
			}
			return fs
		}
		classes = g.pairClasses()
	}
	links := slices.DeleteFunc(g.identicalLinks(), func(l link) bool { return g.old(l.i, l.j) })
	nearLinks := c.nearDuplicateLinks(g.docs, g.fresh, keeps, classes)
	links = append(links, nearLinks...)
	g.settle(near)
	var kept pairSet
	if early {
		kept = newPairSet(nearLinks)
	}
	more, err := c.similarLinks(ctx, g, early, kept)
	if err != nil {
		return nil, err
	}
	links = append(links, more...)
	slices.SortFunc(links, func(a, b link) int {
		if a.kind != b.kind {
			return cmp.Compare(a.kind, b.kind)
		}
		if a.strength != b.strength {
			return cmp.Compare(b.strength, a.strength)
		}
		if a.i != b.i {
			return cmp.Compare(a.i, b.i)
		}
		return cmp.Compare(a.j, b.j)
	})
	return links, nil
}

// identicalLinks links articles with the same URL or the same identity key
// (digest.IdentityKey): feeds often carry items with an empty, one-line or
// placeholder body, and those are not thereby alike.
// The keys are compared by their numbers (grouping.identities and urls),
// each article linked to the first with its key.
func (g *grouping) identicalLinks() []link {
	var out []link
	first := [2][]int{make([]int, len(g.docs)+1), make([]int, len(g.docs)+1)} // by number: index + 1
	for i := range g.docs {
		for k, n := range [2]int32{g.identities[i], g.urls[i]} {
			switch {
			case n == 0:
			case first[k][n] != 0:
				out = append(out, link{first[k][n] - 1, i, linkIdentical, 1})
			default:
				first[k][n] = i + 1
			}
		}
	}
	return out
}

// nearDuplicateLinks links articles published within the window whose
// SimHash fingerprints differ in at most k = NearDuplicateBits bits.
// Splitting the 64 bits into k+1 bands finds every such pair without
// comparing all of them: with at most k differing bits one band is equal.
// Each band's buckets are scanned in time order, so a fingerprint that
// recurs all through the batch (a templated weekly text) costs a sort, not
// a comparison of every pair of its copies. A pair that keep refuses is
// left out (keeps nil: every pair).
//
// With classes (nil: none; only with keeps), a pair that every keep test
// refuses for its articles' classes alone is not scanned: in a bucket
// where few pairs of classes agree (classedBucket), each member is paired
// with the members of the classes that agree with its own, and with its
// twins, only. On the farm's templated texts, one bucket a band holding
// every article, more than nine pairs in ten within the Hamming bound
// clash so (10,000 articles: 4.8 million asked of keep, 0.68 million of
// them in agreeing classes).
//
// The scan runs on the processors (parallel.Each), a stretch of a
// bucket's members at a time (scanStretch), each stretch's links kept
// apart and joined in the order of the stretches: the links are those of
// one scan, and in its order. keeps(n) gives a test for each of n
// workers, which may call theirs at once.
//
// With fresh (see grouping.fresh), only pairs with a new article are
// scanned, on one processor.
func (c *Clusterer) nearDuplicateLinks(docs []doc, fresh []bool, keeps func(workers int) []func(i, j int) bool, classes *pairClasses) []link {
	k := c.cfg.NearDuplicateBits
	bands := k + 1
	order := make([]int, 0, len(docs))
	for i := range docs {
		if docs[i].shingles >= minShingles { // shorter: no meaningful fingerprint
			order = append(order, i)
		}
	}
	// Oldest first, undated last (cmpTime), canonical order among equals
	// (the docs').
	slices.SortStableFunc(order, func(a, b int) int { return cmpTime(docs[a].when, docs[b].when) })
	// The fingerprints side by side: the scan reads two per pair, and a
	// doc is a few hundred bytes.
	sims := make([]uint64, len(docs))
	for i := range docs {
		sims[i] = docs[i].simhash
	}
	masks := bandMasks(bands)
	// A pair is scanned in every band where its keys agree (which pairs a
	// bucket scans depends on their times only), so it is new here unless
	// an earlier band's keys agree too: computed, not remembered, because
	// a batch of templated texts puts millions of pairs into the same
	// buckets.
	var stretches []scanStretch
	for band := 0; band < bands; band++ {
		lo := 64 * band / bands
		mask := masks[band] >> uint(lo)
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
			members := buckets[key]
			if len(members) < 2 {
				continue // no pair
			}
			// The members' fingerprints in bucket order, so that the
			// test of a pair, done for tens of millions of pairs on the
			// farm's templated texts, reads two neighbouring words.
			bucketSims := make([]uint64, len(members))
			for m, i := range members {
				bucketSims[m] = sims[i]
			}
			undated := undatedFrom(docs, members)
			// Grouped here, on one goroutine: the grouping asks
			// classes.clash, which writes its answers down.
			classed := c.groupBucket(docs, members, undated, classes)
			for from := 0; from < len(members); from += stretchMembers {
				stretches = append(stretches, scanStretch{band: band, members: members, sims: bucketSims, undated: undated,
					classed: classed, from: from, to: min(from+stretchMembers, len(members))})
			}
		}
	}
	scan := func(st scanStretch, keep func(i, j int) bool) []link {
		var out []link
		before := masks[:st.band]
		members, cb := st.members, st.classed
		near := func(x uint64) bool { return bits.OnesCount64(x) <= k && firstBand(x, before) }
		// pair links members a and b, near-duplicates, if keep keeps
		// them. The scan of new members leaves out a new one before a,
		// whose own scan has the pair (scanFresh); the scan of a's twins
		// leaves out those whose class agrees with a's, scanned with
		// their group.
		pair := func(a, b int, x uint64, twin bool) {
			i, j := members[a], members[b]
			if fresh != nil && fresh[j] && b < a {
				return
			}
			if twin && !(cb.apart(classes.class[i], classes.class[j]) && classes.identical(i, j)) {
				return
			}
			if keep == nil || keep(min(i, j), max(i, j)) {
				out = append(out, link{min(i, j), max(i, j), linkNearDuplicate, float64(64 - bits.OnesCount64(x))})
			}
		}
		span := func(a, from, to int) {
			s := st.sims[a]
			if cb == nil {
				for n, t := range st.sims[from:to] {
					if x := s ^ t; near(x) {
						pair(a, from+n, x, false)
					}
				}
				return
			}
			i := members[a]
			for _, h := range cb.with[cb.group[classes.class[i]]] {
				for _, b := range cb.span(cb.members[cb.start[h]:cb.start[h+1]], from, to) {
					if x := s ^ st.sims[b]; near(x) {
						pair(a, int(b), x, false)
					}
				}
			}
			if classes.twin[i] {
				for _, b := range cb.span(cb.twins, from, to) {
					if x := s ^ st.sims[b]; near(x) {
						pair(a, int(b), x, true)
					}
				}
			}
		}
		if fresh != nil {
			if st.from > 0 {
				return nil // the bucket's first stretch scans it all
			}
			c.scanFresh(docs, members, st.undated, fresh, span)
			return out
		}
		c.scanSpans(docs, members, st.undated, st.from, st.to, span)
		return out
	}
	found := make([][]link, len(stretches))
	workers := 1
	if fresh == nil && len(order) >= minParallelScan {
		workers = parallel.Workers(len(stretches))
	}
	tests := make([]func(i, j int) bool, workers)
	if keeps != nil {
		tests = keeps(workers)
	}
	if workers == 1 {
		for t, st := range stretches {
			found[t] = scan(st, tests[0])
		}
	} else {
		parallel.Each(len(stretches), func(w, t int) { found[t] = scan(stretches[t], tests[w]) })
	}
	var out []link
	for _, f := range found {
		out = append(out, f...)
	}
	return out
}

// pairClasses is what nearDuplicateLinks needs to know of the keep tests
// to leave out the pairs they refuse for their articles' classes alone:
// every test refuses a pair whose classes clash unless its articles are
// identical (as clashFork.keep does with factClasses).
type pairClasses struct {
	class []int32 // by article
	// clash reports whether two classes clash; nearDuplicateLinks calls
	// it before its workers start, on one goroutine.
	clash     func(ci, cj int32) bool
	identical func(i, j int) bool
	// twin marks the articles identical to another of the batch, the
	// only ones that can be kept with an article of a clashing class.
	twin []bool
}

// scanStretch is a stretch of one band's bucket for nearDuplicateLinks to
// scan: the pairs of the members from to to-1 with the members after
// them (scanSpans); members from undated on have no time.
type scanStretch struct {
	band     int
	members  []int
	sims     []uint64       // the members' fingerprints
	classed  *classedBucket // nil: every pair is scanned
	undated  int
	from, to int
}

// classedBucket is a bucket's members grouped by their classes
// (pairClasses), for the near-duplicate scan to pair a member with the
// members of the classes that agree with its own only, and with the
// members identical to it (twins) whose classes clash with its own.
type classedBucket struct {
	group map[int32]int32 // by class: its group
	// members holds the positions in the bucket of each group's members,
	// in bucket order: group g's from start[g] to start[g+1]-1.
	members []int32
	start   []int
	with    [][]int32 // by group: the groups whose classes agree with its own
	clash   []bool    // by pair of groups g, h (at g*len(with)+h): whether their classes clash
	twins   []int32   // the positions of the members that are twins (pairClasses.twin)
}

// apart reports whether classes ci and cj of the bucket's members clash.
func (cb *classedBucket) apart(ci, cj int32) bool {
	return cb.clash[int(cb.group[ci])*len(cb.with)+int(cb.group[cj])]
}

// span returns those of positions, ascending, that are from to to-1.
func (cb *classedBucket) span(positions []int32, from, to int) []int32 {
	lo, _ := slices.BinarySearch(positions, int32(from))
	hi, _ := slices.BinarySearch(positions, int32(to))
	return positions[lo:hi]
}

// minClassedBucket is how many members a bucket has at least for the
// near-duplicate scan to group them by class (classedBucket): a smaller
// one is scanned faster pair by pair than grouped.
const minClassedBucket = 64

// groupVisit is what the near-duplicate scan's visit of one group for a
// member costs, in tests of pairs (two spans, two binary searches each,
// more with a twin), for groupBucket to weigh against the pairs it
// saves.
const groupVisit = 16

// groupBucket returns a bucket's members grouped by class, or nil (every pair
// scanned) when that would not save half the tests: when most pairs'
// classes agree, as in real news, where most titles name no place and no
// goods (one class), or when there are so many groups that visiting them
// costs more than the pairs left out save. The bucket's members are in
// time order, undated ones from undated on.
func (c *Clusterer) groupBucket(docs []doc, members []int, undated int, pc *pairClasses) *classedBucket {
	n := len(members)
	if pc == nil || n < minClassedBucket {
		return nil
	}
	cb := &classedBucket{group: map[int32]int32{}}
	var classOf []int32 // by group
	var sizes []int
	for _, i := range members {
		g, ok := cb.group[pc.class[i]]
		if !ok {
			g = int32(len(classOf))
			cb.group[pc.class[i]] = g
			classOf = append(classOf, pc.class[i])
			sizes = append(sizes, 0)
		}
		sizes[g]++
		if len(classOf)*len(classOf)*16 > n*n {
			return nil // the classes' answers alone would cost a sixteenth of the pairs
		}
	}
	groups := len(classOf)
	// The pairs of the bucket the scan tests, against the share of them
	// whose classes agree (counted as if all were within the window) and
	// the groups visited when grouped. The scan of new members' pairs
	// scans fewer of both alike.
	pairs := 0
	c.scanSpans(docs, members, undated, 0, n, func(_, from, to int) { pairs += to - from })
	cb.clash = make([]bool, groups*groups)
	cb.with = make([][]int32, groups)
	agree, visits := 0, 0
	for g := range groups {
		for h := range groups {
			if h < g {
				cb.clash[g*groups+h] = cb.clash[h*groups+g]
			} else {
				cb.clash[g*groups+h] = pc.clash(classOf[g], classOf[h])
			}
			if !cb.clash[g*groups+h] {
				cb.with[g] = append(cb.with[g], int32(h))
				agree += sizes[g] * sizes[h]
			}
		}
		visits += sizes[g] * len(cb.with[g])
	}
	if float64(groupVisit*visits)+float64(pairs)*float64(agree)/float64(n*n) > float64(pairs)/2 {
		return nil
	}
	cb.start = make([]int, groups+1)
	for g, size := range sizes {
		cb.start[g+1] = cb.start[g] + size
	}
	next := slices.Clone(cb.start[:groups])
	cb.members = make([]int32, n)
	for m, i := range members {
		g := cb.group[pc.class[i]]
		cb.members[next[g]] = int32(m)
		next[g]++
		if pc.twin[i] {
			cb.twins = append(cb.twins, int32(m))
		}
	}
	return cb
}

// stretchMembers is how many members of a bucket one stretch of the
// near-duplicate scan pairs with the others: the farm's templated texts
// put every article into one bucket of each band.
const stretchMembers = 256

// minParallelScan is how many fingerprinted articles a batch has at least
// for the near-duplicate scan to run on more than one processor: below
// it, the scan takes less than starting the workers and copying the
// class answers (factClasses.fork). (A variable for tests.)
var minParallelScan = 2000

// bandMasks returns the bits of each of bands bands of a fingerprint.
func bandMasks(bands int) []uint64 {
	masks := make([]uint64, bands)
	for band := range masks {
		lo, hi := 64*band/bands, 64*(band+1)/bands
		masks[band] = (uint64(1)<<uint(hi-lo) - 1) << uint(lo)
	}
	return masks
}

// firstBand reports whether two fingerprints that differ in the bits x
// differ in each of the bands before (their masks): whether the band
// after them is the first in which the two agree.
func firstBand(x uint64, before []uint64) bool {
	for _, m := range before {
		if x&m == 0 {
			return false
		}
	}
	return true
}

// scanBucket calls fn for the pairs of members, which are in time order
// with the undated ones last, that may be near-duplicates: a dated article
// with the later ones up to Window after it, and with every undated one.
//
// With fresh, only the pairs with a new article: each new one with the
// members up to Window before and after it and the undated ones (every
// member, when it is undated itself), a pair of new ones once.
func (c *Clusterer) scanBucket(docs []doc, members []int, fresh []bool, fn func(i, j int)) {
	if fresh != nil {
		c.scanFresh(docs, members, undatedFrom(docs, members), fresh, func(a, from, to int) {
			for b, j := range members[from:to] {
				if !fresh[j] || from+b > a {
					fn(members[a], j)
				}
			}
		})
		return
	}
	c.scanSpans(docs, members, undatedFrom(docs, members), 0, len(members), func(a, from, to int) {
		for _, j := range members[from:to] {
			fn(members[a], j)
		}
	})
}

// undatedFrom returns the index of the first of members, which are in
// time order with the undated ones last, that has no time.
func undatedFrom(docs []doc, members []int) int {
	undated := len(members)
	for undated > 0 && docs[members[undated-1]].when.IsZero() {
		undated--
	}
	return undated
}

// scanSpans is scanBucket's scan of every pair by spans: it calls fn(a,
// from, to) for each member a and each run of the members it is paired
// with, members[from:to] (its dated partners, then the undated ones), in
// the order scanBucket visits the pairs. A caller that tests tens of
// millions of pairs loops over a span itself instead of being called
// once a pair. Only the members a from lo to hi-1 are scanned (with every
// member after them); members from undated on have no time.
func (c *Clusterer) scanSpans(docs []doc, members []int, undated, lo, hi int, fn func(a, from, to int)) {
	// end is the first member more than Window after member a: it only
	// moves on as a does, so the times are compared once per member, not
	// once per pair (a bucket of templated texts holds millions of pairs).
	// Members are in time order, so the first a's end is found from a+1
	// as every later one's is from the one before.
	end := 0
	for a := lo; a < hi; a++ {
		i := members[a]
		end = max(end, a+1)
		for end < undated && docs[members[end]].when.Sub(docs[i].when) <= c.cfg.Window {
			end++
		}
		b := max(a+1, min(end, undated))
		if a+1 < b {
			fn(a, a+1, b)
		}
		if b = max(b, undated); b < len(members) {
			fn(a, b, len(members))
		}
	}
}

// scanFresh is scanBucket's scan of the pairs with a new article, by
// spans as scanSpans: it calls fn(a, from, to) for each new member a and
// each run of the members it is paired with, members[from:to], of which
// the caller leaves out the new ones before a (a pair of new ones is
// scanned once, as the later one's). Members from undated on have no
// time.
func (c *Clusterer) scanFresh(docs []doc, members []int, undated int, fresh []bool, fn func(a, from, to int)) {
	// The members within Window of a dated member a are lo to end-1;
	// both bounds only move on as a does (see scanBucket).
	lo, end := 0, 0
	for a, i := range members {
		if a < undated {
			for docs[i].when.Sub(docs[members[lo]].when) > c.cfg.Window {
				lo++
			}
			end = max(end, a+1)
			for end < undated && docs[members[end]].when.Sub(docs[i].when) <= c.cfg.Window {
				end++
			}
		}
		if !fresh[i] {
			continue
		}
		from, to := lo, end
		if a >= undated { // undated: near every member
			from, to = 0, len(members)
		}
		for _, s := range [][2]int{{from, a}, {a + 1, to}, {max(to, undated), len(members)}} {
			if s[0] < s[1] {
				fn(a, s[0], s[1])
			}
		}
	}
}

// within reports whether two articles are close enough in time to be one
// event; an article without a time is close to every other.
func within(a, b *doc, window time.Duration) bool {
	if a.when.IsZero() || b.when.IsZero() {
		return true
	}
	d := a.when.Sub(b.when)
	return d <= window && d >= -window
}

// closerFirst is how much one hour between two articles lowers their
// same-event link in the order links are tried (not the score they must
// reach): reports of one event are published within hours of each other,
// reports of other events on its subject over days. Where two links
// compete, because an article's story can hold one of two others and not
// both (they are one outlet's two stories, or clash), the nearer in time
// is tried first: "US sanctions Chinese refiners" (18:00) meets "Washington
// blacklists Shandong teapots" (22:40, score 0.38) before the same
// outlet's "Iran's oil exports hit six-year high" (06:30, score 0.42).
// Tuned on the development part (0.04, 0.05, 0.1, 0.2 and 1 score alike
// there; 0.01 to 0.035 fix the refiners only). Since then an article
// alone goes to the story where it has its strongest pair (see
// grouping.home), whichever link reaches it first, and the order decides
// between stories of several articles; the refiners now score 0.39 with
// the teapots and 0.38 with Iran's exports.
const closerFirst = 0.05

// gapHours returns how many hours apart two articles were published; 0
// when either has no time.
func gapHours(a, b *doc) float64 {
	if a.when.IsZero() || b.when.IsZero() {
		return 0
	}
	return math.Abs(a.when.Sub(b.when).Hours())
}

// How the time between two articles moves their same-event score
// (timeAdjust): reports of one event by several outlets come within hours
// of each other, while the reports of other events on one subject that
// share their names and words spread over days. The score rises by
// nearTime for two outlets' reports published together, falling by
// timeSlope an hour to nothing at evenHours apart, and by as much again
// for every hour beyond, down to -farTime. Chosen on the development part
// by the pairs clustered alone (TestEvaluateIsolatedPairs), where one
// signal moves many pairs, rather than by the batch's last errors: with
// the inflections and synonyms of the same change (normalStem), their
// recall rose from 0.859 to 0.915 and precision from 0.753 to 0.765 (the
// time's share: 0.859 to 0.915, 0.744 to 0.765), and it joined in the batch "Boeing to cut 10% of its workforce" and
// "Planemaker axes 17,000 jobs", 3.5 hours apart (0.20 to 0.22). A step
// (0.03 within six hours) and a fall from twelve hours scored alike; a
// rise for a figure both reports state changed nothing the time did not.
const (
	nearTime  = 0.04
	evenHours = 8
	timeSlope = 0.005
	farTime   = 0.05
)

// timeAdjust returns what the time between two dated articles adds to
// their same-event score (see nearTime); 0 when either has no time, and
// when both have the same: two outlets rarely publish in the same second,
// and one stamp on many articles is more often a date without its time
// (a page dated to the day) or a feed's time of publishing them all. One
// outlet's articles published together get no rise either: an outlet
// publishes its stories on one subject together.
func timeAdjust(a, b *doc) float64 {
	if a.when.IsZero() || b.when.IsZero() || a.when.Equal(b.when) {
		return 0
	}
	x := timeSlope * (evenHours - gapHours(a, b))
	if x > 0 && sameOutlet(a, b) {
		return 0
	}
	return max(-farTime, min(nearTime, x))
}

// sharedFigure is what a distinctive figure stated by both articles adds
// to their same-event score (see shareFigure): two outlets' words for one
// event may differ wholly, its figures seldom do. Chosen on the
// development part: 0.04 to 0.06 raised half B's recall (0.800 to 0.822:
// "OPEC+ extends output cuts", "Riyadh-led alliance keeps barrels off the
// market", both quoting 2.2 million barrels a day) and left half A's and
// both precisions as they were; 0.02 and 0.03 changed nothing in the
// batch. Pairs clustered alone: recall 0.800 to 0.825, precision 0.807 to
// 0.811 (0.805 when percentages of two significant digits counted as
// distinctive). The synthetic window of BenchmarkClusterWindow, whose
// events each quote three percentages: recall 0.982 to 0.993, precision
// 0.996 unchanged.
const sharedFigure = 0.04

// pairAdjust is what the frames of two articles' events (frameAdjust), the
// time between them (timeAdjust) and a distinctive figure they share
// (sharedFigure) add to their same-event score.
func pairAdjust(a, b *doc) float64 {
	return frameAdjust(a, b) + timeAdjust(a, b) + sharedFigure*float64(b2n(shareFigure(a, b)))
}

// similarLinks scores the candidate pairs (see candidates) and returns
// the same-event links, and the embedding links when embeddings are known,
// of the pairs whose articles do not state conflicting facts (with early;
// see links). A pair whose titles' classes clash is not scored
// (clashFork.clashFirst).
//
// With nearKept (with early: the pairs the near-duplicate scan linked),
// a near-duplicate pair (nearDuplicates) is not tested for conflicting facts
// again: the scan asked keep of every near-duplicate pair that
// clashFirst passes, and one it refused is not even scored, as no link
// of it would be kept. On the farm's templated texts nine candidates in
// ten that pass clashFirst are near-duplicates, nearly all refused.
//
// A batch of minParallelScan articles or more is scored on the processors
// (parallel.Each), an article's pairs at a time, each worker with its own
// dense arrays (dotter), visit marks and tester; the links are joined in
// the order of the articles, as one scan gives them. The scan with new
// articles (fresh) stays on one processor.
func (c *Clusterer) similarLinks(ctx context.Context, g *grouping, early bool, nearKept pairSet) ([]link, error) {
	docs := g.docs
	cands := newCandidates(docs, c.cfg.Window)
	workers := 1
	if g.fresh == nil && len(docs) >= minParallelScan {
		workers = parallel.Workers(len(docs))
	}
	var ts []*clashFork
	if early {
		ts = g.testers(workers)
		defer g.settle(ts)
	}
	g.prepareCosine() // before workers read the norms
	type worker struct {
		dots *dotter
		seen []int
		test *clashFork
	}
	ws := make([]worker, workers)
	for w := range ws {
		ws[w].dots = g.dots
		if w > 0 {
			ws[w].dots = newDotter(docs)
		}
		if ts != nil {
			ws[w].test = ts[w]
		}
	}
	score := func(wk *worker, out *[]link, i, j int) {
		if wk.test != nil && wk.test.clashFirst(g, i, j) {
			return
		}
		a, b := &docs[i], &docs[j]
		test := wk.test
		if nearKept != nil && nearDuplicates(a, b, c.cfg.NearDuplicateBits) {
			if !nearKept.has(i, j) {
				return // refused by the near-duplicate scan's keep
			}
			test = nil // kept by it
		}
		add := func(l link) {
			if test == nil || test.keep(g, l.i, l.j) {
				*out = append(*out, l)
			}
		}
		shared, ent := wk.dots.entityOverlap(docs, i, j)
		if shared >= c.cfg.MinSharedEntities {
			lead, body := wk.dots.cosines(docs, i, j)
			sc := c.weigh(lead, body, ent) + pairAdjust(a, b)
			bar := c.cfg.Threshold
			if outletBar(a, b) {
				bar = c.cfg.SameOutletThreshold
			}
			if sc >= bar {
				add(link{min(i, j), max(i, j), linkSameEvent, sc - closerFirst*gapHours(a, b)})
				return
			}
		}
		if cos, ok := g.cosine(i, j); ok && cos >= c.cfg.EmbeddingThreshold {
			add(link{min(i, j), max(i, j), linkEmbedding, cos})
		}
	}
	if workers == 1 {
		var out []link
		wk := &ws[0]
		wk.seen = make([]int, len(docs))
		err := cands.each(ctx, g.fresh, wk.seen, func(i, j int) { score(wk, &out, i, j) })
		return out, err
	}
	found := make([][]link, len(docs))
	var stopped atomic.Bool // the context ended: the workers skip the rest
	parallel.Each(len(docs), func(w, i int) {
		if stopped.Load() || (i%64 == 0 && ctx.Err() != nil) {
			stopped.Store(true)
			return
		}
		wk := &ws[w]
		if wk.seen == nil {
			wk.seen = make([]int, len(docs))
		}
		cands.of(nil, i, wk.seen, func(i, j int) { score(wk, &found[i], i, j) })
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cluster articles: %w", err)
	}
	var out []link
	for _, f := range found {
		out = append(out, f...)
	}
	return out, nil
}

// nearDuplicates reports whether two articles are near-duplicates: both
// fingerprinted (minShingles), their fingerprints at most k bits apart.
// Within the window, these are the pairs nearDuplicateLinks tests, and a
// pair compare measures as near-duplicates.
func nearDuplicates(a, b *doc, k int) bool {
	return a.shingles >= minShingles && b.shingles >= minShingles && hamming(a.simhash, b.simhash) <= k
}

// pairSet is a set of pairs of articles, each pair as i < j.
type pairSet map[uint64]struct{}

// newPairSet returns the pairs of the links.
func newPairSet(links []link) pairSet {
	s := make(pairSet, len(links))
	for _, l := range links {
		s[pairKey(l.i, l.j)] = struct{}{}
	}
	return s
}

// has reports whether the pair of i and j, in either order, is in the set.
func (s pairSet) has(i, j int) bool {
	_, ok := s[pairKey(i, j)]
	return ok
}

func pairKey(i, j int) uint64 { return uint64(min(i, j))<<32 | uint64(max(i, j)) }

// candidates finds the candidate pairs of a batch: every pair of articles
// published within the window of each other and sharing at least one
// named entity or figure that is not common in the batch. Pairs that
// share only common entities ("China", "2026" in a batch of trade news)
// are not candidates: that is weak evidence of one event, and skipping
// them keeps the work far below all pairs. In batches under 1,000
// articles nothing is common (the bar is 50 articles) and every pair
// sharing an entity is visited. Every key counts, not only the ones that
// count as a shared name (entry.head): the goods of two leads ("China
// halts purchases of US soybeans", "Soybean futures sink as top buyer
// stops taking US cargoes") and the first word of a company's name
// ("Freeport-McMoRan", "Freeport said") make a candidate where the
// countries they share are common; whether the pair is linked is still
// the score's and MinSharedEntities' to say.
//
// With fresh (see grouping.fresh), only the pairs with a new article are
// visited, the new one first (i), the other (j) before or after it.
type candidates struct {
	docs   []doc
	window time.Duration
	// postings are the articles under each entity and frame key; a key
	// of more than common articles pairs none.
	postings map[uint64][]int
	common   int
	// at holds the articles' times as stamps (see stamp), side by side:
	// of tests every pair it visits for the window (1.7 million of the
	// farm's 10,000 articles), and a doc's time is 24 of its few hundred
	// bytes, compared by Sub with an overflow test.
	at []int64
}

func newCandidates(docs []doc, window time.Duration) candidates {
	postings := map[uint64][]int{}
	for i, d := range docs {
		for _, e := range d.entities {
			postings[e.id] = append(postings[e.id], i)
		}
		d.frameKeys(func(k uint64) { postings[k] = append(postings[k], i) })
	}
	at := make([]int64, len(docs))
	for i := range docs {
		at[i] = stamp(docs[i].when)
	}
	return candidates{docs: docs, window: window, postings: postings, common: max(50, len(docs)/20), at: at}
}

// noStamp is the stamp of a time that within must compare as a time.
const noStamp = math.MinInt64

// The times that have a stamp are from 1900 to 2099 (in Unix seconds):
// the difference of two of their Unix nanoseconds cannot overflow.
const (
	firstStamped = -2208988800 // 1900-01-01T00:00:00Z
	lastStamped  = 4102444800  // 2100-01-01T00:00:00Z
)

// stamp returns t as Unix nanoseconds, whose difference with another
// stamp is t.Sub's exactly, or noStamp: for the zero time, a time
// outside the stamped years, and one with a monotonic clock reading
// (which Round(0) strips), that Sub would read instead of the wall
// clock's when both times have one.
func stamp(t time.Time) int64 {
	if sec := t.Unix(); t.IsZero() || sec < firstStamped || sec >= lastStamped || t != t.Round(0) {
		return noStamp
	}
	return t.UnixNano()
}

// within is within(&docs[i], &docs[j], window), from the articles'
// stamps where both have one.
func (cs candidates) within(i, j int) bool {
	a, b := cs.at[i], cs.at[j]
	if a == noStamp || b == noStamp {
		return within(&cs.docs[i], &cs.docs[j], cs.window)
	}
	d := time.Duration(a - b)
	return d <= cs.window && d >= -cs.window
}

// each calls fn for every candidate pair, an article's pairs at a time,
// with the visit marks seen (one per article).
func (cs candidates) each(ctx context.Context, fresh []bool, seen []int, fn func(i, j int)) error {
	for i := range cs.docs {
		if i%64 == 0 && ctx.Err() != nil {
			return fmt.Errorf("cluster articles: %w", ctx.Err())
		}
		if fresh != nil && !fresh[i] {
			continue
		}
		cs.of(fresh, i, seen, fn)
	}
	return nil
}

// of calls fn for the candidate pairs that each visits from article i.
// seen[j] == i+1 marks a pair visited: of reads and writes only marks of
// i, so goroutines that visit other articles each need their own.
func (cs candidates) of(fresh []bool, i int, seen []int, fn func(i, j int)) {
	docs := cs.docs
	visit := func(p []int) {
		for _, j := range p {
			// A pair of new articles is visited from the first; a new
			// article with an earlier one, from the new one.
			if j == i || seen[j] == i+1 || (j < i && (fresh == nil || fresh[j])) {
				continue
			}
			seen[j] = i + 1
			if cs.within(i, j) {
				fn(i, j)
			}
		}
	}
	for _, e := range docs[i].entities {
		if p := cs.postings[e.id]; len(p) <= cs.common {
			visit(p)
		}
	}
	docs[i].frameKeys(func(k uint64) {
		if p := cs.postings[k]; len(p) <= cs.common {
			visit(p)
		}
	})
}

func (c *Clusterer) score(a, b *doc, ent float64) float64 {
	return c.weigh(a.leadCosine(b), a.bodyCosine(b), ent) + pairAdjust(a, b)
}

// weigh combines the three signals into the same-event score.
func (c *Clusterer) weigh(lead, body, ent float64) float64 {
	return c.cfg.LeadWeight*lead + c.cfg.BodyWeight*body + c.cfg.EntityWeight*ent
}

// dotter takes the lead and body cosines of one article with many others
// (candidates visits the pairs of an article together, join and
// strongest compare one article with each of a group): the article's
// weights are spread once over dense arrays indexed by term number, so
// that each pair costs a pass over the other article's shared terms
// (dotTerms) instead of a merge of two sorted vectors.
type dotter struct {
	lead, body []float64
	// entFlags are the flags of the article's entities, by entry.num.
	entFlags []uint8
	cur      int // the article spread over the arrays; -1 when none
}

// Flags of an entity in dotter.entFlags.
const (
	entPresent = 1 << iota
	entHead
	entAlias
	entDescr
)

func newDotter(docs []doc) *dotter {
	n, m := int32(-1), int32(-1)
	for i := range docs {
		for _, dt := range []*dotTerms{&docs[i].leadDot, &docs[i].bodyDot} {
			for k := range dt.terms {
				n = max(n, dt.num(k))
			}
		}
		for _, e := range docs[i].entities {
			m = max(m, e.num)
		}
	}
	return &dotter{lead: make([]float64, n+1), body: make([]float64, n+1),
		entFlags: make([]uint8, m+1), cur: -1}
}

// load spreads article i over the arrays, unless it is there.
func (d *dotter) load(docs []doc, i int) {
	if d.cur == i {
		return
	}
	d.unload(docs)
	a := &docs[i]
	spread(d.lead, &a.leadDot, a.tab, true)
	spread(d.body, &a.bodyDot, a.tab, true)
	for _, e := range a.entities {
		if e.num >= 0 {
			d.entFlags[e.num] = entPresent | uint8(b2n(e.head))*entHead | uint8(b2n(e.alias))*entAlias | uint8(b2n(e.descr))*entDescr
		}
	}
	d.cur = i
}

// unload clears the arrays of the article spread over them, if any.
func (d *dotter) unload(docs []doc) {
	if d.cur < 0 {
		return
	}
	p := &docs[d.cur]
	spread(d.lead, &p.leadDot, p.tab, false)
	spread(d.body, &p.bodyDot, p.tab, false)
	for _, e := range p.entities {
		if e.num >= 0 {
			d.entFlags[e.num] = 0
		}
	}
	d.cur = -1
}

// entityOverlap returns entityOverlap(docs[i].entities, docs[j].entities, docs[i].tab),
// the same to the bit: the shared entities' weights (i's) are added in
// j's order, which is the id order the merge adds them in. An entity
// without a number is an alias no article writes, which meets only
// another alias, and counts for nothing (see entry.alias).
func (d *dotter) entityOverlap(docs []doc, i, j int) (int, float64) {
	d.load(docs, i)
	a, b := &docs[i], &docs[j]
	var shared int
	var sw float64
	for _, e := range b.entities {
		if e.num < 0 {
			continue
		}
		f := d.entFlags[e.num]
		if f == 0 || (f&entAlias != 0 && e.alias) || (f&entDescr != 0 && e.descr) {
			continue
		}
		if f&entHead != 0 || e.head {
			shared++
		}
		sw += a.tab.idfs[e.num]
	}
	if shared == 0 {
		return 0, 0
	}
	return shared, sw / math.Sqrt(a.entityWeight*b.entityWeight)
}

// cosines returns the lead and body cosines of articles i and j, equal to
// the bit to vector.cosine's (see dotTerms).
func (d *dotter) cosines(docs []doc, i, j int) (lead, body float64) {
	a, b := &docs[i], &docs[j]
	d.load(docs, i)
	if a.leadDot.exact() && b.leadDot.exact() {
		lead = gather(d.lead, &b.leadDot, b.tab)
	} else {
		lead = a.leadCosine(b)
	}
	if a.bodyDot.exact() && b.bodyDot.exact() {
		body = gather(d.body, &b.bodyDot, b.tab)
	} else {
		body = a.bodyCosine(b)
	}
	return lead, body
}

// spread writes the weights of dt into dense, or zeros where they were.
func spread(dense []float64, dt *dotTerms, tab *dotWeights, set bool) {
	for k := range dt.terms {
		if set {
			dense[dt.num(k)] = dt.weight(tab, k)
		} else {
			dense[dt.num(k)] = 0
		}
	}
}

// gather returns the dot product of dense with dt: the products of shared
// terms, summed in dt's (id) order, as vector.cosine sums them; every
// other term adds an exact zero. A packed term's weight is computed as
// dotTerms.weight computes it, inline: this is the inner loop of
// clustering.
func gather(dense []float64, dt *dotTerms, tab *dotWeights) float64 {
	var s float64
	if dt.w != nil {
		w := (*dt.w)[:len(dt.terms)]
		for k, x := range dt.terms {
			s += dense[x] * w[k]
		}
		return s
	}
	tfs, idf, norm := &tab.tfs, tab.idf, dt.norm
	for _, t := range dt.terms {
		x := t & dotNumMask
		s += dense[x] * (tfs[t>>dotCountShift] * idf[x] / norm)
	}
	return s
}

// sameOutlet reports whether two articles come from one outlet (unknown
// outlets are taken to differ).
func sameOutlet(a, b *doc) bool { return a.outlet != "" && a.outlet == b.outlet }

// outletBar reports whether two articles must pass the same-outlet bar:
// they come from one outlet and neither is a media item (video, pictures,
// live page, podcast: see mediaTitle). An outlet rarely writes one event up
// twice, but beside its report it often publishes the event's video or
// live page, which are not thereby another story.
func outletBar(a, b *doc) bool { return sameOutlet(a, b) && !a.media && !b.media }

// embed returns the lead embedding of every article. The leads are cut
// again here rather than kept by every doc: most runs have no embedder.
func (c *Clusterer) embed(ctx context.Context, texts []string) ([][]float32, error) {
	vecs, err := c.cfg.Embedder.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed %d texts: %w", len(texts), err)
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("embed %d texts: got %d vectors", len(texts), len(vecs))
	}
	return vecs, nil
}

// Why a merge was refused, for the debug log.
const (
	refusedConflict = iota
	refusedOutlet
	refusedWindow
	refusedAverage
	refusedKinds
)

// grouping is the stories being built: a disjoint-set forest over the
// articles and the members of each set.
type grouping struct {
	cfg     *Config
	docs    []doc
	dots    *dotter // for compare: join and strongest compare one article with several
	uf      *unionFind
	members [][]int // by root
	vecs    [][]float32
	norms   []float64
	refused [refusedKinds]int
	// conflicting counts the pairs refused before they became links
	// (see Clusterer.links), of those tested: the near-duplicate scan
	// leaves out, untested and uncounted, pairs whose classes clash
	// (pairClasses), and the scoring does not test or count again the
	// near-duplicate pairs the scan refused (similarLinks).
	conflicting int
	// fresh marks the new articles when an earlier run clustered the
	// others (ClusterFeatures); nil when every article is new.
	fresh []bool
	// urls and identities number the articles' URLs and identity keys (0
	// when empty), so that identical compares numbers: it is asked of
	// every pair a merge or the clash test looks at, and the URLs of one
	// site differ in their last bytes.
	urls, identities []int32
	facts            *factClasses
	// adj lists, by article, the articles it has a same-event or
	// embedding link with (see home); set by joinAll.
	adj [][]int32
}

// clashes reports whether two articles state conflicting facts in their
// titles (see facts.go). The cheap tests of the title's own places, goods
// and figures come before the alignment of the two titles.
func clashes(a, b *doc) bool {
	return placeClash(a, b) || productClash(a, b) || figureClash(a, b) || conflict(a, b)
}

// clash reports whether articles i and j state conflicting facts (see
// join), so that no story can hold both. Identical articles never clash.
func (g *grouping) clash(i, j int) bool {
	return !g.identical(i, j) && g.clashes(i, j)
}

// clashes is clashes(&g.docs[i], &g.docs[j]), with the place and goods
// tests answered by the articles' classes (see factClasses).
func (g *grouping) clashes(i, j int) bool {
	a, b := &g.docs[i], &g.docs[j]
	return g.facts.clash(g.docs, i, j) || figureClash(a, b) || conflict(a, b)
}

// clashIn is clash with the class answers of facts (a fork of the
// grouping's, factClasses.fork), which one goroutine calls while others
// call it with theirs.
func (g *grouping) clashIn(facts *factClasses, i, j int) bool {
	a, b := &g.docs[i], &g.docs[j]
	return !g.identical(i, j) && (facts.clash(g.docs, i, j) || figureClash(a, b) || conflict(a, b))
}

// clashFork is what a worker of the near-duplicate scan tests pairs with
// (see Clusterer.links): its copy of the class answers and the pairs it
// refused.
type clashFork struct {
	facts       *factClasses
	conflicting int
	// The workers' testers are allocated one after another, and each
	// counts its refusals, a write for most pairs it tests: padded so
	// that no two share a cache line, which their processors would
	// otherwise pass back and forth: on the farm's templated texts,
	// where clashFirst refuses nine candidates in ten, that was more
	// than half of the scoring's time.
	_ [64]byte
}

// keep reports whether a link between i and j may be kept: not when the
// articles state conflicting facts (grouping.clash), which it counts.
func (f *clashFork) keep(g *grouping, i, j int) bool {
	if g.clashIn(f.facts, i, j) {
		f.conflicting++
		return false
	}
	return true
}

// clashFirst reports whether the titles' places or goods of i and j clash
// (a look-up by their classes), which it counts: such a pair is refused
// before it is scored, as keep would refuse it after.
func (f *clashFork) clashFirst(g *grouping, i, j int) bool {
	if !g.identical(i, j) && f.facts.clash(g.docs, i, j) {
		f.conflicting++
		return true
	}
	return false
}

// testers returns a pair tester for each of n workers of a scan: the
// first with the grouping's class answers, the others with copies of
// their own (factClasses.fork), since a tester writes down the answers it
// finds. settle gathers their refusals and answers once the scan is done.
func (g *grouping) testers(n int) []*clashFork {
	ts := []*clashFork{{facts: g.facts}}
	for range n - 1 {
		ts = append(ts, &clashFork{facts: g.facts.fork()})
	}
	return ts
}

// settle adds the refusals of the testers (see testers) to the grouping's
// count, and the answers the forks found to its classes.
func (g *grouping) settle(ts []*clashFork) {
	for k, t := range ts {
		g.conflicting += t.conflicting
		if k > 0 {
			g.facts.absorb(t.facts)
		}
	}
}

// pairClasses returns what the near-duplicate scan needs to leave out
// the pairs that clashFork.keep refuses for their classes alone: it
// refuses a pair whose classes clash unless it is identical (clashIn).
func (g *grouping) pairClasses() *pairClasses {
	return &pairClasses{class: g.facts.class, identical: g.identical, twin: g.twins(),
		clash: func(ci, cj int32) bool { return g.facts.classesClash(g.docs, ci, cj) }}
}

// twins marks the articles identical to another (identical): with the
// same URL or identity key.
func (g *grouping) twins() []bool {
	twin := make([]bool, len(g.docs))
	for _, numbers := range [2][]int32{g.urls, g.identities} {
		first := make([]int, len(g.docs)+1) // by number: the first article with it, + 1
		for i, n := range numbers {
			switch {
			case n == 0:
			case first[n] != 0:
				twin[i], twin[first[n]-1] = true, true
			default:
				first[n] = i + 1
			}
		}
	}
	return twin
}

// identical is identical(&g.docs[i], &g.docs[j]).
func (g *grouping) identical(i, j int) bool {
	return (g.urls[i] != 0 && g.urls[i] == g.urls[j]) || (g.identities[i] != 0 && g.identities[i] == g.identities[j])
}

// internOutlets makes the docs of one outlet share one copy of its name:
// setMeta lower-cases each doc's own, and a window has tens of thousands
// of articles from a few hundred outlets.
func internOutlets(docs []doc) {
	seen := map[string]string{}
	for i := range docs {
		d := &docs[i]
		if o, ok := seen[d.outlet]; ok {
			d.outlet = o
		} else {
			seen[d.outlet] = d.outlet
		}
	}
}

// number returns the number of each article's key (0 when the key is
// the zero value: "" or 0).
func number[K comparable](docs []doc, key func(*doc) K) []int32 {
	nums := make([]int32, len(docs))
	// At its size: a window's keys, and a map grown to them held the
	// tables it outgrew until a collection.
	seen := make(map[K]int32, len(docs))
	var none K
	for i := range docs {
		k := key(&docs[i])
		if k == none {
			continue
		}
		n, ok := seen[k]
		if !ok {
			n = int32(len(seen) + 1)
			seen[k] = n
		}
		nums[i] = n
	}
	return nums
}

// leads returns a function giving the articles' title-and-lead texts for
// embeddings: kept in feats, else cut from the articles' texts.
func (c *Clusterer) leads(feats []Features) func([]digest.Article) []string {
	return func(articles []digest.Article) []string {
		texts := make([]string, len(articles))
		for i, a := range articles {
			if i < len(feats) && feats[i].ok && feats[i].leadKept {
				texts[i] = feats[i].lead
			} else {
				_, texts[i] = leadText(a, c.cfg.LeadSentences)
			}
		}
		return texts
	}
}

// keepPrior joins the articles of each earlier story (the same non-zero
// prior) without testing them, and marks the others new (fresh): only
// links with a new article are made from then on. A nil or all-zero prior
// changes nothing.
func (g *grouping) keepPrior(prior []int64) {
	first := map[int64]int{}
	for i, p := range prior {
		if p == 0 {
			continue
		}
		if g.fresh == nil {
			g.fresh = make([]bool, len(prior))
			for k, q := range prior {
				g.fresh[k] = q == 0
			}
		}
		f, ok := first[p]
		if !ok {
			first[p] = i
			continue
		}
		g.merge(g.uf.find(f), g.uf.find(i))
	}
}

// old reports whether neither article is new: their link was made, or
// refused, by the run that clustered them.
func (g *grouping) old(i, j int) bool { return g.fresh != nil && !g.fresh[i] && !g.fresh[j] }

// newGrouping returns every article in a group of its own.
func newGrouping(cfg *Config, docs []doc) *grouping {
	g := &grouping{cfg: cfg, docs: docs, dots: newDotter(docs), uf: newUnionFind(len(docs)), members: make([][]int, len(docs)),
		urls:       number(docs, func(d *doc) string { return d.url }),
		identities: number(docs, func(d *doc) uint64 { return d.ident }),
		facts:      newFactClasses(docs)}
	for i := range g.members {
		g.members[i] = []int{i}
	}
	return g
}

// joinAll tries the links in order and returns how many of each kind
// joined two groups.
func (g *grouping) joinAll(links []link) [linkKinds]int {
	var joins [linkKinds]int
	g.adj = make([][]int32, len(g.docs))
	for _, l := range links {
		if l.kind >= linkSameEvent {
			g.adj[l.i] = append(g.adj[l.i], int32(l.j))
			g.adj[l.j] = append(g.adj[l.j], int32(l.i))
		}
	}
	for _, l := range links {
		if g.join(l) {
			joins[l.kind]++
		}
	}
	return joins
}

// cosine returns the embedding cosine of two articles; false when
// embeddings are not known.
func (g *grouping) cosine(i, j int) (float64, bool) {
	if g.vecs == nil {
		return 0, false
	}
	g.prepareCosine()
	if len(g.vecs[i]) != len(g.vecs[j]) || g.norms[i] == 0 || g.norms[j] == 0 {
		return 0, false
	}
	return dot32(g.vecs[i], g.vecs[j]) / (g.norms[i] * g.norms[j]), true
}

// prepareCosine computes the embeddings' norms that cosine divides by,
// once.
func (g *grouping) prepareCosine() {
	if g.vecs != nil && g.norms == nil {
		g.norms = make([]float64, len(g.vecs))
		for k, v := range g.vecs {
			g.norms[k] = norm32(v)
		}
	}
}

// evidence is how alike two articles are.
type evidence struct {
	kind                int // link kind; linkSameEvent when only scored
	score               float64
	lead, body, entOver float64
	shared              int
}

// identical reports whether two articles are one article (same URL or
// identity key).
func identical(a, b *doc) bool {
	return (a.url != "" && a.url == b.url) || (a.ident != 0 && a.ident == b.ident)
}

// compare measures two articles. value is what the pair contributes to
// the mean of a merge: 1 for identical and near-duplicate articles, the
// same-event score otherwise, raised to the threshold by a close
// embedding.
func (g *grouping) compare(i, j int) (evidence, float64) {
	a, b := &g.docs[i], &g.docs[j]
	if g.identical(i, j) {
		return evidence{kind: linkIdentical, score: 1}, 1
	}
	shared, ent := g.dots.entityOverlap(g.docs, i, j)
	lead, body := g.dots.cosines(g.docs, i, j)
	ev := evidence{kind: linkSameEvent, lead: lead, body: body, entOver: ent, shared: shared}
	ev.score = g.cfg.LeadWeight*ev.lead + g.cfg.BodyWeight*ev.body + g.cfg.EntityWeight*ent + pairAdjust(a, b)
	if nearDuplicates(a, b, g.cfg.NearDuplicateBits) {
		ev.kind = linkNearDuplicate
		return ev, 1
	}
	value := ev.score
	if cos, ok := g.cosine(i, j); ok && cos >= g.cfg.EmbeddingThreshold && value < g.cfg.Threshold {
		ev.kind, ev.score, value = linkEmbedding, cos, g.cfg.Threshold
	}
	return ev, value
}

// join merges the groups of the link's articles when every article of one
// is compatible with every article of the other (see the package doc),
// and reports whether it did. Before a same-event or embedding link joins
// an article that is alone to a story, the article goes to the story it
// fits best (see home), and the link's own merge is then tried as any
// merge is.
func (g *grouping) join(l link) bool {
	ra, rb := g.uf.find(l.i), g.uf.find(l.j)
	if ra == rb {
		return false
	}
	if l.kind != linkIdentical {
		top, ok := g.admit(g.members[ra], g.members[rb], true)
		if !ok {
			return false
		}
		if l.kind >= linkSameEvent && g.adj != nil &&
			((len(g.members[ra]) == 1 && g.home(l.i, rb, top)) || (len(g.members[rb]) == 1 && g.home(l.j, ra, top))) {
			if ra, rb = g.uf.find(l.i), g.uf.find(l.j); ra == rb {
				return true
			}
			if _, ok := g.admit(g.members[ra], g.members[rb], true); !ok {
				return true
			}
		}
	}
	g.merge(ra, rb)
	return true
}

// admit tests a merge of the groups ma and mb (see join): every pair is
// within the window, states no conflicting facts and passes the
// same-outlet bar, and the pairs' mean value (compare) reaches
// LinkThreshold. It returns whether the merge passes and the highest value
// of a pair; with count, a refusal is counted for the log.
func (g *grouping) admit(ma, mb []int, count bool) (float64, bool) {
	refuse := func(why int) (float64, bool) {
		if count {
			g.refused[why]++
		}
		return 0, false
	}
	sum, top := 0.0, 0.0
	for _, i := range ma {
		for _, j := range mb {
			a, b := &g.docs[i], &g.docs[j]
			if g.identical(i, j) {
				sum++
				top = 1
				continue
			}
			if !within(a, b, g.cfg.Window) {
				return refuse(refusedWindow)
			}
			if g.clashes(i, j) {
				return refuse(refusedConflict)
			}
			ev, v := g.compare(i, j)
			if outletBar(a, b) && ev.kind == linkSameEvent && v < g.cfg.SameOutletThreshold {
				return refuse(refusedOutlet)
			}
			sum += v
			top = max(top, v)
		}
	}
	if sum < g.cfg.LinkThreshold*float64(len(ma)*len(mb)) {
		return refuse(refusedAverage)
	}
	return top, true
}

// home moves article x, alone in its group, to the story it fits best,
// when that is not story rt, which a link is about to join it to and
// where its strongest pair has the value fit. Of the stories of the
// articles x has a same-event or embedding link with, those that would
// take it (admit: every member compatible, the mean high enough) are
// candidates, and the one where x has its strongest pair wins; rt, and
// then the first linked, win ties. It reports whether x moved.
//
// Links are tried strongest first and nearer in time first (see
// closerFirst), so the first story to reach an article is not always its
// best, and the first that takes it can keep its best out: "Jakarta shuts
// the door on raw aluminium ore shipments" is nearer in time to
// "Indonesia trims 2027 nickel mining quota" (0.31) than to "Indonesia
// halts bauxite exports" (0.34), and the quota's goods then clash with
// the ban's. The strongest pair rather than the mean decides, because a
// story of paraphrases holds weak pairs ("India bans sugar exports", "New
// Delhi shuts door on sweetener shipments": 0.20) that would otherwise
// lose a third report to another good's story on one strong word.
func (g *grouping) home(x, rt int, fit float64) bool {
	rx := g.uf.find(x)
	best, bestFit := rt, fit
	for _, p := range g.adj[x] {
		rp := g.uf.find(int(p))
		if rp == rt || rp == best || rp == rx {
			continue
		}
		if top, ok := g.admit(g.members[rx], g.members[rp], false); ok && top > bestFit {
			best, bestFit = rp, top
		}
	}
	if best == rt {
		return false
	}
	g.merge(rx, best)
	return true
}

// merge joins the groups of roots ra and rb.
func (g *grouping) merge(ra, rb int) {
	ma, mb := g.members[ra], g.members[rb]
	g.uf.union(ra, rb)
	r := g.uf.find(ra)
	g.members[r] = append(ma, mb...)
	if r == ra {
		g.members[rb] = nil
	} else {
		g.members[ra] = nil
	}
}

func dot32(a, b []float32) float64 {
	var s float64
	for k := range a {
		s += float64(a[k]) * float64(b[k])
	}
	return s
}

func norm32(v []float32) float64 { return math.Sqrt(dot32(v, v)) }

// storyPlan is a story before its articles are copied: their indexes, the
// lead first, and their joins.
type storyPlan struct {
	order []int
	joins []digest.Join
}

// storyPlans orders each group's articles and finds their joins (each
// article's strongest link to another member), in the order of the
// groups' first members in the input: the docs are the input's in
// canonical order, at[k] the input index of docs[k] (canonicalOrder).
func (g *grouping) storyPlans(at []int) []storyPlan {
	pos := make([]int, len(at)) // by input index: the doc's
	for k, i := range at {
		pos[i] = k
	}
	var roots []int // in order of first member
	seen := make([]bool, len(at))
	for _, k := range pos {
		if r := g.uf.find(k); !seen[r] {
			seen[r] = true
			roots = append(roots, r)
		}
	}
	plans := make([]storyPlan, 0, len(roots))
	for _, r := range roots {
		members := slices.Clone(g.members[r])
		slices.Sort(members)
		lead := slices.MinFunc(members, func(a, b int) int { return leadOrder(g.docs, a, b) })
		rest := slices.DeleteFunc(slices.Clone(members), func(i int) bool { return i == lead })
		slices.SortStableFunc(rest, func(a, b int) int { return cmpTime(g.docs[a].when, g.docs[b].when) })
		p := storyPlan{order: append([]int{lead}, rest...), joins: make([]digest.Join, len(members))}
		p.joins[0] = digest.Join{Via: digest.JoinLead}
		for k := 1; k < len(p.order); k++ {
			p.joins[k] = g.strongest(p.order, k)
		}
		plans = append(plans, p)
	}
	return plans
}

// makeStories makes the stories of the plans (storyPlans), whose
// indexes are the docs', at[k] the input index of docs[k].
func makeStories(articles []digest.Article, at []int, plans []storyPlan) []digest.Story {
	out := make([]digest.Story, 0, len(plans))
	for _, p := range plans {
		st := digest.Story{Articles: make([]digest.Article, 0, len(p.order)), Joins: p.joins}
		for _, k := range p.order {
			st.Articles = append(st.Articles, articles[at[k]])
		}
		lead := at[p.order[0]]
		st.Key = articles[lead].ContentHash
		if st.Key == "" {
			st.Key = digest.ContentHash(articles[lead].Title + "\n" + articles[lead].Text)
		}
		out = append(out, st)
	}
	return out
}

// releaseAlone lets go of what only comparisons read of the articles
// that are alone in their group, once every link is tried: stories
// compares the members of a group with each other, and reads only the
// length and time of an article alone. In a window of mostly distinct
// reports that is most of the features, let go of before the stories
// are made.
func (g *grouping) releaseAlone() {
	g.dots.unload(g.docs)
	for i := range g.docs {
		if len(g.members[g.uf.find(i)]) > 1 {
			continue
		}
		d := &g.docs[i]
		d.parsed, d.leadDot, d.bodyDot, d.bodyIDs, d.entities = nil, dotTerms{}, dotTerms{}, nil, nil
		d.title, d.named, d.figs = nil, nil, nil
	}
}

// strongest returns the join of order[k] by its strongest link to another
// member of its story (by kind, then score; ties: the earlier member).
func (g *grouping) strongest(order []int, k int) digest.Join {
	best, bestEv, bestVal := -1, evidence{}, 0.0
	for m, j := range order {
		if m == k {
			continue
		}
		ev, v := g.compare(order[k], j)
		if best < 0 || ev.kind < bestEv.kind || (ev.kind == bestEv.kind && v > bestVal) {
			best, bestEv, bestVal = m, ev, v
		}
	}
	j := digest.Join{Via: linkNames[bestEv.kind], With: best, Score: math.Round(bestEv.score*1000) / 1000}
	switch bestEv.kind {
	case linkIdentical:
		j.Detail = "the same URL, or the same title and text"
	case linkEmbedding:
		j.Detail = fmt.Sprintf("embedding cosine %.3f", bestEv.score)
	default:
		j.Detail = fmt.Sprintf("title and lead %.2f, text %.2f, %d shared names and figures (overlap %.2f)",
			bestEv.lead, bestEv.body, bestEv.shared, bestEv.entOver)
		if bestEv.kind == linkNearDuplicate {
			j.Detail = "near-duplicate text; " + j.Detail
		}
	}
	return j
}

// leadOrder orders candidates for lead: longest text first, then earliest,
// then canonical order (canonicalOrder).
func leadOrder(docs []doc, a, b int) int {
	la, lb := docs[a].runes, docs[b].runes
	if la != lb {
		return cmp.Compare(lb, la)
	}
	if c := cmpTime(docs[a].when, docs[b].when); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// canonicalOrder returns the order in which the clusterer takes the
// articles, as their input indexes: by publication time (undated last),
// then URL, source, GUID and title, then input order. Which of two equally
// strong links is tried first, which article of a group is the first with
// its key, and which of two equally long texts leads all follow the
// order the articles are taken in, and an input's order is not the
// articles': a store numbers a run's articles in the order its concurrent
// gather workers commit them, and feeds often give many items the same
// time (a loopback farm's first run at 200 feeds made one or two stories
// of ~9,600 differently from run to run, 7 Dec 2026). In this order the
// stories depend on the articles alone.
func canonicalOrder(articles []digest.Article) []int {
	return keysort.Order(len(articles), func(i, j int) int {
		a, b := &articles[i], &articles[j]
		return cmp.Or(cmpTime(a.Published, b.Published), strings.Compare(a.URL, b.URL),
			strings.Compare(a.SourceID, b.SourceID), strings.Compare(a.GUID, b.GUID), strings.Compare(a.Title, b.Title))
	})
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
