package summarize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/internal/testutil"
)

// TestExtractive_Examples summarises the repository's example articles
// (.txt and .md; front matter dropped) and checks each summary: 2–3
// sentences copied from the article, no appeal or sign-up line.
func TestExtractive_Examples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testutil.Root(t), "examples", "articles", "*"))
	e := NewExtractive()
	n := 0
	for _, f := range files {
		ext := filepath.Ext(f)
		if ext != ".txt" && ext != ".md" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if ext == ".md" && strings.HasPrefix(text, "---\n") {
			if _, body, ok := strings.Cut(text[4:], "\n---\n"); ok {
				text = body
			}
		}
		n++
		sents := e.Select("", text)
		t.Logf("%s: %s", filepath.Base(f), strings.Join(sents, " | "))
		if len(sents) < 2 || len(sents) > 3 {
			t.Errorf("%s: %d sentences", filepath.Base(f), len(sents))
		}
		flat := strings.Join(strings.Fields(text), " ")
		for _, s := range sents {
			if !strings.Contains(flat, s) {
				t.Errorf("%s: sentence not in the article: %q", filepath.Base(f), s)
			}
			if l := strings.ToLower(s); strings.Contains(l, "subscribe") || strings.Contains(l, "donat") || strings.Contains(l, "click here") {
				t.Errorf("%s: boilerplate chosen: %q", filepath.Base(f), s)
			}
		}
	}
	if n == 0 {
		t.Skip("no example articles found under examples/articles")
	}
}
