// Package rouge scores a candidate summary against a reference with
// ROUGE-N and ROUGE-L F1 (Lin, 2004), the way the usual rouge-score
// package does by default: lower-cased, tokens are runs of letters and
// digits, no stemming unless a stemmer is given.
package rouge

import (
	"strings"
	"unicode"
)

// Score is precision, recall and their harmonic mean.
type Score struct {
	P, R, F float64
}

// Tokens lower-cases s and splits it on everything that is not a letter or
// a digit; stem, when not nil, is applied to each token.
func Tokens(s string, stem func(string) string) []string {
	toks := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if stem != nil {
		for i, t := range toks {
			toks[i] = stem(t)
		}
	}
	return toks
}

// N returns ROUGE-N: n-gram overlap with clipped counts.
func N(cand, ref []string, n int) Score {
	c, r := ngrams(cand, n), ngrams(ref, n)
	var overlap, nc, nr int
	for g, k := range c {
		nc += k
		overlap += min(k, r[g])
	}
	for _, k := range r {
		nr += k
	}
	return score(overlap, nc, nr)
}

// L returns ROUGE-L: the longest common subsequence of the two token lists
// (summary-level LCS over the whole text, not per sentence).
func L(cand, ref []string) Score {
	if len(cand) == 0 || len(ref) == 0 {
		return Score{}
	}
	prev := make([]int, len(ref)+1)
	cur := make([]int, len(ref)+1)
	for i := range cand {
		for j := range ref {
			if cand[i] == ref[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return score(prev[len(ref)], len(cand), len(ref))
}

func ngrams(toks []string, n int) map[string]int {
	m := map[string]int{}
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], "\x00")]++
	}
	return m
}

func score(overlap, nc, nr int) Score {
	if overlap == 0 || nc == 0 || nr == 0 {
		return Score{}
	}
	p, r := float64(overlap)/float64(nc), float64(overlap)/float64(nr)
	return Score{P: p, R: r, F: 2 * p * r / (p + r)}
}
