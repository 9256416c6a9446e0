package feed

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/testutil"
	xhtml "golang.org/x/net/html"
)

// langText is a text whose language is detected as the gatherer detects
// it: its title and text, what its source declares and, where the corpus
// says, its language.
type langText struct {
	text, declared, label string
}

// langTexts returns the corpora's texts: the extraction pages as
// extracted (labelled), the summarisation articles (English) and every
// item of the news feeds as gathered (unlabelled; their feeds declare a
// language, which is not the same thing).
func langTexts(t *testing.T) []langText {
	t.Helper()
	var out []langText
	for _, p := range evalPages(t) {
		page, err := extractEvalPage(p, Clean)
		if err != nil {
			continue
		}
		doc, err := xhtml.Parse(bytes.NewReader(p.HTML))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, langText{page.Title + "\n\n" + page.Text, declaredLanguage(doc), p.Lang})
	}
	for _, p := range readJSONL[struct{ Article string }](t, filepath.Join(testutil.CorpusDir(t, "summarization-frank"), "pairs.jsonl")) {
		out = append(out, langText{p.Article, "", "en"})
	}
	gatheredFeeds(t, func(_ string, fd *gofeed.Feed, res digest.FetchResult) {
		for _, a := range res.Articles {
			out = append(out, langText{a.Title + "\n\n" + a.Text, fd.Language, ""})
		}
	})
	return out
}

// TestDetectLanguage_Sample checks that reading a text's first langSample
// runes (langPrefix) gives the language the whole text gives for at least
// 99.5 % of the corpora's texts, and the labelled language as often as the
// whole text does. With -v it prints the figures for other lengths too
// (and for the first 600 bytes, what was read before).
func TestDetectLanguage_Sample(t *testing.T) {
	texts := langTexts(t)
	whole := make([]string, len(texts))
	wholeRight, labelled, long := 0, 0, 0
	for i, x := range texts {
		whole[i] = detectSample(x.text, x.declared)
		if x.label != "" {
			labelled++
			if whole[i] == x.label {
				wholeRight++
			}
		}
		if utf8.RuneCountInString(x.text) > langSample {
			long++
		}
	}
	score := func(sample func(string) string) (same, right int, differ []string) {
		for i, x := range texts {
			got := detectSample(sample(x.text), x.declared)
			if got == whole[i] {
				same++
			} else {
				differ = append(differ, fmt.Sprintf("%s, whole text %s: %.60q", got, whole[i], x.text))
			}
			if x.label != "" && got == x.label {
				right++
			}
		}
		return same, right, differ
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d texts (%d longer than %d runes), %d labelled; the whole text gives the label for %d\n", len(texts), long, langSample, labelled, wholeRight)
	row := func(name string, sample func(string) string) {
		same, right, _ := score(sample)
		fmt.Fprintf(&b, "  %-16s same as the whole text %5.1f %% (%d), labelled right %d\n", name, 100*float64(same)/float64(len(texts)), len(texts)-same, right)
	}
	row("first 600 bytes", func(s string) string {
		if len(s) <= 600 {
			return s
		}
		cut := 600
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut]
	})
	for _, n := range []int{100, 200, 300, 350, 400, 450, 500, 600} {
		row(fmt.Sprintf("first %d runes", n), func(s string) string { return langPrefix(s, n) })
	}
	t.Log(b.String())
	same, right, differ := score(func(s string) string { return langPrefix(s, langSample) })
	if float64(same) < 0.995*float64(len(texts)) {
		t.Errorf("the first %d runes give the whole text's language for %d of %d texts, below 99.5 %%:\n%s", langSample, same, len(texts), strings.Join(differ, "\n"))
	}
	if right < wholeRight {
		t.Errorf("the first %d runes give the labelled language for %d texts, the whole text for %d", langSample, right, wholeRight)
	}
}

// TestLangPrefix: the prefix ends with a whole word, and is the text
// itself when the text is short.
func TestLangPrefix(t *testing.T) {
	check := func(text string, n int, want string) {
		t.Helper()
		if got := langPrefix(text, n); got != want {
			t.Errorf("langPrefix(%q, %d) = %q, want %q", text, n, got, want)
		}
	}
	check("short text", 300, "short text")
	check("Zölle steigen heute", 8, "Zölle")
	check("Zölle steigen heute", 13, "Zölle steigen")
	check("Zölle steigen heute", 14, "Zölle steigen") // the space is no word
	check("Donaudampfschifffahrt", 5, "Donau")        // one long word is cut
	check("欧盟周二同意提高对来自三个国家的钢铁进口的关税", 4, "欧盟周二")
	check("欧盟周二，同意提高", 7, "欧盟周二")
}
