package rank

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpusDir is ../shared/corpus seen from the module root; this package is
// two levels below it.
const corpusDir = "../../../shared/corpus"

// relevanceCase is one labelled text.
type relevanceCase struct {
	ID, Title, Text string
	Trade           bool
}

// loadRelevance reads testdata/relevance.json and resolves its references.
// It returns the cases and how many were left out because the corpus is
// absent.
func loadRelevance(tb testing.TB) ([]relevanceCase, int) {
	tb.Helper()
	var set struct {
		Items []struct {
			Ref, ID, Title, Text string
			Trade                bool
		}
	}
	readJSON(tb, filepath.Join("testdata", "relevance.json"), &set)
	var clusterSet struct {
		Articles []struct{ ID, Title, Text string }
	}
	readJSON(tb, filepath.Join("..", "cluster", "testdata", "labelled.json"), &clusterSet)
	frank, frankOK := readJSONL(tb, filepath.Join(corpusDir, "summarization-frank", "pairs.jsonl"), "id", "article")
	extraction, extractionOK := readJSONL(tb, filepath.Join(corpusDir, "article-extraction-scrapinghub", "ground-truth.jsonl"), "id", "articleBody")
	var out []relevanceCase
	missing := 0
	for _, it := range set.Items {
		c := relevanceCase{ID: it.ID, Title: it.Title, Text: it.Text, Trade: it.Trade}
		kind, id, _ := strings.Cut(it.Ref, ":")
		switch kind {
		case "":
		case "cluster":
			i := slices.IndexFunc(clusterSet.Articles, func(a struct{ ID, Title, Text string }) bool { return a.ID == id })
			if i < 0 {
				tb.Fatalf("relevance set: %s not in the cluster set", it.Ref)
			}
			c.ID, c.Title, c.Text = it.Ref, clusterSet.Articles[i].Title, clusterSet.Articles[i].Text
		case "frank", "scrapinghub":
			texts, ok := frank, frankOK
			if kind == "scrapinghub" {
				texts, ok = extraction, extractionOK
			}
			if !ok {
				missing++
				continue
			}
			text, ok := texts[id]
			if !ok {
				tb.Fatalf("relevance set: %s not in the corpus", it.Ref)
			}
			c.ID, c.Text = it.Ref, text
		default:
			tb.Fatalf("relevance set: unknown reference %q", it.Ref)
		}
		out = append(out, c)
	}
	return out, missing
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		tb.Fatalf("parse %s: %v", path, err)
	}
}

// readJSONL returns the textField of each line of a JSON-lines corpus file
// by its idField; false when the corpus is absent.
func readJSONL(tb testing.TB, path, idField, textField string) (map[string]string, bool) {
	tb.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		tb.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			tb.Fatalf("parse %s: %v", path, err)
		}
		id, _ := rec[idField].(string)
		text, _ := rec[textField].(string)
		out[id] = text
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return out, true
}

// Floors for the relevance set, below the figures measured when the
// defaults were chosen (see the commit message and the report).
const (
	floorRelevancePrecision = 0.90
	floorRelevanceRecall    = 0.90
)

// TestEvaluateRelevance prints precision and recall of "keep this story"
// on the labelled relevance set (go test -v -run TestEvaluateRelevance
// ./digest/rank), and every misjudged text with its scores.
func TestEvaluateRelevance(t *testing.T) {
	cases, missing := loadRelevance(t)
	if missing > 0 {
		t.Logf("%d corpus items left out: %s is absent", missing, corpusDir)
	}
	r := New(Config{})
	var tp, fp, fn, tn int
	minPos, maxNeg := 1.0, 0.0
	for _, c := range cases {
		a := r.Assess(c.Title, c.Text)
		kept := a.Relevance >= r.threshold
		switch {
		case kept && c.Trade:
			tp++
		case kept && !c.Trade:
			fp++
		case !kept && c.Trade:
			fn++
		default:
			tn++
		}
		if c.Trade {
			minPos = min(minPos, a.Relevance)
		} else {
			maxNeg = max(maxNeg, a.Relevance)
		}
		if kept != c.Trade {
			t.Logf("misjudged %s (trade=%v): relevance %.3f topics %v scores %v", c.ID, c.Trade, a.Relevance, a.Topics, a.TopicScores)
		}
	}
	p, rc := ratio(tp, tp+fp), ratio(tp, tp+fn)
	t.Logf("relevance set: %d texts (%d trade); threshold %.2f", len(cases), tp+fn, r.threshold)
	t.Logf("precision %.3f  recall %.3f  (tp %d, fp %d, fn %d, tn %d)", p, rc, tp, fp, fn, tn)
	t.Logf("lowest relevance of a trade text %.3f, highest of a non-trade text %.3f", minPos, maxNeg)
	if p < floorRelevancePrecision || rc < floorRelevanceRecall {
		t.Errorf("relevance below floors: precision %.3f (floor %.2f), recall %.3f (floor %.2f)", p, floorRelevancePrecision, rc, floorRelevanceRecall)
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestRelevanceDistribution logs every text's relevance, sorted, to tune
// the threshold (go test -v -run TestRelevanceDistribution).
func TestRelevanceDistribution(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("prints only with -v")
	}
	cases, _ := loadRelevance(t)
	r := New(Config{})
	type row struct {
		rel   float64
		trade bool
		id    string
		top   []string
	}
	var rows []row
	for _, c := range cases {
		a := r.Assess(c.Title, c.Text)
		rows = append(rows, row{a.Relevance, c.Trade, c.ID, a.Topics})
	}
	slices.SortFunc(rows, func(a, b row) int {
		if a.rel < b.rel {
			return -1
		}
		if a.rel > b.rel {
			return 1
		}
		return 0
	})
	for _, x := range rows {
		t.Logf("%.3f trade=%-5v %-50.50s %v", x.rel, x.trade, x.id, x.top)
	}
}
