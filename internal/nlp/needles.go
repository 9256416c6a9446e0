package nlp

import (
	"fmt"
	"strings"
)

// Needles finds which of a fixed list of substrings occur in a text, in
// one pass over the text instead of one strings.Contains per substring:
// the cheap keyword checks in front of the boilerplate and appeal patterns
// were, with a hundred keywords each, a fifth of a gather's CPU. Matching
// is on bytes, as strings.Contains's is. The zero value finds nothing.
type Needles struct {
	list []string
	// byPair holds, for the first two bytes of each needle of two bytes or
	// more, the needles that start with them; pairs is the set of those
	// two-byte keys, checked first because most positions of a text start
	// no needle.
	byPair map[uint16][]uint8
	pairs  [1 << 16 / 64]uint64
	// byByte holds the needles of one byte.
	byByte [256][]uint8
}

// NeedleSet is the set of a Needles' needles found in a text, by their
// index in the list given to NewNeedles.
type NeedleSet [MaxNeedles / 64]uint64

// MaxNeedles is how many needles one Needles may hold.
const MaxNeedles = 256

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

func (s *NeedleSet) add(i uint8) { s[i/64] |= 1 << (i % 64) }

// NewNeedles returns a Needles for list. It panics when list is longer
// than MaxNeedles or holds an empty string: the lists are constant tables.
func NewNeedles(list []string) *Needles {
	if len(list) > MaxNeedles {
		panic(fmt.Sprintf("nlp.NewNeedles: %d needles, at most %d", len(list), MaxNeedles))
	}
	n := &Needles{list: list, byPair: map[uint16][]uint8{}}
	for i, s := range list {
		switch len(s) {
		case 0:
			panic("nlp.NewNeedles: empty needle")
		case 1:
			n.byByte[s[0]] = append(n.byByte[s[0]], uint8(i))
		default:
			k := uint16(s[0])<<8 | uint16(s[1])
			n.byPair[k] = append(n.byPair[k], uint8(i))
			n.pairs[k/64] |= 1 << (k % 64)
		}
	}
	return n
}

// scan calls found with the index of each needle at each position of s
// where one starts, until found returns false.
func (n *Needles) scan(s string, found func(i uint8) bool) {
	if n == nil {
		return
	}
	for p := 0; p < len(s); p++ {
		for _, i := range n.byByte[s[p]] {
			if !found(i) {
				return
			}
		}
		if p+1 == len(s) {
			break
		}
		k := uint16(s[p])<<8 | uint16(s[p+1])
		if n.pairs[k/64]&(1<<(k%64)) == 0 {
			continue
		}
		for _, i := range n.byPair[k] {
			if strings.HasPrefix(s[p:], n.list[i]) && !found(i) {
				return
			}
		}
	}
}

// Any reports whether some needle occurs in s.
func (n *Needles) Any(s string) bool {
	any := false
	n.scan(s, func(uint8) bool { any = true; return false })
	return any
}

// Find returns the set of needles that occur in s.
func (n *Needles) Find(s string) NeedleSet {
	var set NeedleSet
	n.scan(s, func(i uint8) bool { set.add(i); return true })
	return set
}
