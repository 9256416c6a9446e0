// Package lazy builds package-level tables on first use.
//
// A package-level map, or a sync.OnceValue wrapping one, is built by the
// package's initialiser: the map at once, the OnceValue's closure and
// state allocated there too. Either way every process that links the
// package runs its initialiser before main, and the pages of code and
// data it touches count in the process's memory (issue 17: `digest
// version` is to start in 20 MB). A Value declared as a composite literal
// with a function literal, var x = lazy.Value[T]{Build: func() T {...}},
// is static data the compiler lays out in the binary: no initialiser
// runs for it.
package lazy

import "sync"

// Value is a value built by Build the first time Get is called. Set
// Build in the declaration and nowhere else. It is safe for concurrent
// use and must not be copied.
type Value[T any] struct {
	// Build returns the value; it is called once, by the first Get.
	Build func() T
	once  sync.Once
	valid bool
	p     any
	v     T
}

// Get returns the value, calling Build on the first call; concurrent
// callers wait for it, later calls return the same value. If Build
// panics, Get panics with the same value on every call, as a function
// from sync.OnceValue does.
func (l *Value[T]) Get() T {
	l.once.Do(l.build)
	if !l.valid {
		panic(l.p)
	}
	return l.v
}

func (l *Value[T]) build() {
	defer func() {
		if !l.valid {
			l.p = recover()
			panic(l.p)
		}
	}()
	l.v = l.Build()
	l.valid = true
}
