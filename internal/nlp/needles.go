package nlp

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Needles finds which of a fixed list of substrings occur in a text, in
// one pass over the text instead of one strings.Contains per substring:
// the cheap keyword checks in front of the boilerplate and appeal patterns
// were, with a hundred keywords each, a fifth of a gather's CPU. Matching
// is on bytes, as strings.Contains's is. The zero value finds nothing.
//
// It is an Aho-Corasick automaton made deterministic: one table look-up
// per byte of the text, whatever the needles, where looking up each
// position's first two bytes and then comparing the needles that start
// with them cost four times as much on news text.
type Needles struct {
	// class numbers the bytes that occur in some needle from 1; the
	// others are class 0, which leads every state back to the start.
	class [256]uint8
	// lower is class of the byte lower-cased, for the ASCII bytes.
	lower  [utf8.RuneSelf]uint8
	stride int // classes
	// next is the automaton's transitions: next[state*stride+class] is
	// where the state after reading a byte of class in state starts in
	// next (that state times stride), with stateHit set when some needle
	// ends there. Stored so, the row needs no multiplication to find,
	// which halves a byte's latency.
	next []uint32
	// found holds, by state, the needles that end there (its own and
	// those of its suffixes), for the states whose transitions carry
	// stateHit.
	found []NeedleSet
}

// stateHit marks a transition to a state where some needle ends.
const stateHit = 1 << 31

// NeedleSet is the set of a Needles' needles found in a text, by their
// index in the list given to NewNeedles.
type NeedleSet [4]uint64

// MaxNeedles is how many needles one Needles may hold.
const MaxNeedles = 255

// Has reports whether needle i was found.
func (s *NeedleSet) Has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

// HasAny reports whether one of the needles indexed is was found.
func (s *NeedleSet) HasAny(is []int) bool {
	for _, i := range is {
		if s.Has(i) {
			return true
		}
	}
	return false
}

func (s *NeedleSet) add(i int) { s[i/64] |= 1 << (i % 64) }

func (s *NeedleSet) union(o *NeedleSet) {
	for k := range s {
		s[k] |= o[k]
	}
}

// NewNeedles returns a Needles for list. It panics when list is longer
// than MaxNeedles or holds an empty string: the lists are constant tables.
func NewNeedles(list []string) *Needles {
	if len(list) > MaxNeedles {
		panic(fmt.Sprintf("nlp.NewNeedles: %d needles, at most %d", len(list), MaxNeedles))
	}
	n := &Needles{}
	classes := 1
	for _, s := range list {
		if s == "" {
			panic("nlp.NewNeedles: empty needle")
		}
		for i := 0; i < len(s); i++ {
			if n.class[s[i]] == 0 {
				n.class[s[i]] = uint8(classes)
				classes++
			}
		}
	}
	n.stride = classes
	for b := range n.lower {
		c := byte(b)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		n.lower[b] = n.class[c]
	}
	// The trie of the needles: child[state*stride+class] is the state
	// after the byte, 0 where no needle goes on.
	child := make([]uint32, classes)
	var found []NeedleSet
	found = append(found, NeedleSet{})
	for i, s := range list {
		st := 0
		for k := 0; k < len(s); k++ {
			at := st*classes + int(n.class[s[k]])
			if child[at] == 0 {
				child[at] = uint32(len(found))
				child = append(child, make([]uint32, classes)...)
				found = append(found, NeedleSet{})
			}
			st = int(child[at])
		}
		found[st].add(i)
	}
	// Breadth first, each state's failure (its longest proper suffix
	// that is a state) is known before it: a missing transition is the
	// failure's, and a state finds what its failure finds.
	next := make([]uint32, len(child))
	fail := make([]int, len(found))
	queue := []int{0}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		for c := 1; c < classes; c++ {
			to := int(child[st*classes+c])
			if to == 0 {
				if st != 0 {
					next[st*classes+c] = next[fail[st]*classes+c]
				}
				continue
			}
			next[st*classes+c] = uint32(to)
			if st != 0 {
				fail[to] = int(next[fail[st]*classes+c] &^ stateHit)
			}
			found[to].union(&found[fail[to]])
			queue = append(queue, to)
		}
	}
	for k, to := range next {
		v := to * uint32(classes)
		if found[to] != (NeedleSet{}) {
			v |= stateHit
		}
		next[k] = v
	}
	n.next, n.found = next, found
	return n
}

// Any reports whether some needle occurs in s.
func (n *Needles) Any(s string) bool {
	any := false
	n.scan(s, func(int) bool { any = true; return false })
	return any
}

// Find returns the set of needles that occur in s.
func (n *Needles) Find(s string) NeedleSet {
	var set NeedleSet
	n.scan(s, func(state int) bool { set.union(&n.found[state]); return true })
	return set
}

// FindLower returns Find(strings.ToLower(s)) without making the
// lower-cased string.
func (n *Needles) FindLower(s string) NeedleSet {
	return n.findMapped(s, unicode.ToLower)
}

// AnyLower returns Any(strings.ToLower(s)) without making the lower-cased
// string.
func (n *Needles) AnyLower(s string) bool {
	any := false
	n.scanMapped(s, unicode.ToLower, func(int) bool { any = true; return false })
	return any
}

// findMapped returns Find(strings.Map(mapping, s)) without making the
// mapped string (see scanMapped).
func (n *Needles) findMapped(s string, mapping func(rune) rune) NeedleSet {
	var set NeedleSet
	n.scanMapped(s, mapping, func(state int) bool { set.union(&n.found[state]); return true })
	return set
}

// scan runs the automaton over s and calls hit with each state it
// reaches where a needle ends, until hit returns false.
func (n *Needles) scan(s string, hit func(state int) bool) {
	if n == nil || n.next == nil {
		return
	}
	next, row := n.next, uint32(0)
	for i := 0; i < len(s); i++ {
		if row = next[row+uint32(n.class[s[i]])]; row&stateHit != 0 {
			if !hit(int(row&^stateHit) / n.stride) {
				return
			}
			row &^= stateHit
		}
	}
}

// scanMapped is scan of strings.Map(mapping, s), without making it, for
// a mapping that lower-cases the ASCII letters, keeps the other ASCII
// bytes and never drops a rune (unicode.ToLower, foldRune): an ASCII byte
// goes through the lower-casing classes, another rune is decoded, mapped
// and its UTF-8 read. As strings.Map does, it takes a byte that is not
// UTF-8 for utf8.RuneError and maps that.
func (n *Needles) scanMapped(s string, mapping func(rune) rune, hit func(state int) bool) {
	if n == nil || n.next == nil {
		return
	}
	next, row := n.next, uint32(0)
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		var mapped []byte
		if c := s[i]; c < utf8.RuneSelf {
			i++
			row = next[row+uint32(n.lower[c])]
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			mapped = utf8.AppendRune(buf[:0], mapping(r))
			row = next[row+uint32(n.class[mapped[0]])]
		}
		for k := 1; ; k++ {
			if row&stateHit != 0 {
				if !hit(int(row&^stateHit) / n.stride) {
					return
				}
				row &^= stateHit
			}
			if k >= len(mapped) {
				break
			}
			row = next[row+uint32(n.class[mapped[k]])]
		}
	}
}
