package cluster

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// TestSortIDs checks sortIDs against slices.Sort on both of its paths:
// hashes, hashes repeated, and ids that share their top bits (which
// sortFewIDs puts in one bucket).
func TestSortIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		for kind := range 3 {
			ids := make([]uint64, n)
			for k := range ids {
				switch kind {
				case 0:
					ids[k] = r.Uint64()
				case 1:
					ids[k] = uint64(r.IntN(5)) * 0x9e3779b97f4a7c15
				default:
					ids[k] = r.Uint64() >> 20
				}
			}
			want := slices.Sorted(slices.Values(ids))
			if sortIDs(ids); !slices.Equal(ids, want) {
				t.Fatalf("n %d, kind %d: sortIDs gave %v, want %v", n, kind, ids, want)
			}
		}
	}
}

// TestTermID_Bits checks what the codec and the sorts rely on in term
// ids: never zero, the low idShift bits zero (the codec drops them), the
// top bits spread (sortFewIDs buckets by the top 7), and a word apart
// from the entity key spelt the same.
func TestTermID_Bits(t *testing.T) {
	var buckets [fewIDs]int
	seen := map[uint64]string{}
	for k := range 20000 {
		for _, entity := range []bool{false, true} {
			s := fmt.Sprintf("term%d", k)
			id := termID(s, entity)
			if id == 0 || id&(1<<idShift-1) != 0 {
				t.Fatalf("termID(%q, %v) = %#x: zero, or low bits set", s, entity, id)
			}
			if other, ok := seen[id]; ok {
				t.Errorf("termID(%q, %v) = termID of %q", s, entity, other)
			}
			seen[id] = fmt.Sprint(s, entity)
			buckets[id>>(64-7)]++
		}
	}
	for b, n := range buckets {
		// 40,000 ids over 128 buckets: 312 on average.
		if n < 200 || n > 450 {
			t.Errorf("bucket %d of the top 7 bits holds %d of 40,000 ids", b, n)
		}
	}
	if termID("", false) == 0 {
		t.Error("termID of the empty key is 0")
	}
}

// TestEncodeFeatures_Concurrent encodes the farm's texts on four
// goroutines at once, as the gather's settlers do, and compares each
// encoding with the one read alone, both from empty memos: the memos
// that parse shares (wordMemo, derivedMemo) must give every goroutine
// the answers it would compute (go test -race).
func TestEncodeFeatures_Concurrent(t *testing.T) {
	c := New(Config{})
	arts := farmArticles(4, 25)
	forget := func() { // the memos as a new process has them
		for i := range wordMemo {
			wordMemo[i].Store(nil)
		}
		for i := range derivedMemo {
			derivedMemo[i].Store(nil)
		}
	}
	forget()
	got := make([][][]byte, 4)
	var wg sync.WaitGroup
	for g := range got {
		wg.Go(func() {
			got[g] = make([][]byte, len(arts))
			for k := range arts {
				i := (k + 7*g) % len(arts) // each goroutine in its own order
				got[g][i] = c.EncodeFeatures(arts[i])
			}
		})
	}
	wg.Wait()
	forget()
	want := make([][]byte, len(arts))
	for i, a := range arts {
		want[i] = c.EncodeFeatures(a)
	}
	for g := range got {
		for i := range arts {
			if !bytes.Equal(got[g][i], want[i]) {
				t.Fatalf("goroutine %d, article %d: encoding differs from the one read alone", g, i)
			}
		}
	}
}

// TestLeadTokens checks tokenBuffers.leadTokens against tokenising the lead, on every
// article of the test sets and the corpora: where it answers, its
// tokens are the lead's.
func TestLeadTokens(t *testing.T) {
	// taken reports whether leadTokens answers for a, and fails the test
	// when its answer is not the lead's tokens.
	taken := func(a digest.Article) bool {
		t.Helper()
		title, lead := leadText(a, New(Config{}).cfg.LeadSentences)
		b := &tokenBuffers{title: nlp.Tokens(title), text: nlp.Tokens(a.Text)}
		if !b.leadTokens(title, a.Text, lead) {
			return false
		}
		if want := nlp.Tokens(lead); !slices.Equal(b.lead, want) {
			t.Fatalf("title %q, text %q: lead tokens\n%+v\nwant\n%+v", a.Title, a.Text, b.lead, want)
		}
		return true
	}
	sets := map[string][]digest.Article{}
	for _, s := range testSets(t, 20) {
		sets[s.name] = s.arts
	}
	for name, arts := range corpusArticles(t) {
		sets[name] = arts
	}
	for name, arts := range sets {
		answered := 0
		for _, a := range arts {
			answered += b2n(taken(a))
		}
		t.Logf("%s: %d of %d leads taken from the text", name, answered, len(arts))
	}
	// Made-up texts of the pieces the tokeniser and the sentence
	// splitter treat apart.
	pieces := []string{" ", "  ", "\n", "\n\n", "\t", ".", ". ", "! ", "? ", "…", "3", ".5", "5%", ",000", "U.S.", "Mr.", "’s", "'s", "'", "\"", ")", "Trade", "trade", "duties", "New", "Zealand", "Éire", "ß", "日本", "\xe2\x80", "\xff", "-", "dock", "workers"}
	r := rand.New(rand.NewPCG(3, 4))
	answered := 0
	for range 20000 {
		var b strings.Builder
		for range r.IntN(60) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		a := digest.Article{Text: b.String()}
		if r.IntN(2) == 0 {
			a.Title = pieces[r.IntN(len(pieces))] + "Title" + pieces[r.IntN(len(pieces))]
		}
		answered += b2n(taken(a))
	}
	t.Logf("made-up texts: %d of 20000 leads taken from the text", answered)
}

// TestShortIndex checks that a shortIndex numbers strings in the order
// they are first added, on either side of the size where it moves from
// its list to a map.
func TestShortIndex(t *testing.T) {
	var x shortIndex
	const n = 3 * shortSet
	for round := range 2 { // the second round adds every word again
		for k := range n {
			w := fmt.Sprint("w", k)
			i, isNew := x.add(w)
			if i != k || isNew != (round == 0) {
				t.Fatalf("round %d: add(%q) = %d, %v; want %d, %v", round, w, i, isNew, k, round == 0)
			}
			for j := range n {
				want := j
				if round == 0 && j > k {
					want = -1
				}
				if got := x.index(fmt.Sprint("w", j)); got != want {
					t.Fatalf("round %d, after %d added: index(w%d) = %d, want %d", round, k+1, j, got, want)
				}
			}
		}
	}
	if x.index("absent") != -1 {
		t.Fatal("index of a string never added is not -1")
	}
}

// TestRuneCount checks runeCount against utf8.RuneCountInString on texts
// of ASCII, of other runes, of invalid bytes and of runes cut short, at
// every offset of the eight-byte steps.
func TestRuneCount(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "Trade ", "é", "—", "€", "\xff", "\xe2\x80", "😀", "\x80", " "}
	for n := range 2000 {
		var b strings.Builder
		for range n % 70 {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := runeCount(s), utf8.RuneCountInString(s); got != want {
			t.Fatalf("runeCount(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestTrimZeros checks trimZeros against the division by ten it stands
// for, on whole numbers with and without trailing zeros, on both sides
// of 2^53.
func TestTrimZeros(t *testing.T) {
	slow := func(v float64) float64 {
		for v >= 10 && math.Mod(v, 10) == 0 {
			v /= 10
		}
		return v
	}
	for _, v := range []float64{0, 1, 9, 10, 100, 120, 15000, 1840000000, 1 << 53, 1<<53 - 1, 1e20, 1e300, 123e15, math.Inf(1), math.NaN()} {
		if got, want := trimZeros(v), slow(v); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("trimZeros(%v) = %v, want %v", v, got, want)
		}
	}
}
