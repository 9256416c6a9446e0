// Package rank scores stories for relevance to trade news, assigns their
// topics, drops the irrelevant ones and orders the rest.
//
// Relevance comes from weighted topic terms found in the lead article's
// title and text, as a density (weighted hits per 100 words) so that a long
// article does not win by size, mapped to 0..1 with a saturating curve. The
// score multiplies relevance, recency (exponential decay with a half-life),
// the number of outlets reporting the story (logarithmic), the outlets'
// weights, and the LLM's importance when a summary carries one.
package rank

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/defaults"
	"github.com/tradedigest/tradedigest/internal/keysort"
	"github.com/tradedigest/tradedigest/internal/nlp"
	"github.com/tradedigest/tradedigest/internal/parallel"
)

// Config tunes the ranker. Zero fields take their defaults (DefaultConfig).
type Config struct {
	// Topics are the subjects stories are classified into (default
	// DefaultTopics()).
	Topics []Topic
	// GeneralTerms count towards relevance but assign no topic (default
	// DefaultGeneralTerms()).
	GeneralTerms map[string]float64
	// Threshold is the relevance below which a story is dropped; nil means
	// DefaultThreshold, and 0 keeps every story.
	Threshold *float64
	// Saturation is the term density (weighted hits per 100 words) at
	// which relevance reaches 1-1/e ≈ 0.63 (default 8; typical trade
	// stories have densities of 5 to 30, non-trade ones below 2).
	Saturation float64
	// TitleWeight multiplies hits in the title, which names the story
	// (default 3).
	TitleWeight float64
	// ContextRatio caps what context terms add to a story at this multiple
	// of its anchor terms (default 1: context can at most double them).
	ContextRatio float64
	// MinWords is the length below which a text counts as this long when
	// computing density, so a two-line item cannot score high on one word
	// (default 120).
	MinWords int
	// MaxTopics is how many topics a story gets at most, best first; the
	// rest are incidental mentions (default 3).
	MaxTopics int
	// TopicMin is the weighted hits a topic needs in a story to be assigned
	// to it (default 3), and TopicMinDensity the hits per 100 words
	// (default 0.8); both must be met.
	TopicMin, TopicMinDensity float64
	// HalfLife is the age at which recency halves the score (default 18h).
	HalfLife time.Duration
	// SourceWeights multiply the score of stories from a source, keyed by
	// source ID or source name; unlisted sources weigh 1. A story takes the
	// largest weight among its outlets.
	SourceWeights map[string]float64
	// Weight, when set, gives a source's weight by source ID (per-source
	// settings); it is asked before SourceWeights.
	Weight func(sourceID string) (float64, bool)
	// LLMTopicRelevance is the relevance a story gets at least when its
	// summary names one of Topics (an LLM judged it on topic). Default 0.6.
	LLMTopicRelevance float64
	// ImportanceWeight is how much each step of Summary.Importance (1–5)
	// away from 3 changes the score (default 0.15: 5 → ×1.3, 1 → ×0.7).
	ImportanceWeight float64
}

// DefaultThreshold is the relevance below which a story is dropped unless
// Config.Threshold says otherwise: between the highest non-trade text
// (0.15) and the lowest trade text (0.26) of testdata/relevance.json (see
// TestEvaluateRelevance).
const DefaultThreshold = 0.2

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Topics:            DefaultTopics(),
		GeneralTerms:      DefaultGeneralTerms(),
		Saturation:        8,
		TitleWeight:       3,
		ContextRatio:      1,
		MinWords:          120,
		MaxTopics:         3,
		TopicMin:          3,
		TopicMinDensity:   0.8,
		HalfLife:          18 * time.Hour,
		LLMTopicRelevance: 0.6,
		ImportanceWeight:  0.15,
	}
}

// Ranker scores and orders stories. It is safe for concurrent use.
type Ranker struct {
	cfg       Config
	threshold float64
	topics    []topicMatcher // one per cfg.Topics
	general   matcher
	vocab     vocab  // the first stems of all the matchers' phrases
	version   string // AssessmentVersion
}

type topicMatcher struct{ anchors, context matcher }

var _ digest.Ranker = (*Ranker)(nil)

// New returns a Ranker; zero fields of cfg take their defaults.
func New(cfg Config) *Ranker {
	d := DefaultConfig()
	if len(cfg.Topics) == 0 {
		cfg.Topics = d.Topics
	}
	if cfg.GeneralTerms == nil {
		cfg.GeneralTerms = d.GeneralTerms
	}
	cfg.Saturation = defaults.PositiveOr(cfg.Saturation, d.Saturation)
	cfg.TitleWeight = defaults.PositiveOr(cfg.TitleWeight, d.TitleWeight)
	cfg.ContextRatio = defaults.PositiveOr(cfg.ContextRatio, d.ContextRatio)
	cfg.MinWords = defaults.PositiveOr(cfg.MinWords, d.MinWords)
	cfg.MaxTopics = defaults.PositiveOr(cfg.MaxTopics, d.MaxTopics)
	cfg.TopicMin = defaults.PositiveOr(cfg.TopicMin, d.TopicMin)
	cfg.TopicMinDensity = defaults.PositiveOr(cfg.TopicMinDensity, d.TopicMinDensity)
	cfg.HalfLife = defaults.PositiveOr(cfg.HalfLife, d.HalfLife)
	cfg.LLMTopicRelevance = defaults.PositiveOr(cfg.LLMTopicRelevance, d.LLMTopicRelevance)
	cfg.ImportanceWeight = defaults.PositiveOr(cfg.ImportanceWeight, d.ImportanceWeight)
	r := &Ranker{cfg: cfg, threshold: DefaultThreshold, general: newMatcher(cfg.GeneralTerms), version: assessmentVersion(cfg)}
	if cfg.Threshold != nil {
		r.threshold = *cfg.Threshold
	}
	for _, t := range cfg.Topics {
		r.topics = append(r.topics, topicMatcher{newMatcher(t.Terms), newMatcher(t.Context)})
	}
	r.vocab = vocab{}
	r.vocab.add(r.general)
	for _, t := range r.topics {
		r.vocab.add(t.anchors)
		r.vocab.add(t.context)
	}
	r.general.index(r.vocab)
	for i := range r.topics {
		r.topics[i].anchors.index(r.vocab)
		r.topics[i].context.index(r.vocab)
	}
	return r
}

// Assessment is how relevant one text is, and to which topics.
type Assessment struct {
	Relevance float64
	// Topics are the names of the topics that pass their minimum, best
	// first.
	Topics []string
	// TopicScores are the weighted hits per topic name (all topics with
	// any hit).
	TopicScores map[string]float64
	Words       int
}

// Assess scores one title and text. It is what Rank does for a story's lead
// article, exposed for the evaluation and for `digest extract`.
func (r *Ranker) Assess(title, text string) Assessment {
	sc := scratches.Get().(*scratch)
	defer sc.put()
	sc.title = sc.appendStems(sc.title[:0], title)
	sc.text = sc.appendStems(sc.text[:0], text)
	titleStems, textStems := sc.title, sc.text
	words := max(len(titleStems)+len(textStems), r.cfg.MinWords)
	a := Assessment{Words: len(titleStems) + len(textStems), TopicScores: map[string]float64{}}
	sc.titleIDs = r.vocab.appendIDs(sc.titleIDs[:0], titleStems)
	sc.textIDs = r.vocab.appendIDs(sc.textIDs[:0], textStems)
	titleIDs, textIDs := sc.titleIDs, sc.textIDs
	hits := func(m matcher) float64 {
		return r.cfg.TitleWeight*m.score(titleStems, titleIDs) + m.score(textStems, textIDs)
	}
	anchors := hits(r.general)
	anchorBy := make([]float64, len(r.topics))
	contextBy := make([]float64, len(r.topics))
	var context float64
	for i, m := range r.topics {
		anchorBy[i], contextBy[i] = hits(m.anchors), hits(m.context)
		anchors += anchorBy[i]
		context += contextBy[i]
	}
	// Context counts only as far as anchors vouch for it; each topic gets
	// the same share of its own context.
	share := 0.0
	if context > 0 {
		share = min(1, r.cfg.ContextRatio*anchors/context)
	}
	type ts struct {
		name  string
		score float64
	}
	var passed []ts
	for i := range r.topics {
		s := anchorBy[i] + share*contextBy[i]
		if s == 0 {
			continue
		}
		name := r.cfg.Topics[i].Name
		a.TopicScores[name] = s
		if s >= r.cfg.TopicMin && 100*s/float64(words) >= r.cfg.TopicMinDensity {
			passed = append(passed, ts{name, s})
		}
	}
	slices.SortStableFunc(passed, func(x, y ts) int { return cmp.Compare(y.score, x.score) })
	for _, p := range passed[:min(len(passed), r.cfg.MaxTopics)] {
		a.Topics = append(a.Topics, p.name)
	}
	density := 100 * (anchors + share*context) / float64(words)
	a.Relevance = 1 - math.Exp(-density/r.cfg.Saturation)
	return a
}

// Rank sets Topics, Relevance and Score on each story, drops those whose
// relevance is below the threshold and returns the rest, best first. It
// computes everything afresh from the articles and summaries, so calling it
// again (after summaries arrive) refines rather than compounds.
func (r *Ranker) Rank(stories []digest.Story, now time.Time) []digest.Story {
	kept, _ := r.RankSplit(stories, now)
	return kept
}

var _ digest.Ranker = (*Ranker)(nil)

// RankSplit is Rank that also returns the stories it drops, in input
// order, with their Relevance and Topics set: each lead's text is
// assessed once, for the kept and the dropped alike.
func (r *Ranker) RankSplit(stories []digest.Story, now time.Time) (kept, dropped []digest.Story) {
	return r.RankAssessed(stories, r.AssessLeads(stories), now)
}

var _ digest.AssessingRanker = (*Ranker)(nil)

// RankAssessed is RankSplit with each story's lead assessed already
// (assessed, by story index; AssessLeads), so that no text is read: the
// engine keeps the assessments between runs (digest.AssessmentStore).
func (r *Ranker) RankAssessed(stories []digest.Story, assessed []digest.Assessment, now time.Time) (kept, dropped []digest.Story) {
	kept = make([]digest.Story, 0, len(stories))
	for i, st := range stories {
		st.Relevance = assessed[i].Relevance
		// A copy: refine appends, and an assessment may be shared.
		st.Topics = slices.Clone(assessed[i].Topics)
		r.refine(&st)
		if st.Relevance < r.threshold {
			dropped = append(dropped, st)
			continue
		}
		st.Score = r.score(st, now)
		kept = append(kept, st)
	}
	order(kept)
	return kept, dropped
}

// AssessLeads assesses each story's lead (Assess of its title and text)
// on the processors (parallel.Each): assessing the leads' texts is most of
// ranking, and a first run ranks a story for nearly every article of the
// window (~10,000 at 200 feeds) while nothing else runs. Each lead is
// assessed on its own, so the result is the same in any order.
func (r *Ranker) AssessLeads(stories []digest.Story) []digest.Assessment {
	out := make([]digest.Assessment, len(stories))
	parallel.Each(len(stories), func(_, i int) {
		lead := stories[i].Lead()
		a := r.Assess(lead.Title, lead.Text)
		out[i] = digest.Assessment{Relevance: a.Relevance, Topics: a.Topics}
	})
	return out
}

// assessRules numbers the code of Assess: a change to how a text is read
// (stems, matching, density) must raise it, so that the assessments an
// earlier release kept are made again (AssessmentVersion).
const assessRules = 1

// AssessmentVersion names the assessment rules and the settings they
// read (topics, terms, weights, densities): assessments kept under
// another version are made again. It is empty when the settings cannot be
// named, and then none is to be kept.
func (r *Ranker) AssessmentVersion() string { return r.version }

// assessmentVersion computes AssessmentVersion from cfg.
func assessmentVersion(cfg Config) string {
	b, err := json.Marshal(struct {
		Rules                            int
		Topics                           []Topic
		General                          map[string]float64
		Saturation, TitleWeight, Context float64
		MinWords, MaxTopics              int
		TopicMin, TopicMinDensity        float64
	}{assessRules, cfg.Topics, cfg.GeneralTerms, cfg.Saturation, cfg.TitleWeight, cfg.ContextRatio,
		cfg.MinWords, cfg.MaxTopics, cfg.TopicMin, cfg.TopicMinDensity})
	if err != nil {
		// A weight JSON cannot hold (NaN): no version, so nothing is
		// kept under one that would not tell such settings apart.
		return ""
	}
	sum := sha256.Sum256(b)
	return fmt.Sprintf("rank-%d-%x", assessRules, sum[:8])
}

// Rerank orders stories that Rank or RankSplit kept once their summaries
// have arrived, folding in the summaries' topics and importance, without
// assessing the texts again: the relevance Rank set is the text's, and a
// summary can only raise it (refine), so none is dropped and the result is
// what Rank would return for the same stories.
func (r *Ranker) Rerank(stories []digest.Story, now time.Time) []digest.Story {
	out := slices.Clone(stories)
	for i := range out {
		r.refine(&out[i])
		out[i].Score = r.score(out[i], now)
	}
	order(out)
	return out
}

// Threshold returns the relevance below which Rank drops a story.
func (r *Ranker) Threshold() float64 { return r.threshold }

// order sorts ranked stories best first: by score, then the newest, then
// by key, stories equal in all three in the order they came. Their
// indexes are sorted, not the stories (keysort), and each story's newest
// article is found once: a stable sort of a window's 10,000 stories of a
// few hundred bytes each moved them ~n log n times and looked for the
// newest article again at every comparison (60 % of RankAssessed in
// BenchmarkRankWindow).
func order(stories []digest.Story) {
	newest := make([]time.Time, len(stories))
	for i := range stories {
		newest[i] = latest(stories[i])
	}
	keysort.Stable(stories, func(i, j int) int {
		if c := cmp.Compare(stories[j].Score, stories[i].Score); c != 0 {
			return c
		}
		if c := newest[j].Compare(newest[i]); c != 0 {
			return c
		}
		return strings.Compare(stories[i].Key, stories[j].Key)
	})
}

// weekHalfLives is how many times longer recency's half-life is when a
// week is ranked: age across seven days weighs as it does across one.
const weekHalfLives = 7

// RankWeek is Rerank for a weekly edition: the same relevance, outlets,
// weights and importance, with recency's half-life seven times longer, so
// that Monday's major story still leads Friday's minor ones. The stories
// are the week's as RankSplit kept them (their relevance set, texts
// perhaps no longer held): none is dropped or assessed again.
func (r *Ranker) RankWeek(stories []digest.Story, now time.Time) []digest.Story {
	week := *r
	week.cfg.HalfLife *= weekHalfLives
	return week.Rerank(stories, now)
}

// Relevance returns the story's relevance, as Rank computes it, and the
// threshold below which Rank drops the story.
func (r *Ranker) Relevance(st digest.Story) (relevance, threshold float64) {
	r.relevance(&st)
	return st.Relevance, r.threshold
}

// relevance sets the story's relevance and topics from its lead article
// and its summary.
func (r *Ranker) relevance(st *digest.Story) {
	lead := st.Lead()
	a := r.Assess(lead.Title, lead.Text)
	st.Relevance = a.Relevance
	st.Topics = a.Topics
	r.refine(st)
}

// refine folds the summary's topics (from an LLM) into the story.
func (r *Ranker) refine(st *digest.Story) {
	matched := false
	for _, t := range st.Summary.Topics {
		name, ok := CanonicalTopic(r.cfg.Topics, t)
		if !ok {
			continue
		}
		matched = true
		if !slices.Contains(st.Topics, name) {
			st.Topics = append(st.Topics, name)
		}
	}
	if matched {
		st.Relevance = max(st.Relevance, r.cfg.LLMTopicRelevance)
	}
}

// score combines relevance, recency, outlets, source weight and importance.
func (r *Ranker) score(st digest.Story, now time.Time) float64 {
	s := 0.5 + st.Relevance
	if t := latest(st); !t.IsZero() {
		age := max(now.Sub(t), 0)
		s *= math.Exp2(-age.Hours() / r.cfg.HalfLife.Hours())
	}
	s *= 1 + math.Log(float64(outlets(st)))
	s *= r.sourceWeight(st)
	if imp := st.Summary.Importance; imp >= 1 && imp <= 5 {
		s *= max(0, 1+r.cfg.ImportanceWeight*float64(imp-3))
	}
	return s
}

// sourceWeight is the largest configured weight among the story's outlets.
func (r *Ranker) sourceWeight(st digest.Story) float64 {
	if len(r.cfg.SourceWeights) == 0 && r.cfg.Weight == nil {
		return 1
	}
	best := math.Inf(-1)
	for _, a := range st.Articles {
		var w float64
		ok := false
		if r.cfg.Weight != nil {
			w, ok = r.cfg.Weight(a.SourceID)
		}
		if !ok {
			w, ok = r.cfg.SourceWeights[a.SourceID]
		}
		if !ok {
			w, ok = r.cfg.SourceWeights[a.SourceName]
		}
		if !ok {
			w = 1
		}
		best = max(best, w)
	}
	if math.IsInf(best, -1) {
		return 1
	}
	return max(best, 0)
}

// outlets counts the distinct outlets (by name, else source ID) of a story.
func outlets(st digest.Story) int {
	seen := map[string]bool{}
	for _, a := range st.Articles {
		k := strings.ToLower(cmp.Or(a.SourceName, a.SourceID))
		seen[k] = true
	}
	return max(len(seen), 1)
}

// latest returns the newest publication time among a story's articles.
func latest(st digest.Story) time.Time {
	var t time.Time
	for _, a := range st.Articles {
		if a.Published.After(t) {
			t = a.Published
		}
	}
	return t
}

// FilterTopics returns the stories on any of topics (by Story.Topics or the
// summary's topics, case-insensitively); all of them when topics is empty.
// It is the subscriber's topic filter.
func FilterTopics(stories []digest.Story, topics []string) []digest.Story {
	if len(topics) == 0 {
		return stories
	}
	var out []digest.Story
	for _, st := range stories {
		if onTopic(st, topics) {
			out = append(out, st)
		}
	}
	return out
}

func onTopic(st digest.Story, topics []string) bool {
	for _, want := range topics {
		key := topicKey(want)
		for _, have := range slices.Concat(st.Topics, st.Summary.Topics) {
			if topicKey(have) == key {
				return true
			}
		}
	}
	return false
}

// stems returns the stems of text's words.
func stems(text string) []string {
	var sc scratch
	return sc.appendStems(nil, text)
}

// scratch is the slices one Assess works in: a text's tokens, the stems
// of its title's and text's words and their numbers in the vocabulary,
// none of which outlives it. A gather assesses every article it stores,
// and these slices allocated for each were a sixth of what a first run
// allocated (the tokens 87 and the stems 24 of 674 MB at 200 feeds,
// `digest now --memprofile`), all of it garbage at once; they are reused
// (scratches) instead.
type scratch struct {
	toks              []nlp.Token
	title, text       []string
	titleIDs, textIDs []int32
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// appendStems appends the stems of text's words to dst.
func (sc *scratch) appendStems(dst []string, text string) []string {
	sc.toks = nlp.AppendTokens(sc.toks[:0], text)
	for _, t := range sc.toks {
		dst = append(dst, t.Stem)
	}
	clear(sc.toks)
	return dst
}

// put gives sc back to scratches, without the words it held: they are
// parts of the texts assessed, which the pool would keep alive.
func (sc *scratch) put() {
	clear(sc.title)
	clear(sc.text)
	scratches.Put(sc)
}
