package summarize_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/internal/testutil"
	"github.com/tradedigest/tradedigest/summarize"
	"github.com/tradedigest/tradedigest/summarize/internal/rouge"
)

// headlinePage is one page whose real headline is known, with its text
// minus that headline.
type headlinePage struct {
	ID, Lang, Title, Body string
}

// split puts a page in the development ("dev") or validation ("val") part
// by a hash of its id, fixed before any tuning.
func (p headlinePage) split() string {
	if sha256.Sum256([]byte(p.ID))[0]&1 == 0 {
		return "dev"
	}
	return "val"
}

// half puts a development page in one of two halves ("dev-a", "dev-b"), by
// another bit of the hash, so that a change can be seen to help both
// halves rather than a few pages of one.
func (p headlinePage) half() string {
	if sha256.Sum256([]byte(p.ID))[1]&1 == 0 {
		return "dev-a"
	}
	return "dev-b"
}

// loadHeadlinePages reads the two extraction corpora: the Scrapinghub pages
// (title from og:title, else <title>; text the annotated article body) and
// the real-world pages (title from truth.json, which holds og:title or
// <title>; text Readability's expected text, else what the gatherer
// extracts). Languages written without spaces between words are left out:
// ROUGE-1 over whitespace words means nothing there.
func loadHeadlinePages(tb testing.TB) []headlinePage {
	tb.Helper()
	var pages []headlinePage
	dir := testutil.CorpusDir(tb, "article-extraction-scrapinghub")
	f, err := os.Open(filepath.Join(dir, "ground-truth.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var g struct {
			ID       string `json:"id"`
			HTMLFile string `json:"html_file"`
			Body     string `json:"articleBody"`
		}
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			tb.Fatalf("ground-truth.jsonl: %v", err)
		}
		title := pageTitle(tb, filepath.Join(dir, g.HTMLFile))
		pages = append(pages, headlinePage{ID: "scrapinghub/" + g.ID[:12], Lang: "en", Title: title, Body: g.Body})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}

	dir = testutil.CorpusDir(tb, "extraction-realworld")
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name(), "truth.json"))
		if err != nil {
			continue // LICENSES and the like
		}
		var tr struct {
			Lang     string `json:"lang"`
			Title    string `json:"title"`
			Expected string `json:"expected_text"`
		}
		if err := json.Unmarshal(raw, &tr); err != nil {
			tb.Fatalf("%s/truth.json: %v", e.Name(), err)
		}
		switch tr.Lang {
		case "zh", "ja":
			continue
		}
		body := tr.Expected
		if body == "" {
			p, err := feed.Extract(context.Background(), filepath.Join(dir, e.Name(), "source.html"), feed.Options{})
			if err != nil {
				tb.Logf("%s: %v (left out)", e.Name(), err)
				continue
			}
			body = p.Text
		}
		pages = append(pages, headlinePage{ID: "realworld/" + e.Name(), Lang: tr.Lang, Title: tr.Title, Body: body})
	}
	for i := range pages {
		p := &pages[i]
		p.Title = realHeadline(p.Title)
		p.Body = withoutHeadline(p.Body, p.Title)
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].ID < pages[j].ID })
	return pages
}

// loadFeedItems reads the items of the feeds in ../shared/corpus/feeds/news
// that have a title and at least minFeedItemWords words of text (the
// longer of description and content): a second set of texts whose real
// headline is known, outside the development/validation split, to check
// that a change which helps the development pages does not hurt texts of
// another kind (teasers and blog posts rather than articles).
func loadFeedItems(tb testing.TB) []headlinePage {
	tb.Helper()
	dir := filepath.Join(testutil.CorpusDir(tb, "feeds"), "news")
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var items []headlinePage
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		f, err := feed.ParseFeed(raw, "")
		if err != nil {
			continue // the manifest notes feeds that do not parse
		}
		for i, it := range f.Items {
			text := feed.HTMLToText(it.Content)
			if d := feed.HTMLToText(it.Description); len(d) > len(text) {
				text = d
			}
			title := realHeadline(it.Title)
			if title == "" || len(strings.Fields(text)) < minFeedItemWords {
				continue
			}
			items = append(items, headlinePage{ID: fmt.Sprintf("feeds/%s#%d", e.Name(), i), Title: title, Body: withoutHeadline(text, title)})
		}
	}
	return items
}

// minFeedItemWords: a shorter item text is a teaser line, not a text to
// derive a headline from.
const minFeedItemWords = 25

// pageTitle returns the og:title of a gzipped page, else its <title>.
func pageTitle(tb testing.TB, path string) string {
	tb.Helper()
	doc, err := xhtml.Parse(bytes.NewReader(testutil.ReadGzip(tb, path)))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	var og, title string
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.Meta:
				var prop, content string
				for _, a := range n.Attr {
					switch a.Key {
					case "property", "name":
						prop = a.Val
					case "content":
						content = a.Val
					}
				}
				if prop == "og:title" && og == "" {
					og = content
				}
			case atom.Title:
				if title == "" && n.FirstChild != nil {
					title = n.FirstChild.Data
				}
			case atom.Svg:
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if strings.TrimSpace(og) != "" {
		return og
	}
	return title
}

// realHeadline drops the site name a page title carries ("… - Reuters",
// "Outlet | …"): of the parts between such separators, the longest.
func realHeadline(t string) string {
	t = strings.Join(strings.Fields(t), " ")
	best := t
	for _, sep := range []string{" | ", " - ", " – ", " — ", " » ", " › ", " • ", " _ ", " :: "} {
		if !strings.Contains(best, sep) {
			continue
		}
		parts := strings.Split(best, sep)
		best = parts[0]
		for _, p := range parts[1:] {
			if len(p) > len(best) {
				best = p
			}
		}
	}
	return strings.TrimSpace(best)
}

// withoutHeadline returns the body as paragraphs separated by blank lines,
// without any of its first paragraphs that repeats the headline.
func withoutHeadline(body, headline string) string {
	norm := func(s string) string { return strings.Join(rouge.Tokens(s, nil), " ") }
	h := norm(headline)
	var out []string
	for i, p := range strings.Split(strings.ReplaceAll(body, "\r", ""), "\n") {
		p = strings.TrimSpace(p)
		if p == "" || (i < 5 && h != "" && norm(p) == h) {
			continue
		}
		out = append(out, p)
	}
	return strings.Join(out, "\n\n")
}

// firstWords is the baseline: the first n words of the text.
func firstWords(text string, n int) string {
	w := strings.Fields(text)
	return strings.Join(w[:min(n, len(w))], " ")
}

type headlineScore struct {
	n            int
	derived, bl  float64
	badDerived   int
	badBaseline  int
	longDerived  int
	emptyDerived int
	// deltas holds each text's derived minus baseline ROUGE-1.
	deltas []float64
}

func (s *headlineScore) add(ref, derived, baseline string) {
	r := rouge.Tokens(ref, nil)
	d := rouge.N(rouge.Tokens(derived, nil), r, 1).F
	b := rouge.N(rouge.Tokens(baseline, nil), r, 1).F
	s.n++
	s.derived += d
	s.bl += b
	s.deltas = append(s.deltas, d-b)
	if summarize.EndsBadly(derived) {
		s.badDerived++
	}
	if summarize.EndsBadly(baseline) {
		s.badBaseline++
	}
	if len(strings.Fields(derived)) > summarize.MaxDerivedHeadlineWords {
		s.longDerived++
	}
	if derived == "" {
		s.emptyDerived++
	}
}

// spread describes how the gain over the baseline is spread over the
// texts: the standard error of the mean Δ, how many texts gain and lose,
// and how much of the net gain the ten largest gains make. A gain within
// two standard errors, or one that a few texts make, says little about
// texts not yet seen: with the development pages' spread (sd of Δ ≈ 0.15)
// a part of ~90 pages has a standard error of ≈ 0.016, and rounds that
// took development from 0.261 to 0.280 left validation at 0.200–0.210.
func (s *headlineScore) spread() string {
	if s.n < 2 {
		return ""
	}
	n := float64(s.n)
	mean := (s.derived - s.bl) / n
	var ss float64
	won, lost := 0, 0
	for _, d := range s.deltas {
		ss += (d - mean) * (d - mean)
		switch {
		case d > 1e-9:
			won++
		case d < -1e-9:
			lost++
		}
	}
	top := slices.Clone(s.deltas)
	slices.Sort(top)
	slices.Reverse(top)
	sum, topSum := 0.0, 0.0
	for i, d := range top {
		sum += d
		if i < 10 {
			topSum += d
		}
	}
	share := ""
	if sum > 0 {
		share = fmt.Sprintf(", the ten largest gains %.0f%% of the net gain", 100*topSum/sum)
	}
	return fmt.Sprintf("Δ %+.4f ± %.4f (se) | gain %d, lose %d, tie %d%s",
		mean, math.Sqrt(ss/(n-1)/n), won, lost, s.n-won-lost, share)
}

// group names the corpus and language of a page ("realworld/de"), to see
// whether a development gain holds across outlets and languages.
func (p headlinePage) group() string {
	corpus, _, _ := strings.Cut(p.ID, "/")
	return corpus + "/" + p.Lang
}

// headlineSources name how a derived headline was made, for the
// breakdown of the development pages' and the feed items' gains: the
// text's first sentence, the lead when furniture or a teaser stood before
// it, a later sentence than the lead (chosen as more topical; "vs its
// lead" is those headlines' gain over the lead's headline rather than
// over the baseline), or a line of the text taken as its title
// (feed.ParseText). A mechanism whose gain on the development pages is
// far above its gain on the feed items is likely fitted to the
// development pages: validation's gain has been close to the feed items'
// (measured 7 December 2026: the lead's compression gained development
// +0.039, feed items +0.014, validation +0.010; the later sentences
// development +0.016, feed items +0.004, validation -0.0005).
var headlineSources = []string{"lead", "lead after skipped lines", "later sentence", "later sentence vs its lead", "title line"}

// addBySource adds a text's derived headline (in a, what feed.ParseText
// made of p.Body) to the score of its source (see headlineSources).
func addBySource(scores map[string]*headlineScore, p headlinePage, a digest.Article, baseline string) {
	sentence, lead := summarize.LeadHeadline(a.Text, a.Language)
	src := "lead"
	switch {
	case a.Title != digest.ClipTitle(summarize.HeadlineIn(a.Text, a.Language)):
		src = "title line"
	case a.Title != digest.ClipTitle(lead):
		src = "later sentence"
	case firstWords(sentence, 3) != firstWords(p.Body, 3):
		src = "lead after skipped lines"
	}
	add := func(key, against string) {
		if scores[key] == nil {
			scores[key] = &headlineScore{}
		}
		scores[key].add(p.Title, a.Title, against)
	}
	add(src, baseline)
	if src == "later sentence" {
		add(src+" vs its lead", lead)
	}
}

// TestHeadline_Eval derives a headline for every page whose real headline
// is known, as a plain-text article without a title line would get one
// (feed.ParseText), and scores it with ROUGE-1 F1 against the real headline
// beside the baseline of the text's first 12 words. It prints the
// development and validation parts separately (split by a hash of the page
// id) and whether each meets the goal of the baseline + 0.05. It fails when
// any derived headline is longer than the limit or ends on a function word
// or an unclosed quote or bracket, and when the derived headlines fall to
// the baseline (see the floors below). It also prints the two halves of the
// development part, to tell a robust change from one that helps a few
// pages of one half, the development pages by corpus and language, the
// spread of each part's gain (see headlineScore.spread), the items of the
// feeds corpus (loadFeedItems), a check on texts of another kind that is
// not part of the goal (it fails there too when a headline is too long or
// ends badly), and the development pages' and feed items' gains by how
// the headline was made (see headlineSources).
// DIGEST_HEADLINE_EXAMPLES=N prints the first N development pages side by
// side (val:N the validation pages, for a note, not for tuning).
// DIGEST_HEADLINE_DEV_ONLY=1 prints the development figures alone (and the
// feed items'), not validation's nor the total that holds it: for tuning,
// where validation's aggregate is to be read once per landing.
//
//	go test -v -run TestHeadline_Eval ./summarize
func TestHeadline_Eval(t *testing.T) {
	pages := loadHeadlinePages(t)
	scores := map[string]*headlineScore{"dev": {}, "dev-a": {}, "dev-b": {}, "val": {}, "all": {}}
	exSplit, exN, ok := strings.Cut(os.Getenv("DIGEST_HEADLINE_EXAMPLES"), ":")
	if !ok {
		// Development pages unless validation is asked for by name: a
		// tuner reads examples, and must not read validation's.
		exSplit, exN = "dev", exSplit
	}
	examples, _ := strconv.Atoi(exN)
	devOnly := os.Getenv("DIGEST_HEADLINE_DEV_ONLY") != ""
	// Development pages by corpus and language; validation's are not
	// broken down, as only its aggregate is to be read.
	groups := map[string]*headlineScore{}
	devSources, rssSources := map[string]*headlineScore{}, map[string]*headlineScore{}
	shown := 0
	for _, p := range pages {
		a := feed.ParseText(p.Body)
		derived := a.Title
		baseline := firstWords(p.Body, 12)
		keys := []string{p.split(), "all"}
		if p.split() == "dev" {
			keys = append(keys, p.half())
			if groups[p.group()] == nil {
				groups[p.group()] = &headlineScore{}
			}
			groups[p.group()].add(p.Title, derived, baseline)
			addBySource(devSources, p, a, baseline)
		}
		for _, k := range keys {
			scores[k].add(p.Title, derived, baseline)
		}
		if summarize.EndsBadly(derived) || len(strings.Fields(derived)) > summarize.MaxDerivedHeadlineWords {
			if devOnly && p.split() != "dev" {
				t.Errorf("a validation page's derived headline is too long or ends badly")
			} else {
				t.Errorf("%s: derived headline %q is too long or ends badly", p.ID, derived)
			}
		}
		if shown < examples && p.split() == exSplit {
			shown++
			fmt.Printf("%s [%s, %s]\n  real:     %s\n  derived:  %s\n  baseline: %s\n", p.ID, p.Lang, p.split(), p.Title, derived, baseline)
		}
	}
	rss := &headlineScore{}
	for _, p := range loadFeedItems(t) {
		a := feed.ParseText(p.Body)
		derived := a.Title
		rss.add(p.Title, derived, firstWords(p.Body, 12))
		addBySource(rssSources, p, a, firstWords(p.Body, 12))
		if summarize.EndsBadly(derived) || len(strings.Fields(derived)) > summarize.MaxDerivedHeadlineWords {
			t.Errorf("%s: derived headline %q is too long or ends badly", p.ID, derived)
		}
	}
	t.Logf("rss   n=%3d  ROUGE-1 F1 derived %.4f  baseline %.4f  %s (feed items outside the split, a check of another kind of text; not part of the goal)",
		rss.n, rss.derived/float64(rss.n), rss.bl/float64(rss.n), rss.spread())
	for _, k := range []string{"dev-a", "dev-b"} {
		s := scores[k]
		n := float64(s.n)
		t.Logf("%-5s n=%3d  ROUGE-1 F1 derived %.4f  baseline %.4f  %s", k, s.n, s.derived/n, s.bl/n, s.spread())
	}
	for _, set := range []struct {
		name    string
		sources map[string]*headlineScore
	}{{"dev", devSources}, {"rss", rssSources}} {
		line := ""
		for _, src := range headlineSources {
			if s := set.sources[src]; s != nil {
				line += fmt.Sprintf(" | %s n=%d Δ %+.4f", src, s.n, (s.derived-s.bl)/float64(s.n))
			}
		}
		t.Logf("%s by source%s", set.name, line)
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		s := groups[g]
		n := float64(s.n)
		t.Logf("dev %-17s n=%3d  ROUGE-1 F1 derived %.4f  baseline %.4f  Δ %+.4f", g, s.n, s.derived/n, s.bl/n, (s.derived-s.bl)/n)
	}
	splits := []string{"dev", "val", "all"}
	if devOnly {
		splits = splits[:1]
	}
	for _, k := range splits {
		s := scores[k]
		n := float64(s.n)
		t.Logf("%-3s n=%3d  ROUGE-1 F1 derived %.4f  baseline(first 12 words) %.4f  Δ %+.4f | ending badly: derived %d, baseline %d | over %d words: %d | empty: %d",
			k, s.n, s.derived/n, s.bl/n, (s.derived-s.bl)/n, s.badDerived, s.badBaseline, summarize.MaxDerivedHeadlineWords, s.longDerived, s.emptyDerived)
		goal := "met"
		if s.derived/n < s.bl/n+0.05 {
			goal = "NOT met"
		}
		t.Logf("%-3s goal ROUGE-1 ≥ baseline + 0.05: %s | %s", k, goal, s.spread())
		// Regression floors, below the goal: the writer must beat the
		// baseline over all pages and stay within 0.01 of it on each part.
		if k == "all" && s.derived/n < s.bl/n+0.01 || s.derived/n < s.bl/n-0.01 {
			t.Errorf("%s: derived ROUGE-1 %.4f fell to the baseline %.4f", k, s.derived/n, s.bl/n)
		}
	}
}
