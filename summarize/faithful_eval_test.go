package summarize_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/tradedigest/tradedigest/internal/testutil"
	"github.com/tradedigest/tradedigest/summarize"
)

// judgedSummary is one system summary of the FRANK benchmark with the
// human verdict on its factuality.
type judgedSummary struct {
	ID, Model, Summary string
	Factuality         float64
	Article            string
}

// split puts a summary in the development ("dev") or validation ("val")
// part by a hash of its article's id, fixed before any tuning, so the
// summaries of one article never sit in both parts.
func (j judgedSummary) split() string {
	if sha256.Sum256([]byte(j.ID))[0]&1 == 0 {
		return "dev"
	}
	return "val"
}

func loadJudged(tb testing.TB) []judgedSummary {
	tb.Helper()
	dir := testutil.CorpusDir(tb, "summarization-frank")
	articles := map[string]string{}
	readLines(tb, filepath.Join(dir, "pairs.jsonl"), func(line []byte) {
		var p struct{ ID, Article string }
		if err := json.Unmarshal(line, &p); err != nil {
			tb.Fatalf("pairs.jsonl: %v", err)
		}
		articles[p.ID] = p.Article
	})
	var out []judgedSummary
	n := 0
	readLines(tb, filepath.Join(dir, "system-summaries-human-factuality.jsonl"), func(line []byte) {
		n++
		var j struct {
			ID, Model, Summary string
			Factuality         float64 `json:"human_factuality"`
		}
		if err := json.Unmarshal(line, &j); err != nil {
			tb.Fatalf("system-summaries-human-factuality.jsonl line %d: %v", n, err)
		}
		a, ok := articles[j.ID]
		if !ok {
			tb.Fatalf("system-summaries-human-factuality.jsonl line %d: no article %s", n, j.ID)
		}
		out = append(out, judgedSummary{ID: j.ID, Model: j.Model, Summary: detokenise(j.Summary), Factuality: j.Factuality, Article: a})
	})
	return out
}

// detokenise undoes the benchmark's tokenisation, so the summaries read
// as a model's reply would: \' for ', # for £ (the XSum placeholder, as
// the corpus README says), -LRB-/-RRB- for brackets, “ and ” for quotes,
// clitics joined again. UNK, the unknown-word placeholder of the s2s
// model, is dropped: it names nothing.
func detokenise(s string) string {
	// \' first, on its own: a replacer does not look again at what it
	// wrote, so \'\' would stay '' instead of becoming a closing quote.
	s = strings.ReplaceAll(s, `\'`, "'")
	return strings.NewReplacer("#", "£", "-LRB- ", "(", " -RRB-", ")", "-LRB-", "(", "-RRB-", ")",
		"`` ", `"`, "``", `"`, " ''", `"`, "''", `"`, " 's ", "'s ", " n't", "n't", "UNK", "",
		"$ ", "$", "£ ", "£", "€ ", "€", " %", "%", " ,", ",", " .", ".").Replace(s)
}

func readLines(tb testing.TB, path string, f func([]byte)) {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		f(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
}

// naiveUnfaithful is the baseline: a summary is unfaithful when any
// capitalised word of it is absent from the source (case-insensitive).
func naiveUnfaithful(source, summary string) bool {
	src := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(source), notLetterOrDigit) {
		src[w] = true
	}
	for _, w := range strings.FieldsFunc(summary, notLetterOrDigit) {
		if unicode.IsUpper([]rune(w)[0]) && !src[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

func notLetterOrDigit(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

type confusion struct{ tp, fp, fn, tn int }

func (c *confusion) add(flagged, unfaithful bool) {
	switch {
	case flagged && unfaithful:
		c.tp++
	case flagged:
		c.fp++
	case unfaithful:
		c.fn++
	default:
		c.tn++
	}
}

func (c confusion) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c confusion) recall() float64    { return ratio(c.tp, c.tp+c.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// TestUnsupported_Eval measures the faithfulness guard on the FRANK system
// summaries judged by people: factuality 1.0 is faithful, below 0.5
// unfaithful, the rest is left out. It reports precision and recall of
// the "unfaithful" flag on both parts beside the naive baseline. The rules
// were tuned on the development part only.
//
// DIGEST_FAITHFUL_EXAMPLES=dev prints every judged summary of that part
// with what the guard found unsupported.
func TestUnsupported_Eval(t *testing.T) {
	all := loadJudged(t)
	show := os.Getenv("DIGEST_FAITHFUL_EXAMPLES")
	guard := map[string]*confusion{"dev": {}, "val": {}}
	facts := map[string]*confusion{"dev": {}, "val": {}}
	naive := map[string]*confusion{"dev": {}, "val": {}}
	left := map[string]int{}
	for _, j := range all {
		part := j.split()
		if j.Factuality < 1 && j.Factuality >= 0.5 {
			left[part]++
			continue
		}
		unfaithful := j.Factuality < 0.5
		facts[part].add(len(summarize.Unsupported(j.Article, j.Summary)) > 0, unfaithful)
		bad := summarize.Unfaithful(j.Article, "en", "en", j.Summary)
		guard[part].add(len(bad) > 0, unfaithful)
		naive[part].add(naiveUnfaithful(j.Article, j.Summary), unfaithful)
		if show == part {
			verdict := "faithful  "
			if unfaithful {
				verdict = "UNFAITHFUL"
			}
			t.Logf("%s %-8s %s flagged=%q\n    %s", verdict, j.Model, j.ID, bad, j.Summary)
		}
	}
	for _, part := range []string{"dev", "val"} {
		g, n, f := guard[part], naive[part], facts[part]
		t.Logf("%s: %d judged (%d unfaithful), %d left out | guard P %.3f R %.3f (tp %d fp %d fn %d) | naive P %.3f R %.3f (tp %d fp %d fn %d)",
			part, g.tp+g.fp+g.fn+g.tn, g.tp+g.fn, left[part], g.precision(), g.recall(), g.tp, g.fp, g.fn,
			n.precision(), n.recall(), n.tp, n.fp, n.fn)
		t.Logf("%s: figures and names alone (without the repetition check) P %.3f R %.3f (tp %d fp %d fn %d)",
			part, f.precision(), f.recall(), f.tp, f.fp, f.fn)
		goal := "met"
		if g.precision() < 0.85 || g.recall() < 0.5 {
			goal = "NOT met"
		}
		t.Logf("%s: goal precision ≥ 0.85 and recall ≥ 0.5: %s", part, goal)
	}
	// The development part is what the rules were tuned on: falling below
	// the goals there is a regression.
	if g := guard["dev"]; g.precision() < 0.85 || g.recall() < 0.5 {
		t.Errorf("development: precision %.3f recall %.3f, want ≥ 0.85 and ≥ 0.5", g.precision(), g.recall())
	}
}

// BenchmarkUnsupported checks one FRANK summary against its article, the
// cost the guard adds to each LLM reply.
func BenchmarkUnsupported(b *testing.B) {
	all := loadJudged(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		j := all[i%len(all)]
		summarize.Unsupported(j.Article, j.Summary)
	}
}
