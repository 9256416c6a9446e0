package keysort

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

type item struct {
	score float64
	name  string
	input int // the place in the input, to tell equal keys apart
}

// TestStable_AsSortStableFunc checks Stable against slices.SortStableFunc
// on inputs of every size up to 300 with many equal keys (a few scores
// and names), NaN among the scores, so that a tie kept out of its input
// order, an element lost or doubled by the permutation, or s moved while
// compare still reads it, shows.
func TestStable_AsSortStableFunc(t *testing.T) {
	compare := func(a, b item) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.name, b.name))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		s := make([]item, n)
		for i := range s {
			s[i] = item{score: float64(rng.IntN(4)), name: fmt.Sprint(rng.IntN(3)), input: i}
			if rng.IntN(20) == 0 {
				s[i].score = nan()
			}
		}
		want := slices.Clone(s)
		slices.SortStableFunc(want, compare)
		// As callers do: compare reads s itself, which must not move
		// before the sort is done.
		Stable(s, func(i, j int) int { return compare(s[i], s[j]) })
		for i := range want {
			if s[i].input != want[i].input {
				t.Fatalf("n=%d: place %d holds input %d, want %d", n, i, s[i].input, want[i].input)
			}
		}
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

// TestPermute checks the in-place permutation against a copy made in the
// order at, on every order of a few elements and on a shuffle of many, and
// that the order is left as it was (the clusterer permutes several slices
// by one order).
func TestPermute(t *testing.T) {
	check := func(at []int) {
		t.Helper()
		s := make([]int, len(at))
		for i := range s {
			s[i] = 100 + i
		}
		want := make([]int, len(at))
		for k, i := range at {
			want[k] = s[i]
		}
		given := slices.Clone(at)
		Permute(s, at)
		if !slices.Equal(s, want) {
			t.Fatalf("Permute by %v gives %v, want %v", at, s, want)
		}
		if !slices.Equal(at, given) {
			t.Fatalf("Permute changed its order %v to %v", given, at)
		}
	}
	var all func(prefix, rest []int)
	all = func(prefix, rest []int) {
		if len(rest) == 0 {
			check(prefix)
			return
		}
		for k := range rest {
			next := slices.Concat(rest[:k:k], rest[k+1:])
			all(append(slices.Clone(prefix), rest[k]), next)
		}
	}
	all(nil, []int{0, 1, 2, 3, 4})
	at := rand.New(rand.NewPCG(1, 2)).Perm(1000)
	check(at)
}
