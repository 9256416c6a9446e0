package feed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

type manifestEntry struct {
	File                string `json:"file"`
	Category            string `json:"category"`
	Format              string `json:"format"`
	UpstreamExpectation string `json:"upstream_expectation"`
	UpstreamSummary     *struct {
		FeedTitle      string `json:"feed_title"`
		ItemCount      *int   `json:"item_count"`
		FirstItemTitle string `json:"first_item_title"`
	} `json:"upstream_summary"`
	Derived *struct {
		StrictParseOK  bool   `json:"strict_parse_ok"`
		ItemCount      *int   `json:"item_count"`
		FeedTitle      string `json:"feed_title"`
		FirstItemTitle string `json:"first_item_title"`
		RegexItemCount *int   `json:"regex_item_tag_count"`
	} `json:"derived"`
}

// expected returns the item count and first title the manifest promises.
func (m manifestEntry) expected() (count int, title string, ok bool) {
	if m.Derived != nil && m.Derived.ItemCount != nil {
		count, title, ok = *m.Derived.ItemCount, m.Derived.FirstItemTitle, true
	}
	if m.UpstreamSummary != nil && m.UpstreamSummary.ItemCount != nil {
		count, ok = *m.UpstreamSummary.ItemCount, true
		if title == "" {
			title = m.UpstreamSummary.FirstItemTitle
		}
	}
	if !ok && m.Derived != nil && m.Derived.RegexItemCount != nil {
		count, ok = *m.Derived.RegexItemCount, true
	}
	return count, title, ok
}

// parseBounded parses a corpus file in a goroutine and fails the test if it
// takes longer than limit: "none hangs".
func parseBounded(t *testing.T, path string, limit time.Duration) (*gofeed.Feed, []digest.Article, error) {
	t.Helper()
	type out struct {
		fd   *gofeed.Feed
		arts []digest.Article
		err  error
	}
	ch := make(chan out, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- out{err: fmt.Errorf("panic: %v", r)}
			}
		}()
		src := NewFeed(path, Options{ShortText: -1})
		res, err := src.Fetch(context.Background(), digest.SourceState{})
		if err != nil {
			ch <- out{err: err}
			return
		}
		data, err := os.ReadFile(path)
		if err != nil {
			ch <- out{err: err}
			return
		}
		fd, err := ParseFeed(data, "")
		ch <- out{fd, res.Articles, err}
	}()
	select {
	case o := <-ch:
		return o.fd, o.arts, o.err
	case <-time.After(limit):
		t.Fatalf("%s: parse did not finish in %s", path, limit)
		return nil, nil, nil
	}
}

// edgeWant is what the upstream assertions say about some edge inputs.
var edgeWant = map[string]struct {
	err       bool   // must be reported as an error
	items     int    // at least this many items when parsed
	feedTitle string // when set, the feed title
	check     func(fd *gofeed.Feed) string
}{
	"edge/nodefp-not-a-feed.html":                {err: true},
	"edge/nodefp-gzipped-body.xml.gz-bytes":      {err: true},
	"edge/rssparser-marketwatch-moved.html.rss":  {err: true},
	"edge/feedrs-reuters-broken.xml":             {err: true},
	"edge/nodefp-unescaped-ampersand.xml":        {items: 3},
	"edge/nodefp-pcmag-illegally-nested.xml":     {items: 10},
	"edge/nodefp-trailing-channel-meta.xml":      {items: 1, feedTitle: "Trailing Meta Feed"},
	"edge/feedparser-entity-aacute.xml":          {feedTitle: "testing á entity"},
	"edge/feedparser-illformed-html-doctype.xml": {feedTitle: "found"},
	"edge/rssparser-latin2.rss":                  {items: 1},
	"edge/feedparser-illformed-corrupted-ampersands.xml": {items: 1, check: func(fd *gofeed.Feed) string {
		if l := fd.Items[0].Link; l != "http://link/get?a=1&b=2" {
			return fmt.Sprintf("link %q, want http://link/get?a=1&b=2", l)
		}
		return ""
	}},
	"edge/feedparser-encoding-win1252-smartquote.xml": {items: 1, check: func(fd *gofeed.Feed) string {
		if d := fd.Items[0].Description; d != "don\u2019t" {
			return fmt.Sprintf("description %q, want %q", d, "don\u2019t")
		}
		return ""
	}},
	"edge/nodefp-braingle-duplicate-guids.xml": {items: 1, check: func(fd *gofeed.Feed) string {
		if g := fd.Items[0].GUID; g != "http://www.braingle.com/50366.html" {
			return fmt.Sprintf("first guid %q", g)
		}
		return ""
	}},
}

func TestEval_Feeds(t *testing.T) {
	dir := testutil.CorpusDir(t, "feeds")
	entries := readJSONL[manifestEntry](t, filepath.Join(dir, "manifest.jsonl"))
	var newsOK, newsN, edgeParsed, edgeErr, totalItems, totalUndated int
	for _, m := range entries {
		path := filepath.Join(dir, m.File)
		fd, arts, err := parseBounded(t, path, 10*time.Second)
		if err != nil && strings.HasPrefix(err.Error(), "panic") {
			t.Errorf("%s: %v", m.File, err)
			continue
		}
		switch m.Category {
		case "news":
			newsN++
			if err != nil {
				t.Errorf("news %s: %v", m.File, err)
				continue
			}
			want, title, ok := m.expected()
			if !ok {
				t.Errorf("news %s: manifest has no item count", m.File)
				continue
			}
			bad := false
			if len(fd.Items) != want || len(arts) != want {
				t.Errorf("news %s: parsed %d items (%d articles), manifest says %d", m.File, len(fd.Items), len(arts), want)
				bad = true
			}
			if title != "" && len(fd.Items) > 0 {
				got := plainTitle(fd.Items[0].Title)
				if got != plainTitle(title) {
					t.Errorf("news %s: first title %q, manifest says %q", m.File, got, plainTitle(title))
					bad = true
				}
			}
			undated := 0
			for _, it := range fd.Items {
				if itemDate(it, time.Now()).IsZero() {
					undated++
				}
			}
			if undated > 0 {
				t.Logf("news %s: %d of %d items have no parseable date (first-seen time used)", m.File, undated, len(fd.Items))
			}
			totalUndated += undated
			totalItems += len(fd.Items)
			for _, a := range arts {
				if a.Published.IsZero() || a.ContentHash == "" {
					t.Errorf("news %s: article %q lacks a date or hash", m.File, a.Title)
					bad = true
					break
				}
			}
			if !bad {
				newsOK++
			}
		case "edge":
			want, known := edgeWant[m.File]
			if known && want.err != (err != nil) {
				t.Errorf("edge %s: error %v, upstream expects an error: %v", m.File, err, want.err)
			}
			if known && err == nil {
				if len(fd.Items) < want.items {
					t.Errorf("edge %s: %d items, want at least %d", m.File, len(fd.Items), want.items)
				} else if want.check != nil {
					if msg := want.check(fd); msg != "" {
						t.Errorf("edge %s: %s", m.File, msg)
					}
				}
				if want.feedTitle != "" && plainTitle(fd.Title) != want.feedTitle {
					t.Errorf("edge %s: feed title %q, want %q", m.File, plainTitle(fd.Title), want.feedTitle)
				}
			}
			if err != nil {
				edgeErr++
				if !strings.Contains(err.Error(), m.File[strings.LastIndex(m.File, "/")+1:]) {
					t.Errorf("edge %s: error does not name the feed: %v", m.File, err)
				}
				t.Logf("edge %-50s error: %v", m.File, trimErr(err, path))
				continue
			}
			edgeParsed++
			first := ""
			if len(arts) > 0 {
				first = arts[0].Title
			}
			t.Logf("edge %-50s parsed: %d items (%d articles), feed %q, first %q", m.File, len(fd.Items), len(arts), plainTitle(fd.Title), first)
		}
	}
	t.Logf("news feeds: %d of %d parsed with the expected item count and first title; %d of %d items dated by the feed", newsOK, newsN, totalItems-totalUndated, totalItems)
	t.Logf("edge inputs: %d parsed leniently, %d reported with an error, none crashed or hung", edgeParsed, edgeErr)
}

func trimErr(err error, path string) string {
	return strings.ReplaceAll(err.Error(), filepath.Dir(path)+"/", "")
}
