package exteval

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Result is one page's extracted text and its scores.
type Result struct {
	Page    Page
	Text    string
	Err     error
	Strings Strings
	// BoW and Shingle score Text against the page's Reference as
	// extraction-realworld's SOURCE.md says (zero without a reference).
	BoW, Shingle PRF
	// SH is the scrapinghub metric (scrapinghub pages only).
	SH ShingleScore
	// Language is the language the extractor recorded, compared with the
	// page's.
	Language string
}

// Score scores text, extracted from p, against p's truth.
func Score(p Page, text string, err error) Result {
	r := Result{Page: p, Text: text, Err: err, Strings: CheckStrings(p, text)}
	if p.Reference != "" {
		r.BoW = BagOfWords(p.Reference, text)
		r.Shingle = Shingles4(p.Reference, text)
	}
	if p.Set == Scrapinghub {
		r.SH = ScrapinghubShingles(p.Reference, text)
	}
	return r
}

// Row is the tally of one group of pages: a set, a part of it and a
// language ("all" for every language).
type Row struct {
	Set, Part, Lang string
	Pages           int
	// String checks, over the pages that assert strings.
	StringPages, Pass, PassWithComments int
	LangRight                           int // pages whose recorded language is the page's
	StringsOK, StringsTotal             int
	CommentFound, Comment               int
	// Reference scores, macro-averaged over the pages with a reference.
	RefPages       int
	BoW, Shingle   PRF
	bowSum, shSum  PRF
	scrapinghub    []ShingleScore
	ScrapinghubPRF PRF // the scrapinghub corpus metric (scrapinghub rows only)
}

func (r *Row) add(res Result) {
	r.Pages++
	if res.Language == res.Page.Lang {
		r.LangRight++
	}
	if s := res.Strings; s.HasStrings {
		r.StringPages++
		if s.Pass {
			r.Pass++
		}
		if s.PassWithComments {
			r.PassWithComments++
		}
		r.StringsOK += s.StringsOK
		r.StringsTotal += s.StringsTotal
		r.CommentFound += s.CommentFound
		r.Comment += s.Comment
	}
	if res.Page.Reference != "" {
		r.RefPages++
		r.bowSum = PRF{r.bowSum.P + res.BoW.P, r.bowSum.R + res.BoW.R, r.bowSum.F1 + res.BoW.F1}
		r.shSum = PRF{r.shSum.P + res.Shingle.P, r.shSum.R + res.Shingle.R, r.shSum.F1 + res.Shingle.F1}
	}
	if res.Page.Set == Scrapinghub {
		r.scrapinghub = append(r.scrapinghub, res.SH)
	}
}

func (r *Row) finish() {
	if n := float64(r.RefPages); n > 0 {
		r.BoW = PRF{r.bowSum.P / n, r.bowSum.R / n, r.bowSum.F1 / n}
		r.Shingle = PRF{r.shSum.P / n, r.shSum.R / n, r.shSum.F1 / n}
	}
	if len(r.scrapinghub) > 0 {
		r.ScrapinghubPRF = CorpusPRF(r.scrapinghub)
	}
}

// PassRate is the share of string-asserting pages that pass every string
// apart from the comment-area ones.
func (r Row) PassRate() float64 {
	if r.StringPages == 0 {
		return 0
	}
	return float64(r.Pass) / float64(r.StringPages)
}

// Summarise tallies results by set, part and language: for each set a row
// per part with all languages, then a row per part and language, and for a
// split set a row of both parts together.
func Summarise(results []Result) []Row {
	rows := map[[3]string]*Row{}
	get := func(set, part, lang string) *Row {
		k := [3]string{set, part, lang}
		if rows[k] == nil {
			rows[k] = &Row{Set: set, Part: part, Lang: lang}
		}
		return rows[k]
	}
	for _, res := range results {
		p := res.Page
		get(p.Set, p.Part, "all").add(res)
		get(p.Set, p.Part, p.Lang).add(res)
		if p.Part != All {
			get(p.Set, All, "all").add(res)
		}
	}
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		r.finish()
		out = append(out, *r)
	}
	partOrder := map[string]int{All: 0, Dev: 1, Val: 2}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Set != b.Set {
			return a.Set > b.Set // scrapinghub first
		}
		if a.Part != b.Part {
			return partOrder[a.Part] < partOrder[b.Part]
		}
		if (a.Lang == "all") != (b.Lang == "all") {
			return a.Lang == "all"
		}
		if a.Pages != b.Pages {
			return a.Pages > b.Pages
		}
		return a.Lang < b.Lang
	})
	return out
}

// WriteTable prints rows as an aligned table.
func WriteTable(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "%-12s %-4s %-4s %5s | %-17s %-13s %-9s | %-20s %-20s | %-20s | %s\n",
		"set", "part", "lang", "pages", "pages pass", "strings", "comments", "bag-of-words P/R/F1", "4-gram P/R/F1", "scrapinghub P/R/F1", "language")
	for _, r := range rows {
		pass, strs, com := "-", "-", "-"
		if r.StringPages > 0 {
			pass = fmt.Sprintf("%d/%d %.1f%%", r.Pass, r.StringPages, 100*r.PassRate())
			strs = fmt.Sprintf("%d/%d", r.StringsOK, r.StringsTotal)
		}
		if r.Comment > 0 {
			com = fmt.Sprintf("%d/%d", r.CommentFound, r.Comment)
		}
		bow, sh, scr := "-", "-", "-"
		if r.RefPages > 0 {
			bow = fmtPRF(r.BoW)
			sh = fmtPRF(r.Shingle)
		}
		if r.Set == Scrapinghub {
			scr = fmtPRF(r.ScrapinghubPRF)
		}
		fmt.Fprintf(w, "%-12s %-4s %-4s %5d | %-17s %-13s %-9s | %-20s %-20s | %-20s | %d/%d\n",
			r.Set, r.Part, r.Lang, r.Pages, pass, strs, com, bow, sh, scr, r.LangRight, r.Pages)
	}
}

func fmtPRF(p PRF) string {
	return fmt.Sprintf("%.3f/%.3f/%.3f", p.P, p.R, p.F1)
}

// Failures describes the pages of results that fail a string or score
// below minF1 against their reference, worst first, for the log.
func Failures(results []Result, minF1 float64) []string {
	type bad struct {
		score float64
		line  string
	}
	var out []bad
	for _, r := range results {
		var why []string
		if r.Err != nil {
			why = append(why, "error: "+r.Err.Error())
		}
		if len(r.Strings.Missing) > 0 {
			why = append(why, fmt.Sprintf("missing %q", r.Strings.Missing))
		}
		if len(r.Strings.Unwanted) > 0 {
			why = append(why, fmt.Sprintf("unwanted %q", r.Strings.Unwanted))
		}
		score := 1.0
		if r.Page.Reference != "" {
			score = r.BoW.F1
			if r.Page.Set == Scrapinghub {
				score = r.SH.F1()
			}
			if score < minF1 {
				why = append(why, fmt.Sprintf("F1 %.3f (P %.3f R %.3f)", score, r.BoW.P, r.BoW.R))
			}
		}
		if len(why) > 0 {
			out = append(out, bad{score, fmt.Sprintf("%s %s %s [%s]: %s", r.Page.Set, r.Page.Part, r.Page.ID, r.Page.Lang, strings.Join(why, "; "))})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score < out[j].score })
	lines := make([]string, len(out))
	for i, b := range out {
		lines[i] = b.line
	}
	return lines
}
