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

// Regexp is a regular expression compiled the first time Get is called.
// It is safe for concurrent use and must not be copied.
type Regexp struct {
	once    sync.Once
	pattern string
	re      *regexp.Regexp
	p       any // what compiling panicked with
}

// New returns a Regexp for pattern, compiled by the first Get.
//
// With a constant pattern, `var x = lazyre.New(...)` is static data: the
// compiler inlines New and lays the Regexp out in the binary, so the
// package needs no initialiser for it (an initialiser, however small, is
// code and data the process must page in before main; issue 17).
func New(pattern string) *Regexp { return &Regexp{pattern: pattern} }

// Get compiles the pattern on its first call and returns the same
// *regexp.Regexp on every call. If the pattern is invalid, every call
// panics, as regexp.MustCompile does.
func (r *Regexp) Get() *regexp.Regexp {
	r.once.Do(r.compile)
	if r.re == nil {
		panic(r.p)
	}
	return r.re
}

func (r *Regexp) compile() {
	defer func() {
		if r.re == nil {
			r.p = recover()
		}
	}()
	r.re = regexp.MustCompile(r.pattern)
}
