package summarize

import (
	"context"
	"sort"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// ExtractiveVersion is the Version of the extractive summariser; bump it
// when selection changes so cached summaries are made again.
const ExtractiveVersion = "extractive-v1"

// Extractive is the offline summariser: it ranks the article's sentences
// with TextRank over a TF-IDF cosine graph, personalised towards the lead,
// drops near-duplicates and returns 2–3 of them verbatim, in article order.
// It is deterministic and safe for concurrent use.
type Extractive struct {
	// MinSentences and MaxSentences bound the summary (defaults 2 and 3).
	MinSentences, MaxSentences int
	// MaxWords stops adding sentences past MinSentences once the summary
	// would exceed it (default 75).
	MaxWords int
	// LeadWeight mixes the position prior into the final score, 0–1
	// (default 0.85): news puts the essentials first, and on the FRANK
	// pairs a strong lead prior scores best.
	LeadWeight float64
	// Redundancy is the cosine similarity above which a sentence repeats
	// one already chosen and is skipped (default 0.5).
	Redundancy float64
}

var _ digest.Summarizer = (*Extractive)(nil)

// maxCandidates bounds the sentences ranked per article.
const maxCandidates = 200

// NewExtractive returns an extractive summariser with the defaults.
func NewExtractive() *Extractive {
	return &Extractive{MinSentences: 2, MaxSentences: 3, MaxWords: 75, LeadWeight: 0.85, Redundancy: 0.5}
}

// Version returns ExtractiveVersion.
func (e *Extractive) Version() string { return ExtractiveVersion }

// Summarize returns the chosen sentences as Summary.Text, with an empty
// headline so the article title is used. It fails only when ctx is done.
func (e *Extractive) Summarize(ctx context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	if err := ctx.Err(); err != nil {
		return digest.Summary{}, err
	}
	return digest.Summary{
		ContentHash: hashOf(req),
		Version:     ExtractiveVersion,
		Backend:     "extractive",
		Text:        strings.Join(e.Select(req.Title, req.Text), " "),
	}, nil
}

// Select returns the summary sentences of text in article order. title, when
// given, keeps a first line that repeats it out of the summary.
func (e *Extractive) Select(title, text string) []string {
	all := nlp.Sentences(text)
	var cands []candidate
	normTitle := strings.Join(nlp.Words(title), " ")
	for i, s := range all {
		toks := nlp.Words(s)
		n := len(strings.Fields(s))
		// Unfinished lines are headlines, captions, datelines or share rows.
		if n < 5 || n > 90 || !nlp.Finished(s) || nlp.IsBoilerplateSentence(s) ||
			(normTitle != "" && strings.Join(toks, " ") == normTitle) {
			continue
		}
		cands = append(cands, candidate{text: s, pos: i, words: n, terms: contentTerms(toks)})
		if len(cands) == maxCandidates {
			// The graph is quadratic in sentences; a story's summary lives
			// in its first pages anyway.
			break
		}
	}
	if len(cands) == 0 {
		// Nothing looks like prose: the first real sentence is still better
		// than nothing, unless it is boilerplate.
		for _, s := range all {
			if !nlp.IsBoilerplateSentence(s) {
				return []string{s}
			}
		}
		return nil
	}
	terms := make([][]string, len(cands))
	for i, c := range cands {
		terms[i] = c.terms
	}
	vecs := nlp.TFIDF(terms)
	sim := make([][]float64, len(cands))
	for i := range cands {
		sim[i] = make([]float64, len(cands))
		for j := range i {
			c := nlp.Cosine(vecs[i], vecs[j])
			sim[i][j], sim[j][i] = c, c
		}
	}
	prior := make([]float64, len(cands))
	for i, c := range cands {
		prior[i] = 1 / float64(1+c.pos)
	}
	normalise(prior)
	rank := pagerank(sim, prior, 0.85)
	lw := e.leadWeight()
	score := make([]float64, len(cands))
	top := maxOf(rank)
	for i := range cands {
		score[i] = (1-lw)*rank[i]/top + lw*prior[i]/prior[0]
	}
	return e.pick(cands, sim, score)
}

// pick takes the best-scored sentences, skipping near-duplicates of those
// already taken, within the sentence and word limits.
func (e *Extractive) pick(cands []candidate, sim [][]float64, score []float64) []string {
	minS, maxS, maxW, red := e.MinSentences, e.MaxSentences, e.MaxWords, e.Redundancy
	if maxS <= 0 {
		maxS = 3
	}
	if minS <= 0 || minS > maxS {
		minS = min(2, maxS)
	}
	if maxW <= 0 {
		maxW = 75
	}
	if red <= 0 {
		red = 0.5
	}
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	var chosen []int
	words := 0
	for _, i := range order {
		if len(chosen) >= maxS {
			break
		}
		redundant := false
		for _, j := range chosen {
			if sim[i][j] > red {
				redundant = true
				break
			}
		}
		if redundant {
			continue
		}
		if len(chosen) >= minS && words+cands[i].words > maxW {
			// A shorter but weaker sentence further down would read as a
			// non sequitur; stop at the budget instead.
			break
		}
		chosen = append(chosen, i)
		words += cands[i].words
	}
	sort.Ints(chosen)
	out := make([]string, len(chosen))
	for k, i := range chosen {
		out[k] = cands[i].text
	}
	return out
}

func (e *Extractive) leadWeight() float64 {
	if e.LeadWeight < 0 || e.LeadWeight > 1 {
		return 0.5
	}
	return e.LeadWeight
}

type candidate struct {
	text  string
	pos   int // index among all sentences
	words int
	terms []string
}

// contentTerms drops stop words and folds plurals, so that the graph
// links sentences by what they are about.
func contentTerms(toks []string) []string {
	out := toks[:0:0]
	for _, t := range toks {
		if nlp.IsGraphStopword(t) || len(t) < 2 {
			continue
		}
		out = append(out, nlp.FoldPlural(t))
	}
	return out
}

// pagerank runs personalised PageRank on the weighted graph sim: a random
// reader follows similarity links with probability d and otherwise jumps
// to a sentence drawn from prior (the lead bias).
func pagerank(sim [][]float64, prior []float64, d float64) []float64 {
	n := len(sim)
	out := make([]float64, n)
	for i := range sim {
		for j := range sim[i] {
			out[i] += sim[i][j]
		}
	}
	r := append([]float64(nil), prior...)
	next := make([]float64, n)
	for range 50 {
		for i := range next {
			next[i] = (1 - d) * prior[i]
		}
		for j := range n {
			if out[j] == 0 {
				// A sentence sharing nothing hands its weight to the prior.
				for i := range next {
					next[i] += d * r[j] * prior[i]
				}
				continue
			}
			for i := range n {
				if sim[j][i] > 0 {
					next[i] += d * r[j] * sim[j][i] / out[j]
				}
			}
		}
		r, next = next, r
	}
	return r
}

func normalise(v []float64) {
	var sum float64
	for _, x := range v {
		sum += x
	}
	for i := range v {
		v[i] /= sum
	}
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	if m == 0 {
		return 1
	}
	return m
}

// hashOf returns the request's content hash, computing it when the caller
// left it empty.
func hashOf(req digest.SummaryRequest) string {
	if req.ContentHash != "" {
		return req.ContentHash
	}
	return digest.ContentHash(req.Text)
}
