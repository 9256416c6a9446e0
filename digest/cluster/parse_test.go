package cluster

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"sync"
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

// TestEncodeFeatures_Concurrent encodes the farm's texts on four
// goroutines at once, as the gather's settlers do, and compares each
// encoding with the one read alone, both from empty memos: the memos
// that parse shares (wordMemo, derivedMemo) must give every goroutine
// the answers it would compute (go test -race).
func TestEncodeFeatures_Concurrent(t *testing.T) {
	c := New(Config{})
	arts := farmArticles(4, 25)
	forget := func() { // the memos as a new process has them
		for i := range wordMemo {
			wordMemo[i].Store(nil)
		}
		for i := range derivedMemo {
			derivedMemo[i].Store(nil)
		}
	}
	forget()
	got := make([][][]byte, 4)
	var wg sync.WaitGroup
	for g := range got {
		wg.Go(func() {
			got[g] = make([][]byte, len(arts))
			for k := range arts {
				i := (k + 7*g) % len(arts) // each goroutine in its own order
				got[g][i] = c.EncodeFeatures(arts[i])
			}
		})
	}
	wg.Wait()
	forget()
	want := make([][]byte, len(arts))
	for i, a := range arts {
		want[i] = c.EncodeFeatures(a)
	}
	for g := range got {
		for i := range arts {
			if !bytes.Equal(got[g][i], want[i]) {
				t.Fatalf("goroutine %d, article %d: encoding differs from the one read alone", g, i)
			}
		}
	}
}
