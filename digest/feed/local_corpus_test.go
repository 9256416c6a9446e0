package feed

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/internal/testutil"
	"github.com/tradedigest/tradedigest/summarize"
)

// TestParseText_realNews reads the 50 news texts of the summarisation
// corpus as plain-text articles. They have no title line; many open with
// page furniture (share bars, "Media playback is unsupported on your
// device") and some with a sentence broken across lines. No title may be
// furniture or end mid-phrase, no furniture may open the text, and the
// story's first line must stay in the text.
func TestParseText_realNews(t *testing.T) {
	dir := testutil.CorpusDir(t, "summarization-frank")
	pairs := readJSONL[struct {
		ID      string `json:"id"`
		Article string `json:"article"`
	}](t, filepath.Join(dir, "pairs.jsonl"))
	for _, p := range pairs {
		a := ParseText(p.Article)
		switch {
		case a.Title == "":
			t.Errorf("%s: no title", p.ID)
		case summarize.IsFurniture(a.Title) || summarize.EndsBadly(a.Title):
			t.Errorf("%s: title %q is furniture or ends mid-phrase", p.ID, a.Title)
		case len(strings.Fields(a.Title)) > summarize.MaxDerivedHeadlineWords:
			t.Errorf("%s: title %q is too long", p.ID, a.Title)
		}
		first, _, _ := strings.Cut(a.Text, "\n")
		if summarize.IsFurniture(first) {
			t.Errorf("%s: text opens with furniture %q", p.ID, first)
		}
		// The first line of the story proper is in the text, not lost to
		// the title.
		for _, line := range strings.Split(p.Article, "\n") {
			line = collapseSpace(shareBar.Get().ReplaceAllString(strings.TrimPrefix(line, "this link"), ""))
			if line == "" || summarize.IsFurniture(line) && !summarize.EndsBadly(line) {
				continue
			}
			words := strings.Fields(line)
			if lead := strings.Join(words[:min(6, len(words))], " "); !strings.Contains(collapseSpace(a.Text), lead) {
				t.Errorf("%s: the story's first words %q are not in the text", p.ID, lead)
			}
			break
		}
	}
}
