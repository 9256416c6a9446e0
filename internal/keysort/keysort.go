// Package keysort sorts slices of large elements (a window's stories, a
// run's account lines) by keys taken from each element once: the keys are
// sorted, then each element moves once. A stable sort of the elements
// themselves moves each of them about log n times, and a comparison that
// derives its keys derives them at every call.
package keysort

import (
	"cmp"
	"slices"
)

// Stable sorts s by the keys key takes from its elements, in the order
// compare gives them; elements whose keys compare equal keep their order.
// key is called once per element, compare O(n log n) times on the keys.
func Stable[T, K any](s []T, key func(*T) K, compare func(a, b K) int) {
	type keyed struct {
		k  K
		at int
	}
	keys := make([]keyed, len(s))
	for i := range s {
		keys[i] = keyed{key(&s[i]), i}
	}
	slices.SortFunc(keys, func(a, b keyed) int {
		if c := compare(a.k, b.k); c != 0 {
			return c
		}
		return cmp.Compare(a.at, b.at)
	})
	from := make([]int, len(keys))
	for i, k := range keys {
		from[i] = k.at
	}
	permute(s, from)
}

// permute rearranges s in place so that s[i] becomes what s[from[i]] was,
// a cycle of the permutation at a time, each element moved once (and one
// per cycle twice); from is used up.
func permute[T any](s []T, from []int) {
	for i := range from {
		if from[i] == i {
			continue
		}
		held := s[i]
		j := i
		for {
			k := from[j]
			from[j] = j
			if k == i {
				s[j] = held
				break
			}
			s[j] = s[k]
			j = k
		}
	}
}
