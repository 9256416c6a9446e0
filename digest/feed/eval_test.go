package feed

import (
	"fmt"
	"github.com/tradedigest/tradedigest/digest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/tradedigest/tradedigest/digest/feed/internal/exteval"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

func readJSONL[T any](tb testing.TB, path string) []T {
	tb.Helper()
	out, err := exteval.ReadJSONL[T](path)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// Floors below which the extraction evaluation fails. They sit a little
// under the figures measured when they were set, so that a regression
// fails while the noise of a changed dependency does not.
const (
	scrapinghubFloor = 0.965 // 4-gram shingle F1, scrapinghub metric
	realworldPass    = 0.85  // share of string-asserting pages passing every string, per part
	realworldBoW     = 0.93  // bag-of-words F1 against Readability's text, per part
)

// evalPages loads the pages of both extraction corpora; a missing corpus
// skips the test.
func evalPages(tb testing.TB) []exteval.Page {
	tb.Helper()
	sh, err := exteval.LoadScrapinghub(testutil.CorpusDir(tb, "article-extraction-scrapinghub"))
	if err != nil {
		tb.Fatal(err)
	}
	rw, err := exteval.LoadRealworld(testutil.CorpusDir(tb, "extraction-realworld"))
	if err != nil {
		tb.Fatal(err)
	}
	return append(sh, rw...)
}

// extractEvalPage extracts p the way the gatherer extracts a fetched page.
func extractEvalPage(p exteval.Page, clean func(string) string) (Page, error) {
	return extractPage(p.HTML, p.URL, "", clean)
}

// TestEval_Extraction scores main-text extraction on every evaluation set
// and prints a table per set, part (development / validation) and language:
//
//	go test -v -run TestEval_Extraction ./digest/feed
//
// It fails only below the floors above.
func TestEval_Extraction(t *testing.T) {
	pages := evalPages(t)
	results := make([]exteval.Result, 0, len(pages))
	var raw []exteval.ShingleScore
	for _, p := range pages {
		page, err := extractEvalPage(p, Clean)
		res := exteval.Score(p, page.Text, err)
		res.Language = page.Language
		results = append(results, res)
		if p.Set == exteval.Scrapinghub {
			if rp, err := extractEvalPage(p, plainParagraphs); err == nil {
				raw = append(raw, exteval.ScrapinghubShingles(p.Reference, rp.Text))
			}
		}
	}
	rows := exteval.Summarise(results)
	var b strings.Builder
	exteval.WriteTable(&b, rows)
	t.Logf("extraction by set, part and language (pages pass: every must / must-not string apart from those in comment areas):\n%s", b.String())
	t.Logf("scrapinghub without Clean: %s", fmtPRF(exteval.CorpusPRF(raw)))
	logScrapinghubBaselines(t)
	if fails := exteval.Failures(results, 0.9); len(fails) > 0 {
		t.Logf("%d pages fail a string or score F1 < 0.9:\n%s", len(fails), strings.Join(fails, "\n"))
	}
	evalFeedTexts(t)
	for _, r := range rows {
		if r.Lang != "all" {
			continue
		}
		if r.Set == exteval.Scrapinghub && r.ScrapinghubPRF.F1 < scrapinghubFloor {
			t.Errorf("scrapinghub F1 %.3f below the floor %.3f", r.ScrapinghubPRF.F1, scrapinghubFloor)
		}
		if r.Set == exteval.Realworld && r.Part != exteval.All {
			if r.PassRate() < realworldPass {
				t.Errorf("realworld %s: %.1f%% of pages pass every string, below the floor %.0f%%", r.Part, 100*r.PassRate(), 100*realworldPass)
			}
			if r.BoW.F1 < realworldBoW {
				t.Errorf("realworld %s: bag-of-words F1 %.3f below the floor %.2f", r.Part, r.BoW.F1, realworldBoW)
			}
		}
	}
}

func fmtPRF(p exteval.PRF) string {
	return fmt.Sprintf("P %.3f R %.3f F1 %.3f", p.P, p.R, p.F1)
}

// logScrapinghubBaselines prints the scores of the reference extractors
// whose outputs the scrapinghub corpus ships.
func logScrapinghubBaselines(t *testing.T) {
	dir := testutil.CorpusDir(t, "article-extraction-scrapinghub")
	type baseline struct {
		ID      string `json:"id"`
		Outputs map[string]struct {
			ArticleBody string `json:"articleBody"`
		} `json:"outputs"`
	}
	type truth struct {
		ID          string `json:"id"`
		ArticleBody string `json:"articleBody"`
	}
	if _, err := os.Stat(filepath.Join(dir, "baseline-outputs.jsonl")); err != nil {
		return
	}
	gold := map[string]string{}
	for _, tp := range readJSONL[truth](t, filepath.Join(dir, "ground-truth.jsonl")) {
		gold[tp.ID] = tp.ArticleBody
	}
	scores := map[string][]exteval.ShingleScore{}
	for _, b := range readJSONL[baseline](t, filepath.Join(dir, "baseline-outputs.jsonl")) {
		for name, o := range b.Outputs {
			scores[name] = append(scores[name], exteval.ScrapinghubShingles(gold[b.ID], o.ArticleBody))
		}
	}
	names := make([]string, 0, len(scores))
	for n := range scores {
		names = append(names, n)
	}
	sort.Strings(names)
	var lines []string
	for _, n := range names {
		lines = append(lines, "  "+n+": "+fmtPRF(exteval.CorpusPRF(scores[n])))
	}
	t.Logf("scrapinghub reference extractors:\n%s", strings.Join(lines, "\n"))
}

// gatheredFeeds calls fn with each news feed of the corpus that parses:
// its file, the feed as parsed and as gathered (items of any length).
func gatheredFeeds(t *testing.T, fn func(file string, fd *gofeed.Feed, res digest.FetchResult)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.CorpusDir(t, "feeds"), "news", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fd, _, err := parseFeed(data, "")
		if err != nil {
			continue
		}
		res, err := NewFeed(f, Options{ShortText: -1}).Fetch(t.Context(), digest.SourceState{})
		if err != nil {
			continue
		}
		fn(f, fd, res)
	}
}

// evalFeedTexts scores what applies to the feeds corpus, whose items have
// text but no reference: the language recorded per item against the
// feed's declared <language> (as gathered, and from the text alone), and
// the lines Clean removes from item texts, printed for inspection.
func evalFeedTexts(t *testing.T) {
	type tally struct{ items, gathered, textOnly int }
	byLang := map[string]*tally{}
	removed := map[string]int{}
	items, changed := 0, 0
	gatheredFeeds(t, func(f string, fd *gofeed.Feed, res digest.FetchResult) {
		declared := primaryLanguage(fd.Language)
		for _, a := range res.Articles {
			if declared != "" {
				tl := byLang[declared]
				if tl == nil {
					tl = &tally{}
					byLang[declared] = tl
				}
				tl.items++
				if a.Language == declared {
					tl.gathered++
				}
				if detectLanguage(a.Title+"\n\n"+a.Text, "") == declared {
					tl.textOnly++
				}
			}
		}
		for _, it := range fd.Items {
			raw := HTMLToText(firstNonEmpty(it.Content, it.Description))
			items++
			cleaned := Clean(raw)
			if cleaned == plainParagraphs(raw) {
				continue
			}
			changed++
			for _, line := range strings.Split(raw, "\n") {
				if line = collapseSpace(line); line != "" && !strings.Contains(cleaned, line) {
					removed[filepath.Base(f)+": "+oneLine(line, 140)]++
				}
			}
		}
	})
	langs := make([]string, 0, len(byLang))
	for l := range byLang {
		langs = append(langs, l)
	}
	sort.Slice(langs, func(i, j int) bool { return byLang[langs[i]].items > byLang[langs[j]].items })
	var b strings.Builder
	var all tally
	for _, l := range langs {
		tl := byLang[l]
		all.items, all.gathered, all.textOnly = all.items+tl.items, all.gathered+tl.gathered, all.textOnly+tl.textOnly
		fmt.Fprintf(&b, "  %s: %d items, language as gathered %d, from the text alone %d\n", l, tl.items, tl.gathered, tl.textOnly)
	}
	t.Logf("feeds: item language against the feed's <language>: %d items, as gathered %d (%.1f%%), from the text alone %d (%.1f%%)\n%s",
		all.items, all.gathered, 100*float64(all.gathered)/float64(max(all.items, 1)), all.textOnly, 100*float64(all.textOnly)/float64(max(all.items, 1)), b.String())
	lines := make([]string, 0, len(removed))
	total := 0
	for l, n := range removed {
		lines = append(lines, fmt.Sprintf("%3d× %s", n, l))
		total += n
	}
	sort.Strings(lines)
	t.Logf("feeds: Clean changed %d of %d item texts; lines removed (%d, %d distinct):\n%s", changed, items, total, len(lines), strings.Join(lines, "\n"))
}

func oneLine(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
