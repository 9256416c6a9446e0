package feed

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/feed/internal/farm"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/articles.golden from this build's output")

// goldenPath holds, for every input TestArticles_Golden reads, the
// SHA-256 of what it becomes: the hash pins the output of the whole
// item-to-article path (parse, HTMLToText, Clean, titles, languages,
// content hashes) so that a change made for speed can be shown to leave
// every article as it was.
const goldenPath = "testdata/articles.golden"

// TestArticles_Golden turns every feed of the corpus (../shared/corpus/
// feeds, news and edge) and the 200 feeds of the benchmark farm into
// articles, runs HTMLToText, Clean and detectLanguage on the corpus's
// texts and page extraction on its pages, and compares a hash of each
// input's results with testdata/articles.golden. After a change meant
// to alter the output, rewrite the file with
//
//	go test ./digest/feed -run TestArticles_Golden -args -update-golden
//
// and say why in the commit. GOLDEN_DUMP=dir writes each input's
// results there in full, to diff two builds' outputs.
func TestArticles_Golden(t *testing.T) {
	got := map[string]string{}
	dump := os.Getenv("GOLDEN_DUMP")
	record := func(name string, v any) {
		b, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		got[name] = fmt.Sprintf("%x", sum)
		if dump != "" {
			p := filepath.Join(dump, strings.NewReplacer("/", "_", " ", "_").Replace(name)+".json")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	type art struct {
		Title, URL, GUID, Text, Language, ContentHash, SourceName string
		Published                                                 time.Time
	}
	feeds := testutil.CorpusDir(t, "feeds")
	feedArticles := func(loc string, body []byte) any {
		fd, _, err := parseFeed(body, "")
		if err != nil {
			return err.Error()
		}
		src := NewFeed(loc, Options{Now: clock, ShortText: -1})
		arts, _, warns := src.articles(context.Background(), fd, loc, &hostTally{}, nil)
		// A warning names its feed by path: the corpus's place differs
		// from one checkout to the next, the rest of the path does not.
		for k, w := range warns {
			warns[k] = strings.ReplaceAll(w, feeds, "corpus/feeds")
		}
		out := []any{warns}
		for _, a := range arts {
			out = append(out, art{a.Title, a.URL, a.GUID, a.Text, a.Language, a.ContentHash, a.SourceName, a.Published})
		}
		return out
	}

	// The farm's feeds, as the benchmarks and prof.sh serve them.
	for n := 1; n <= benchFeeds; n++ {
		base := "http://127.0.0.2:8080"
		body := []byte(farm.FeedXML(n, benchItems, base, now))
		record(fmt.Sprintf("farm/%03d", n), feedArticles(fmt.Sprintf("%s/feeds/%03d.xml", base, n), body))
	}

	// The corpus's feeds, read as files.
	for _, sub := range []string{"news", "edge"} {
		paths, err := filepath.Glob(filepath.Join(feeds, sub, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			body, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			record("feeds/"+sub+"/"+filepath.Base(p), feedArticles(p, body))
			// Each item's fields through the text functions directly,
			// as a title-less item or a page would take them.
			fd, _, err := parseFeed(body, "")
			if err != nil {
				continue
			}
			var texts []string
			for _, it := range fd.Items {
				if it == nil {
					continue
				}
				for _, s := range []string{it.Title, it.Description, it.Content} {
					h := HTMLToText(s)
					c := Clean(h)
					texts = append(texts, h, c, Clean(s), plainTitle(s), detectLanguage(c, ""), detectLanguage(c, fd.Language))
				}
			}
			record("texts/"+sub+"/"+filepath.Base(p), texts)
		}
	}

	// The extraction corpora's pages: extraction (which cleans the
	// page's text) and HTMLToText and Clean of the whole page and of the
	// reference texts.
	for _, p := range evalPages(t) {
		page, err := extractEvalPage(p, Clean)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		h := HTMLToText(string(p.HTML))
		record("pages/"+p.Set+"/"+p.ID, []any{page.Title, page.Text, page.Language, errText, h, Clean(h),
			Clean(p.Reference), HTMLToText(p.Reference), detectLanguage(p.Reference, ""), digest.ContentHash(p.Reference)})
	}

	// The summarisation corpus's articles: plain text with line breaks.
	f, err := os.Open(filepath.Join(testutil.CorpusDir(t, "summarization-frank"), "pairs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var pair struct{ ID, Article string }
		if err := json.Unmarshal(sc.Bytes(), &pair); err != nil {
			t.Fatal(err)
		}
		c := Clean(pair.Article)
		record("summaries/"+pair.ID, []string{c, HTMLToText(pair.Article), detectLanguage(c, ""), digest.ContentHash(c)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	if *updateGolden {
		testutil.WriteGolden(t, goldenPath, got)
		return
	}
	testutil.ReadGolden(t, goldenPath).Compare(t, got, nil)
	t.Logf("%d inputs compared", len(got))
}
