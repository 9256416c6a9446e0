// Package defaults holds the one idiom for "zero means default" in the
// configuration of sizes, counts and durations.
package defaults

// Number is what PositiveOr takes: counts, sizes and weights, and
// durations (time.Duration is an int64).
type Number interface {
	~int | ~int64 | ~float64
}

// PositiveOr returns v when it is positive, and def otherwise. Zero is an
// unset field; a negative count, size or duration means nothing, so it
// too gets the default rather than a loop that never runs or a timeout
// that has already passed. A setting where a negative value means
// something (feed.FetcherConfig.Retries: -1 is "no retries") is written
// out where it is used, not with PositiveOr. Strings use cmp.Or.
func PositiveOr[T Number](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
