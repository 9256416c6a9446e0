package summarize

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/summarize/internal/rouge"
)

// corpusDir returns ../shared/corpus/<name> relative to the module root (the
// repository sits beside shared/), or skips the test when it is absent.
func corpusDir(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(moduleRoot(tb), "..", "shared", "corpus", name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("corpus %s absent (%v): place shared/corpus beside the repository to run this evaluation", name, err)
	}
	return p
}

type framePair struct {
	ID        string `json:"id"`
	Article   string `json:"article"`
	Reference string `json:"reference"`
	Topic     string `json:"topic"`
}

func loadPairs(tb testing.TB) []framePair {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpusDir(tb, "summarization-frank"), "pairs.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []framePair
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		var p framePair
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			tb.Fatalf("pairs.jsonl: %v", err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

type rougeSum struct{ r1, r2, rl float64 }

func (s *rougeSum) add(cand, ref string) {
	c, r := rouge.Tokens(cand, nil), rouge.Tokens(ref, nil)
	s.r1 += rouge.N(c, r, 1).F
	s.r2 += rouge.N(c, r, 2).F
	s.rl += rouge.L(c, r).F
}

// TestExtractive_ROUGE scores the extractive summaries of the FRANK pairs
// against their human references beside a lead-3 baseline, and fails only
// when the extractive ROUGE-2 falls below lead-3.
func TestExtractive_ROUGE(t *testing.T) {
	pairs := loadPairs(t)
	e := NewExtractive()
	groups := map[string]*[2]rougeSum{}
	counts := map[string]int{}
	for _, p := range pairs {
		ext := strings.Join(e.Select("", p.Article), " ")
		lead := Sentences(p.Article)
		lead = lead[:min(3, len(lead))]
		for _, g := range []string{"all", strings.SplitN(p.ID, "-", 2)[0]} {
			if groups[g] == nil {
				groups[g] = &[2]rougeSum{}
			}
			groups[g][0].add(ext, p.Reference)
			groups[g][1].add(strings.Join(lead, " "), p.Reference)
			counts[g]++
		}
	}
	for _, g := range []string{"all", "cnndm", "xsum"} {
		s, n := groups[g], float64(counts[g])
		if s == nil {
			continue
		}
		t.Logf("%-5s n=%2d  extractive R1 %.4f R2 %.4f RL %.4f | lead-3 R1 %.4f R2 %.4f RL %.4f", g, counts[g],
			s[0].r1/n, s[0].r2/n, s[0].rl/n, s[1].r1/n, s[1].r2/n, s[1].rl/n)
	}
	all := groups["all"]
	if all[0].r2 < all[1].r2 {
		t.Errorf("extractive ROUGE-2 %.4f is below lead-3 %.4f", all[0].r2/float64(len(pairs)), all[1].r2/float64(len(pairs)))
	}
}
