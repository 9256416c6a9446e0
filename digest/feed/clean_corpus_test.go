package feed

import (
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest/feed/internal/exteval"
	"github.com/tradedigest/tradedigest/internal/nlp"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

// TestClean_KeepsNewsParagraphs runs Clean over the human-annotated article
// bodies of the extraction corpus (which hold no boilerplate) and fails on
// every line it would drop.
func TestClean_KeepsNewsParagraphs(t *testing.T) {
	dir := testutil.CorpusDir(t, "article-extraction-scrapinghub")
	truth, err := exteval.LoadScrapinghub(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The annotators kept these two lines, but they are exactly what Clean
	// is asked to remove: a newsletter prompt and a republication note.
	appeals := map[string]bool{
		"You can also subscribe to this newsletter here — just tick \"10 Things in Tech You Need to Know.\"...": true,
		"This article was originally published by Futurism. Read the original article.":                         true,
	}
	lines, dropped := 0, 0
	for _, tp := range truth {
		for _, line := range strings.Split(tp.Reference, "\n") {
			line = collapseSpace(line)
			if line == "" {
				continue
			}
			lines++
			if (nlp.IsBoilerplateLine(line) || dropAppeals(line) != line) && !appeals[line] {
				dropped++
				t.Errorf("%s: Clean drops a news line: %q", tp.ID[:8], line)
			}
		}
	}
	t.Logf("Clean kept %d of %d annotated article lines", lines-dropped, lines)
}
