package feed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"

	"github.com/tradedigest/tradedigest/internal/testutil"
)

type truthPage struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	HTMLFile    string `json:"html_file"`
	ArticleBody string `json:"articleBody"`
}

func readJSONL[T any](tb testing.TB, path string) []T {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func gunzipFile(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

var wordRE = regexp.MustCompile(`[\p{L}\p{N}_\p{Mn}\p{Mc}\p{Pc}]+`)

// shingleCounts tokenises like Python's \w+ and counts 4-token shingles; a
// text of fewer than 4 tokens gives one shorter shingle.
func shingleCounts(s string) map[string]int {
	toks := wordRE.FindAllString(s, -1)
	out := map[string]int{}
	if len(toks) == 0 {
		return out
	}
	if len(toks) < 4 {
		out[joinTokens(toks)]++
		return out
	}
	for i := 0; i+4 <= len(toks); i++ {
		out[joinTokens(toks[i:i+4])]++
	}
	return out
}

func joinTokens(t []string) string {
	var b bytes.Buffer
	for i, s := range t {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(s)
	}
	return b.String()
}

// pageScore is one page's normalised tp, fp, fn as SOURCE.md defines them.
type pageScore struct{ tp, fp, fn float64 }

func scorePage(truth, pred string) pageScore {
	t, p := shingleCounts(truth), shingleCounts(pred)
	var s pageScore
	for k, ct := range t {
		cp := p[k]
		s.tp += float64(min(ct, cp))
		s.fn += float64(max(0, ct-cp))
	}
	for k, cp := range p {
		s.fp += float64(max(0, cp-t[k]))
	}
	if sum := s.tp + s.fp + s.fn; sum > 0 {
		s.tp, s.fp, s.fn = s.tp/sum, s.fp/sum, s.fn/sum
	}
	return s
}

// corpusPRF averages per-page precision and recall and takes F1 of the
// means.
func corpusPRF(scores []pageScore) (p, r, f1 float64) {
	var np, nr int
	for _, s := range scores {
		if s.fp == 0 && s.fn == 0 {
			p++
			r++
			np++
			nr++
			continue
		}
		if s.tp+s.fp > 0 {
			p += s.tp / (s.tp + s.fp)
			np++
		}
		if s.tp+s.fn > 0 {
			r += s.tp / (s.tp + s.fn)
			nr++
		}
	}
	if np > 0 {
		p /= float64(np)
	}
	if nr > 0 {
		r /= float64(nr)
	}
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return p, r, f1
}

// extractionFloor is the mean 4-gram-shingle F1 below which the evaluation
// fails.
const extractionFloor = 0.96

func TestEval_Extraction(t *testing.T) {
	dir := testutil.CorpusDir(t, "article-extraction-scrapinghub")
	truth := readJSONL[truthPage](t, filepath.Join(dir, "ground-truth.jsonl"))
	type baseline struct {
		ID      string `json:"id"`
		Outputs map[string]struct {
			ArticleBody string `json:"articleBody"`
		} `json:"outputs"`
	}
	bases := readJSONL[baseline](t, filepath.Join(dir, "baseline-outputs.jsonl"))
	baseByID := map[string]baseline{}
	for _, b := range bases {
		baseByID[b.ID] = b
	}

	var ours, raw []pageScore
	baseScores := map[string][]pageScore{}
	type worst struct {
		id  string
		url string
		s   pageScore
	}
	var worstPages []worst
	for _, tp := range truth {
		html := gunzipFile(t, filepath.Join(dir, tp.HTMLFile))
		page, err := extractHTML(html, tp.URL, "text/html; charset=utf-8")
		if err != nil {
			t.Logf("%s: %v", tp.ID[:8], err)
		}
		s := scorePage(tp.ArticleBody, page.Text)
		ours = append(ours, s)
		worstPages = append(worstPages, worst{tp.ID[:8], tp.URL, s})
		if b, ok := baseByID[tp.ID]; ok {
			for name, o := range b.Outputs {
				baseScores[name] = append(baseScores[name], scorePage(tp.ArticleBody, o.ArticleBody))
			}
		}
		if rawPage, err := extractPage(html, tp.URL, "text/html; charset=utf-8", plainParagraphs); err == nil {
			raw = append(raw, scorePage(tp.ArticleBody, rawPage.Text))
		}
	}
	p, r, f1 := corpusPRF(ours)
	t.Logf("ours (go-trafilatura + Clean): P=%.3f R=%.3f F1=%.3f over %d pages", p, r, f1, len(ours))
	rp, rr, rf := corpusPRF(raw)
	t.Logf("without Clean:                 P=%.3f R=%.3f F1=%.3f", rp, rr, rf)
	names := make([]string, 0, len(baseScores))
	for n := range baseScores {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		bp, br, bf := corpusPRF(baseScores[n])
		t.Logf("baseline %-16s P=%.3f R=%.3f F1=%.3f", n, bp, br, bf)
	}
	sort.Slice(worstPages, func(i, j int) bool {
		fi := worstPages[i].s.tp / (worstPages[i].s.tp + (worstPages[i].s.fp+worstPages[i].s.fn)/2 + 1e-9)
		fj := worstPages[j].s.tp / (worstPages[j].s.tp + (worstPages[j].s.fp+worstPages[j].s.fn)/2 + 1e-9)
		return fi < fj
	})
	for _, w := range worstPages[:min(8, len(worstPages))] {
		t.Logf("weak page %s tp=%.2f fp=%.2f fn=%.2f %s", w.id, w.s.tp, w.s.fp, w.s.fn, w.url)
	}
	if f1 < extractionFloor {
		t.Errorf("extraction F1 %.3f below the floor %.2f", f1, extractionFloor)
	}
}
