package nlp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTokensFastPath_Corpus checks Tokens' fast path (and Blocks')
// against the general one
// on every file of the public corpora's feeds and extraction pages and
// the summarisation articles (markup, numbers and a dozen languages).
func TestTokensFastPath_Corpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	var files []string
	for _, pattern := range []string{"feeds/news/*", "feeds/edge/*", "extraction-realworld/*/truth.json", "summarization-frank/pairs.jsonl"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("corpus absent")
	}
	words := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, want := Tokens(string(raw)), tokens(string(raw), false)
		if !slices.Equal(got, want) {
			for k := range min(len(got), len(want)) {
				if got[k] != want[k] {
					t.Errorf("%s: token %d is %+v, general path %+v", f, k, got[k], want[k])
					break
				}
			}
			t.Errorf("%s: %d tokens, general path %d", f, len(got), len(want))
		}
		words += len(got)
		// Blocks' fast path is for one line: every line of the file.
		for _, line := range strings.Split(string(raw), "\n") {
			if a, b := blocks(line, true), blocks(line, false); !slices.Equal(a, b) {
				t.Errorf("%s: Blocks(%q) = %q, general path %q", f, line, a, b)
			}
			if a, b := CollapseSpace(line), strings.Join(strings.Fields(line), " "); a != b {
				t.Errorf("%s: CollapseSpace(%q) = %q, want %q", f, line, a, b)
			}
		}
	}
	t.Logf("%d files, %d tokens", len(files), words)
}
