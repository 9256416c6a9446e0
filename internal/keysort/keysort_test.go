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

// TestPermute checks that permute applies the permutation it is given,
// with fixed points, a single cycle and several.
func TestPermute(t *testing.T) {
	for _, from := range [][]int{{}, {0}, {1, 0}, {0, 1, 2}, {2, 0, 1}, {1, 2, 0}, {3, 2, 1, 0}, {1, 0, 3, 4, 2, 5}} {
		s := make([]int, len(from))
		for i := range s {
			s[i] = 100 + i
		}
		want := make([]int, len(from))
		for i, f := range from {
			want[i] = 100 + f
		}
		permute(s, slices.Clone(from))
		if !slices.Equal(s, want) {
			t.Errorf("permute by %v = %v, want %v", from, s, want)
		}
	}
}
