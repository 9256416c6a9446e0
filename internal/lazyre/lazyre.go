// Package lazyre compiles package-level regular expressions on first use.
//
// A regexp.MustCompile in a package-level var runs in the package's
// initialiser, so every process that links the package pays for it before
// main, `digest version` and the container's health check included. The
// patterns are constants, so compiling them later changes nothing but when
// the cost is paid; the package's tests exercise each one (a bad pattern
// panics there, as it would have at start-up).
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles pattern the first time it is
// called and returns the same *regexp.Regexp on every call. It is safe for
// concurrent use.
func New(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
