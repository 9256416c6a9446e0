package parallel

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
)

// TestAhead checks that every piece is fetched once and worked on in
// order with what its fetch returned, that the next fetch runs during the
// work on the current piece (a fetch that waits for its work to start
// would never end otherwise), and that an error stops it with no fetch
// left running.
func TestAhead(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7} {
		var fetched []int
		var order []int
		working := make(chan int, n)
		err := Ahead(n, func(k int) (int, error) {
			fetched = append(fetched, k)
			if k > 0 {
				if w := <-working; w != k-1 {
					t.Errorf("fetch %d during work %d, want %d", k, w, k-1)
				}
			}
			return k * 10, nil
		}, func(k, v int) error {
			if v != k*10 {
				t.Errorf("work %d got %d, want %d", k, v, k*10)
			}
			order = append(order, k)
			working <- k
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int, n)
		for k := range want {
			want[k] = k
		}
		if !slices.Equal(fetched, want) || !slices.Equal(order, want) {
			t.Errorf("n=%d: fetched %v, worked %v, want %v", n, fetched, order, want)
		}
	}
	boom := errors.New("boom")
	for _, failAt := range []string{"fetch", "work"} {
		var inFlight, worked atomic.Int32
		err := Ahead(5, func(k int) (int, error) {
			inFlight.Add(1)
			defer inFlight.Add(-1)
			if failAt == "fetch" && k == 2 {
				return 0, boom
			}
			return k, nil
		}, func(k, _ int) error {
			worked.Add(1)
			if failAt == "work" && k == 2 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Errorf("%s fails: error %v, want boom", failAt, err)
		}
		if n := inFlight.Load(); n != 0 {
			t.Errorf("%s fails: %d fetches still running after Ahead returned", failAt, n)
		}
		if want := map[string]int32{"fetch": 2, "work": 3}[failAt]; worked.Load() != want {
			t.Errorf("%s fails: %d pieces worked on, want %d", failAt, worked.Load(), want)
		}
	}
}
