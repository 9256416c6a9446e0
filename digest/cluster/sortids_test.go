package cluster

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortIDs checks sortIDs against slices.Sort on both of its paths:
// hashes, hashes repeated, and ids that share their top bits (which
// sortFewIDs puts in one bucket).
func TestSortIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		for kind := range 3 {
			ids := make([]uint64, n)
			for k := range ids {
				switch kind {
				case 0:
					ids[k] = r.Uint64()
				case 1:
					ids[k] = uint64(r.IntN(5)) * 0x9e3779b97f4a7c15
				default:
					ids[k] = r.Uint64() >> 20
				}
			}
			want := slices.Sorted(slices.Values(ids))
			if sortIDs(ids); !slices.Equal(ids, want) {
				t.Fatalf("n %d, kind %d: sortIDs gave %v, want %v", n, kind, ids, want)
			}
		}
	}
}
