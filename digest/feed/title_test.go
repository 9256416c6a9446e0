package feed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
)

// TestSources_TitleBounded: a 100 KB title, from a feed item, a feed's own
// title, an OPML outline, Markdown front matter, an HTML page's <title> or a
// plain-text lead with no title line, leaves the source cut to
// digest.MaxTitleRunes, so it reaches neither the store nor the prompt
// whole.
func TestSources_TitleBounded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	huge := strings.Repeat("Tariffs rise again ", 100000/19)
	body := "Steel exporters face new duties on shipments to the bloc from next month, officials said on Monday."
	now := time.Now().UTC()
	files := map[string]string{
		"wire.rss": fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://wire.example/</link>`+
			`<item><title>%s</title><link>https://wire.example/a</link><pubDate>%s</pubDate><description>%s</description></item></channel></rss>`,
			huge, huge, now.Format(time.RFC1123Z), body),
		"list.opml": fmt.Sprintf(`<?xml version="1.0"?><opml version="2.0"><body><outline text=%q xmlUrl="wire.rss"/></body></opml>`, huge),
		"front.md":  "---\ntitle: " + huge + "\n---\n\n" + body + "\n",
		"page.html": "<html><head><title>" + huge + "</title></head><body><article><p>" + body + " " + body + "</p></article></body></html>",
		"lead.txt":  strings.Repeat("x", 100000) + " " + body + "\n\n" + body + "\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := Options{Now: func() time.Time { return now }}
	for _, name := range []string{"wire.rss", "list.opml", "front.md", "page.html", "lead.txt"} {
		t.Run(name, func(t *testing.T) {
			srcs, err := Open(ctx, filepath.Join(dir, name), opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range srcs {
				checkBounded(t, "source name", src.Name())
				res, err := src.Fetch(ctx, digest.SourceState{})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Articles) == 0 {
					t.Fatal("no articles")
				}
				for _, a := range res.Articles {
					checkBounded(t, "title", a.Title)
					checkBounded(t, "article source name", a.SourceName)
				}
			}
		})
	}
}

func checkBounded(t *testing.T, what, s string) {
	t.Helper()
	if n := utf8.RuneCountInString(s); n > digest.MaxTitleRunes {
		t.Errorf("%s has %d runes, want ≤ %d", what, n, digest.MaxTitleRunes)
	}
}
