// Package keysort orders slices of large elements (a window's stories and
// clustering documents, a run's account lines) by sorting their indexes
// and then moving each element once. A stable sort of the elements
// themselves moves each of them about log n times, and a comparison that
// derives a key (a story's newest article) derives it again at every
// call: the caller can derive such keys once, by index, before sorting.
package keysort

import (
	"cmp"
	"slices"
)

// Stable sorts s in the order compare gives, where compare(i, j) compares
// the elements at indexes i and j of s as it was when Stable was called;
// elements that compare equal keep their order. Beside s it holds an int
// and a bool per element.
func Stable[T any](s []T, compare func(i, j int) int) {
	Permute(s, Order(len(s), compare))
}

// Order returns the indexes 0 to n-1 sorted by compare(i, j), indexes
// that compare equal in ascending order (a stable sort's order).
func Order(n int, compare func(i, j int) int) []int {
	at := make([]int, n)
	for i := range at {
		at[i] = i
	}
	slices.SortFunc(at, func(i, j int) int {
		if c := compare(i, j); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	return at
}

// Permute reorders s in the order at, so that its k-th element is the old
// s[at[k]]: in place, following at's cycles, each element moved once (the
// first of each cycle twice), as a window's stories or documents are too
// large to copy all at once. at is left as it was, for other slices of the
// same order.
func Permute[T any](s []T, at []int) {
	done := make([]bool, len(s))
	for start := range s {
		if done[start] {
			continue
		}
		done[start] = true
		if at[start] == start {
			continue
		}
		first := s[start]
		k := start
		for at[k] != start {
			s[k] = s[at[k]]
			k = at[k]
			done[k] = true
		}
		s[k] = first
	}
}
