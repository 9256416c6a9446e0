package feed

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// knownItem is one item of knownFeed.
type knownItem struct{ title, guid, path, date, text string }

// knownFeed serves an RSS feed whose items the test changes between
// gathers, and the pages of its short items, counting page requests.
type knownFeed struct {
	mu    sync.Mutex
	items []knownItem
	pages atomic.Int32
	url   string
}

func startKnownFeed(t *testing.T) *knownFeed {
	t.Helper()
	kf := &knownFeed{}
	mux := http.NewServeMux()
	srv := serveOn(t, "127.0.0.1", mux)
	kf.url = srv.URL
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		kf.mu.Lock()
		defer kf.mu.Unlock()
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Known Wire</title><link>` + srv.URL + `/</link>`)
		for _, it := range kf.items {
			fmt.Fprintf(&b, "<item><title>%s</title><link>%s%s</link><guid>%s</guid><pubDate>%s</pubDate><description><![CDATA[<p>%s</p>]]></description></item>",
				it.title, srv.URL, it.path, it.guid, it.date, it.text)
		}
		b.WriteString("</channel></rss>")
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/page/", func(w http.ResponseWriter, r *http.Request) {
		kf.pages.Add(1)
		fmt.Fprint(w, articleHTML)
	})
	return kf
}

func (kf *knownFeed) serve(items []knownItem) {
	kf.mu.Lock()
	defer kf.mu.Unlock()
	kf.items = items
}

// plainSource hides a feed's FetchKnown: the engine gathers it as any
// source, reading and saving every item.
type plainSource struct{ digest.Source }

// longText is a text long enough to identify its article.
func longText(topic string) string {
	return strings.TrimSpace(strings.Repeat("Officials said the "+topic+" would change the flows of trade in the region this year. ", 8))
}

// TestFeed_FetchKnown gathers a feed into a store, then again after the
// feed gained items and changed one, once with the lookup of stored items
// and once without (plainSource): the second gather must leave the known
// items unread and still give the same report, account and store.
func TestFeed_FetchKnown(t *testing.T) {
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	at := func(h int) string { return now.Add(time.Duration(h-12) * time.Hour).Format(time.RFC1123Z) }
	first := []knownItem{
		{"Steel tariffs rise", "g-a1", "/a1", at(10), longText("steel tariff")},
		{"Port strike ends", "g-a2", "/a2", at(9), longText("port strike")},
		{"Copper output falls", "g-a3", "/a3", at(8), longText("copper output")},
		{"Grain deal signed", "g-a4", "/a4", at(7), longText("grain deal")},
		// Short: the feed fetches its page for a longer text.
		{"Teaser on rates", "g-a5", "/page/5", at(6), "Read more."},
		// Short with a bare day, which a page's date may refine.
		{"Dated by day", "g-a6", "/page/6", "Thu, 05 Mar 2026 00:00:00 GMT", "Read on."},
		// Before the recency window: never stored.
		{"Old news", "g-a7", "/a7", now.Add(-72 * time.Hour).Format(time.RFC1123Z), longText("old news")},
	}
	second := append([]knownItem{
		{"Nickel prices climb", "g-n1", "/n1", at(11), longText("nickel price")},
		// A new item with the title and text of a stored one (a2): the
		// store takes both for one article, which decides a2's line.
		{"Port strike ends", "g-n2", "/n2", at(11), longText("port strike")},
	}, first...)
	// An updated item: the same GUID and link, a changed title and text.
	second[5] = knownItem{"Grain deal signed, terms revised", "g-a4", "/a4", at(7), longText("revised grain deal")}

	type outcome struct {
		first, second digest.Report
		pages         int32 // page requests of the second gather
		stored        []digest.Article
		base          string // the feed server's URL
	}
	gather := func(t *testing.T, db digest.EngineStore, hide bool) outcome {
		kf := startKnownFeed(t)
		out := outcome{base: kf.url}
		opts := Options{Fetcher: testFetcher(nil), Now: func() time.Time { return now }}
		var src digest.Source = NewFeed(kf.url+"/feed", opts)
		if hide {
			src = plainSource{src}
		}
		eng := &digest.Engine{Store: db, Config: digest.DefaultConfig(), Now: func() time.Time { return now }}
		kf.serve(first)
		if err := eng.Gather(t.Context(), []digest.Source{src}, &out.first); err != nil {
			t.Fatal(err)
		}
		kf.serve(second)
		p0 := kf.pages.Load()
		if err := eng.Gather(t.Context(), []digest.Source{src}, &out.second); err != nil {
			t.Fatal(err)
		}
		out.pages = kf.pages.Load() - p0
		for _, rep := range []digest.Report{out.first, out.second} {
			if len(rep.Errors) > 0 {
				t.Fatalf("gather errors: %v", rep.Errors)
			}
		}
		var err error
		if out.stored, err = db.ArticlesSince(t.Context(), time.Time{}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			known := gather(t, o.Open(t), false)
			plain := gather(t, o.Open(t), true)

			src := known.second.Sources[0]
			// a1, a3, a4 (updated: a duplicate by URL, as without the
			// lookup) and a5 (its page not fetched); a2 shares its title
			// with n2, a6 has a bare day, a7 is not stored.
			if src.Known != 4 || plain.second.Sources[0].Known != 0 {
				t.Errorf("second gather left %d items unread (without the lookup %d), want 4 (0)", src.Known, plain.second.Sources[0].Known)
			}
			if known.first.Sources[0].Known != 0 {
				t.Errorf("first gather left %d items unread, want none", known.first.Sources[0].Known)
			}
			if known.pages != 1 || plain.pages != 2 {
				t.Errorf("second gather fetched %d pages (without the lookup %d), want 1 (2): a5's page is left", known.pages, plain.pages)
			}
			if src.Articles != 9 || src.New != 1 || src.Old != 1 {
				t.Errorf("second gather: %d articles, %d new, %d old; want 9, 1, 1", src.Articles, src.New, src.Old)
			}

			// The two runs differ in their server's port and, on Postgres,
			// in the IDs of the second gather's new articles (an insert
			// that meets a stored row still takes a number from the
			// sequence): articles are named by their link's path instead.
			normalise := func(o outcome) (reports [2]string, stored []digest.Article) {
				paths := map[int64]int64{}
				for _, a := range o.stored {
					var n int64
					for _, c := range strings.TrimPrefix(a.URL, o.base) {
						n = n*131 + int64(c)
					}
					paths[a.ID] = n
					a.ID, a.URL, a.SourceID = n, strings.TrimPrefix(a.URL, o.base), ""
					stored = append(stored, a)
				}
				for i, rep := range []digest.Report{o.first, o.second} {
					for j := range rep.Sources {
						rep.Sources[j].ID, rep.Sources[j].Duration, rep.Sources[j].Known, rep.Sources[j].Bytes = "", 0, 0, 0
					}
					rep.Stages = nil
					for j := range rep.Articles {
						l := &rep.Articles[j]
						l.URL, l.ArticleID, l.Of = strings.TrimPrefix(l.URL, o.base), paths[l.ArticleID], paths[l.Of]
					}
					reports[i] = fmt.Sprintf("%+v", rep)
				}
				return reports, stored
			}
			knownReports, knownStored := normalise(known)
			plainReports, plainStored := normalise(plain)
			for i := range knownReports {
				if knownReports[i] != plainReports[i] {
					t.Errorf("gather %d: report with the lookup\n%s\nwithout\n%s", i+1, knownReports[i], plainReports[i])
				}
			}
			lines := map[string]digest.ArticleFate{}
			for _, l := range known.second.Articles {
				lines[l.Title] = l
			}
			if l := lines["Grain deal signed, terms revised"]; l.Fate != digest.FateDuplicate || l.Key != digest.DuplicateURL || l.Of == 0 {
				t.Errorf("updated item's line %+v, want a duplicate by URL", l)
			}
			if len(knownStored) != len(plainStored) {
				t.Fatalf("store holds %d articles with the lookup, %d without", len(knownStored), len(plainStored))
			}
			for i := range knownStored {
				a, b := knownStored[i], plainStored[i]
				if !reflect.DeepEqual(a, b) {
					t.Errorf("stored article %d with the lookup\n%+v\nwithout\n%+v", i, a, b)
				}
				if a.Title == "Grain deal signed" && a.Text != longText("grain deal") {
					t.Errorf("updated item's stored text changed to %q", a.Text)
				}
			}
		})
	}
}

// TestFeed_FetchKnownLookupFails reads every item when the lookup fails,
// and says so in a warning.
func TestFeed_FetchKnownLookupFails(t *testing.T) {
	kf := startKnownFeed(t)
	kf.serve([]knownItem{{"Steel tariffs rise", "g-a1", "/a1", "Thu, 05 Mar 2026 10:00:00 GMT", longText("steel tariff")}})
	src := NewFeed(kf.url+"/feed", Options{Fetcher: testFetcher(nil)})
	res, err := src.FetchKnown(t.Context(), digest.SourceState{}, func(context.Context, []string, []string) (digest.StoredKeys, error) {
		return digest.StoredKeys{}, fmt.Errorf("database is closed")
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Known) != 0 || len(res.Articles) != 1 || res.Articles[0].Text == "" {
		t.Errorf("got %d known, articles %+v; want the item read", len(res.Known), res.Articles)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "database is closed") {
		t.Errorf("warnings %q, want the lookup's error", res.Warnings)
	}
}
