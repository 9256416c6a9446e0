// Package keysort sorts slices of large elements (a window's stories, a
// run's account lines) by sorting their indexes and then moving each
// element once. A stable sort of the elements themselves moves each of
// them about log n times, and a comparison that derives a key (a story's
// newest article) derives it again at every call: the caller can derive
// such keys once, by index, before sorting.
package keysort

import (
	"cmp"
	"slices"
)

// Stable sorts s in the order compare gives, where compare(i, j) compares
// the elements at indexes i and j of s as it was when Stable was called;
// elements that compare equal keep their order. Beside s it holds one int
// per element.
func Stable[T any](s []T, compare func(i, j int) int) {
	from := make([]int, len(s))
	for i := range from {
		from[i] = i
	}
	slices.SortFunc(from, func(i, j int) int {
		if c := compare(i, j); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
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
