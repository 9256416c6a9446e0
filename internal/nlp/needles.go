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
	// pairSlot holds, for each first two bytes of the needles of two bytes
	// or more, 1 + the index in byPair of the needles that start with
	// them, and 0 for the pairs no needle starts with: most positions of a
	// text, found in one look-up.
	pairSlot *[1 << 16]uint8
	byPair   [][]uint8
	// byByte holds the needles of one byte.
	byByte [256][]uint8
}

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

func (s *NeedleSet) add(i uint8) { s[i/64] |= 1 << (i % 64) }

// NewNeedles returns a Needles for list. It panics when list is longer
// than MaxNeedles or holds an empty string: the lists are constant tables.
func NewNeedles(list []string) *Needles {
	if len(list) > MaxNeedles {
		panic(fmt.Sprintf("nlp.NewNeedles: %d needles, at most %d", len(list), MaxNeedles))
	}
	n := &Needles{list: list, pairSlot: new([1 << 16]uint8)}
	for i, s := range list {
		switch len(s) {
		case 0:
			panic("nlp.NewNeedles: empty needle")
		case 1:
			n.byByte[s[0]] = append(n.byByte[s[0]], uint8(i))
		default:
			k := uint16(s[0])<<8 | uint16(s[1])
			if n.pairSlot[k] == 0 {
				n.byPair = append(n.byPair, nil)
				n.pairSlot[k] = uint8(len(n.byPair))
			}
			slot := n.pairSlot[k] - 1
			n.byPair[slot] = append(n.byPair[slot], uint8(i))
		}
	}
	return n
}

// scan calls found with the index of each needle at each position of s
// where one starts, until found returns false.
func (n *Needles) scan(s string, found func(i uint8) bool) {
	if n == nil || n.pairSlot == nil {
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
		slot := n.pairSlot[uint16(s[p])<<8|uint16(s[p+1])]
		if slot == 0 {
			continue
		}
		for _, i := range n.byPair[slot-1] {
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
