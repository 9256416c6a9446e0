package feed

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

func TestKeywordFilter(t *testing.T) {
	art := func(title, text string) digest.Article { return digest.Article{Title: title, Text: text} }
	for _, tt := range []struct {
		name             string
		include, exclude []string
		a                digest.Article
		want             bool
	}{
		{"no keywords keeps all", nil, nil, art("Derby", "football"), true},
		{"include matches a word", []string{"tariff"}, nil, art("New tariff on steel", ""), true},
		{"include is case-insensitive", []string{"WTO"}, nil, art("", "the wto ruled"), true},
		{"include misses", []string{"tariff"}, nil, art("Derby", "3-1 win"), false},
		{"whole words only", []string{"EU"}, nil, art("Europe", "neutral"), false},
		{"prefix with star", []string{"tariff*"}, nil, art("", "tariffs rise"), true},
		{"no star, no plural", []string{"tariff"}, nil, art("", "tariffs rise"), false},
		{"phrase across a line break", []string{"anti-dumping duty"}, nil, art("", "an anti-dumping\nduty was set"), true},
		{"exclude wins", []string{"tariff"}, []string{"football"}, art("Football club tariff", ""), false},
		{"exclude alone", nil, []string{"football"}, art("Port fees", "ships"), true},
		{"non-ASCII boundary", []string{"zölle"}, nil, art("", "neue Zölle auf Stahl"), true},
		{"repeat occurrence", []string{"duty"}, nil, art("", "dutyfree and then duty"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newKeywordFilter(Options{Include: tt.include, Exclude: tt.exclude})
			if got := f.keep(tt.a); got != tt.want {
				t.Errorf("keep = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDir_Subdirectories: a directory source reads its subdirectories
// down to the depth limit, skips hidden files and directories and
// symbolic links, and applies its keywords.
func TestDir_Subdirectories(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	body := " The ministry said on Monday that the measure takes effect next month after a consultation."
	write("top.txt", "Top story on tariffs\n\nTariffs rise."+body)
	write("a/one.txt", "Level one on tariffs\n\nTariffs fall."+body)
	write("a/b/c/three.txt", "Level three on tariffs\n\nTariffs hold."+body)
	write("a/b/c/d/four.txt", "Level four on tariffs\n\nToo deep."+body)
	write(".hidden.txt", "Hidden on tariffs\n\nNot read."+body)
	write(".git/x.txt", "In git on tariffs\n\nNot read."+body)
	write("a/football.txt", "Derby on tariffs\n\nFootball."+body)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "linked.txt"), []byte("Linked on tariffs\n\nNot read."+body), 0o644)
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Skipf("symlink: %v", err)
	}

	titles := func(opts Options) ([]string, []string) {
		res, err := NewDir(root, opts).Fetch(context.Background(), digest.SourceState{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range res.Articles {
			out = append(out, a.Title)
			if a.SourceID != root {
				t.Errorf("article of %s has source %q", a.Title, a.SourceID)
			}
		}
		return out, res.Warnings
	}
	got, warns := titles(Options{Exclude: []string{"football"}})
	if strings.Join(got, "|") != "Level three on tariffs|Level one on tariffs|Top story on tariffs" { // path order
		t.Errorf("default depth: %q", got)
	}
	if !strings.Contains(strings.Join(warns, "\n"), "1 subdirectories below the depth limit") || !strings.Contains(strings.Join(warns, "\n"), "1 articles left out") {
		t.Errorf("warnings: %q", warns)
	}
	if got, _ := titles(Options{MaxDepth: -1}); strings.Join(got, "|") != "Top story on tariffs" {
		t.Errorf("depth -1 (the directory alone): %q", got)
	}
	if got, _ := titles(Options{MaxDepth: 4, Include: []string{"level"}}); len(got) != 3 {
		t.Errorf("depth 4 with include: %q", got)
	}
}

// TestFeed_SourceSettings: full text on/off and a CSS selector change how
// items get their text from their pages, over real HTTP.
func TestFeed_SourceSettings(t *testing.T) {
	long := strings.Repeat("The feed's own long text about tariffs and quotas. ", 20)
	var pages atomic.Int64
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
			<item><title>Long item</title><link>%[1]s/long</link><description>%[2]s</description></item>
			<item><title>Short item</title><link>%[1]s/short</link><description>Teaser.</description></item>
			</channel></rss>`, srv.URL, long)
	})
	page := `<!doctype html><html><head><title>%[1]s</title></head><body>
		<nav>Home | Sections</nav>
		<div class="story-body"><p>%[1]s body chosen by the selector, first paragraph of the report on quotas.</p>
		<p>Second paragraph of the %[1]s report, about customs checks at the border.</p></div>
		<article><p>%[1]s article text that automatic extraction finds: ` + strings.Repeat("Customs officials described the new procedure at length. ", 15) + `</p></article>
		</body></html>`
	for _, p := range []string{"long", "short"} {
		mux.HandleFunc("/"+p, func(w http.ResponseWriter, r *http.Request) {
			pages.Add(1)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, page, p)
		})
	}
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	fetch := func(opts Options) map[string]string {
		t.Helper()
		pages.Store(0)
		opts.Fetcher = testFetcher(nil)
		res, err := NewFeed(srv.URL+"/feed.xml", opts).Fetch(context.Background(), digest.SourceState{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, a := range res.Articles {
			out[a.Title] = a.Text
		}
		return out
	}
	t.Run("default: short items only", func(t *testing.T) {
		got := fetch(Options{})
		if pages.Load() != 1 || !strings.HasPrefix(got["Long item"], "The feed's own") || !strings.Contains(got["Short item"], "Customs officials") {
			t.Errorf("%d pages; %q", pages.Load(), got)
		}
	})
	t.Run("full text off", func(t *testing.T) {
		got := fetch(Options{FullText: digest.FullTextOff})
		if pages.Load() != 0 || got["Short item"] != "Teaser." {
			t.Errorf("%d pages; %q", pages.Load(), got)
		}
	})
	t.Run("full text on", func(t *testing.T) {
		got := fetch(Options{FullText: digest.FullTextOn})
		if pages.Load() != 2 || !strings.Contains(got["Long item"], "Customs officials") {
			t.Errorf("%d pages; long item kept its feed text: %.80q", pages.Load(), got["Long item"])
		}
	})
	t.Run("a source's auto overrides gather.full_text never", func(t *testing.T) {
		opts := Options{FullText: digest.FullTextOff}.WithSettings(digest.SourceSettings{FullText: digest.FullTextAuto})
		got := fetch(opts)
		if pages.Load() != 1 || !strings.Contains(got["Short item"], "Customs officials") {
			t.Errorf("%d pages; %q", pages.Load(), got)
		}
	})
	t.Run("selector", func(t *testing.T) {
		got := fetch(Options{Selector: "div.story-body"})
		want := "short body chosen by the selector, first paragraph of the report on quotas.\n\nSecond paragraph of the short report, about customs checks at the border."
		if got["Short item"] != want {
			t.Errorf("selected text = %q", got["Short item"])
		}
	})
	t.Run("selector that matches nothing falls back", func(t *testing.T) {
		if got := fetch(Options{Selector: "div.nowhere"}); !strings.Contains(got["Short item"], "Customs officials") {
			t.Errorf("fallback text = %q", got["Short item"])
		}
	})
	t.Run("keywords", func(t *testing.T) {
		if got := fetch(Options{Exclude: []string{"teaser"}, FullText: digest.FullTextOff}); len(got) != 1 || got["Long item"] == "" {
			t.Errorf("exclude: %q", got)
		}
	})
	if _, err := CompileSelector("div[("); err == nil {
		t.Error("a broken selector compiled")
	}
}
