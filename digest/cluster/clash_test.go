package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// TestClashes_SameAsByKey checks that the clash tests on term ids (the
// title words' sym, the title's place and goods ids and figures kept per
// article) decide every pair as the tests on the words' keys did, on the
// farm's wire texts, templated notices and the labelled set.
func TestClashes_SameAsByKey(t *testing.T) {
	arts, _, _ := loadLabelled(t)
	var notices = farmArticles(4, 30)
	for i := range 120 {
		n := notice{country: fmt.Sprint("Country", i%7), product: []string{"steel", "rice", "citric acid", "tyres"}[i%4], origin: fmt.Sprint("Origin", i%11), rate: 5 + i%9}
		notices = append(notices, noticeArticle(n, i, fmt.Sprint("Outlet ", i%4), t0.Add(time.Duration(i)*time.Hour)))
	}
	for name, in := range map[string][]digest.Article{"labelled": arts, "notices": notices} {
		set := analyse(in, 2)
		var clashing, conflicting, pairs int
		for i := range set {
			for j := range set {
				a, b := &set[i], &set[j]
				if i == j {
					continue
				}
				want := factClashByKey(placeCodes(a.title, a.titleKeys), placeCodes(b.title, b.titleKeys), a, b) ||
					factClashByKey(productKeys(a.title, a.titleKeys), productKeys(b.title, b.titleKeys), a, b) ||
					figureClashByKey(a, b) || conflictByKey(a, b)
				if got := clashes(a, b); got != want {
					t.Fatalf("%s: %q and %q: clashes %v, by key %v", name, in[i].Title, in[j].Title, got, want)
				}
				if got, want := conflict(a, b), conflictByKey(a, b); got != want {
					t.Fatalf("%s: %q and %q: conflict %v, by key %v", name, in[i].Title, in[j].Title, got, want)
				} else if got {
					conflicting++
				}
				pairs++
				if want {
					clashing++
				}
			}
		}
		t.Logf("%s: %d ordered pairs, %d clash (%d by the slot test), all decided alike", name, pairs, clashing, conflicting)
		if clashing == 0 || conflicting == 0 {
			t.Fatalf("%s: no pair clashes", name)
		}
	}
}

func figureClashByKey(a, b *doc) bool {
	fa, fb := a.titleFigures(), b.titleFigures()
	if len(fa) == 0 || len(fb) == 0 || shareFigure(a, b) {
		return false
	}
	return !anyAgree(fa, b.figures()) && !anyAgree(fb, a.figures())
}

// conflictByKey and factClashByKey are conflict and factClash as they
// were, on the words' keys.
func conflictByKey(a, b *doc) bool {
	ta, tb := a.title, b.title
	if len(ta) > maxTitleWords {
		ta = ta[:maxTitleWords]
	}
	if len(tb) > maxTitleWords {
		tb = tb[:maxTitleWords]
	}
	n, m := len(ta), len(tb)
	if n < 3 || m < 3 {
		return false
	}
	// Longest common subsequence of the keys, suffix table.
	var buf [(maxTitleWords + 1) * (maxTitleWords + 1)]uint8
	w := m + 1
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case a.titleKeys[i] == b.titleKeys[j]:
				buf[i*w+j] = buf[(i+1)*w+j+1] + 1
			case buf[(i+1)*w+j] >= buf[i*w+j+1]:
				buf[i*w+j] = buf[(i+1)*w+j]
			default:
				buf[i*w+j] = buf[i*w+j+1]
			}
		}
	}
	aligned := int(buf[0])
	if aligned < 3 || 2*aligned < max(n, m) {
		return false
	}
	// Walk the alignment; each stretch between aligned words where both
	// titles have words is a slot.
	i, j, si, sj := 0, 0, 0, 0
	for i < n && j < m {
		switch {
		case a.titleKeys[i] == b.titleKeys[j]:
			if slotConflict(ta[si:i], tb[sj:j], si > 0 && ta[si-1].object, a, b) {
				return true
			}
			i, j = i+1, j+1
			si, sj = i, j
		case buf[(i+1)*w+j] >= buf[i*w+j+1]:
			i++
		default:
			j++
		}
	}
	return slotConflict(ta[si:], tb[sj:], si > 0 && ta[si-1].object, a, b)
}
func factClashByKey(pa, pb []string, a, b *doc) bool {
	if len(pa) == 0 || len(pb) == 0 {
		return false
	}
	for _, p := range pa {
		if b.mentions(termID(p, false)) {
			return false
		}
	}
	for _, p := range pb {
		if a.mentions(termID(p, false)) {
			return false
		}
	}
	return true
}

// TestGrouping_ClashByClass checks that the grouping's clash and identical
// tests (place and goods tests answered once per pair of classes, URLs and
// identity keys compared by number) decide every pair as clashes and
// identical do, with the answers kept in the array and in the map.
func TestGrouping_ClashByClass(t *testing.T) {
	for _, set := range testSets(t, 6) {
		for _, dense := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/dense=%v", set.name, dense), func(t *testing.T) {
				// Copies: one of an article, one of another under a new URL.
				arts := append(slices.Clone(set.arts), set.arts[0], set.arts[1])
				arts[len(arts)-1].URL += "?copy"
				docs := analyse(arts, 2)
				g := newGrouping(&Config{}, docs)
				if !dense {
					g.facts.dense, g.facts.memo = nil, map[uint64]bool{}
				}
				var clashing, same int
				for i := range docs {
					for j := range docs {
						a, b := &docs[i], &docs[j]
						if got, want := g.clash(i, j), !identical(a, b) && clashes(a, b); got != want {
							t.Fatalf("%q and %q: clash %v, want %v", arts[i].Title, arts[j].Title, got, want)
						} else if got {
							clashing++
						}
						if got, want := g.identical(i, j), identical(a, b); got != want {
							t.Fatalf("%q and %q: identical %v, want %v", arts[i].Title, arts[j].Title, got, want)
						} else if got && i != j {
							same++
						}
					}
				}
				t.Logf("%d articles in %d classes; %d ordered pairs clash, %d identical", len(docs), len(g.facts.rep), clashing, same)
				if (set.name != "synthetic" && clashing == 0) || same == 0 {
					t.Error("no pair clashes, or none is identical: the test tests nothing")
				}
			})
		}
	}
}

// TestLCSTable_SameAsCells checks that the bit-parallel table of the
// titles' alignment (lcsTable) has every cell of the table computed cell
// by cell, on random titles of few distinct keys (many ties) up to
// maxTitleWords long.
func TestLCSTable_SameAsCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	title := func(keys int) []titleWord {
		out := make([]titleWord, rng.IntN(maxTitleWords+1))
		for k := range out {
			out[k].sym = uint64(rng.IntN(keys))
		}
		return out
	}
	for range 20000 {
		keys := 1 + rng.IntN(6)
		ta, tb := title(keys), title(keys)
		n, m := len(ta), len(tb)
		cells := make([][]int, n+1)
		for i := range cells {
			cells[i] = make([]int, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if ta[i].sym == tb[j].sym {
					cells[i][j] = cells[i+1][j+1] + 1
				} else {
					cells[i][j] = max(cells[i+1][j], cells[i][j+1])
				}
			}
		}
		var lcs lcsTable
		lcs.fill(ta, tb)
		for i := range n + 1 {
			for j := range m + 1 {
				if got := lcs.at(i, j); got != cells[i][j] {
					t.Fatalf("titles of %d and %d words: cell %d,%d is %d, want %d", n, m, i, j, got, cells[i][j])
				}
			}
		}
	}
}
