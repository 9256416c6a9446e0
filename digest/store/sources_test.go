package store_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// TestDB_SourceSettings: the settings of a registered source are kept,
// checked and listed with it, on SQLite and Postgres.
func TestDB_SourceSettings(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			db := o.Open(t)
			ctx := t.Context()
			check(t, db.AddSource(ctx, "https://lists.example.com/trade"))
			check(t, db.AddSource(ctx, "/srv/articles"))
			want := digest.SourceSettings{
				Kind: "opml", Name: "Trade lists", Weight: 1.5, FullText: "on",
				Include: []string{"tariff", "anti-dumping duty"}, Exclude: []string{"football"}, Selector: "article .body",
			}
			check(t, db.SetSourceSettings(ctx, "https://lists.example.com/trade", want))
			got := get(db.RegisteredSource(ctx, "https://lists.example.com/trade"))(t)
			if !reflect.DeepEqual(got.Settings, want) {
				t.Errorf("settings = %+v, want %+v", got.Settings, want)
			}
			list := get(db.RegisteredSourceList(ctx))(t)
			if len(list) != 2 || list[0].Source != "https://lists.example.com/trade" || !list[1].Settings.IsZero() {
				t.Errorf("list = %+v", list)
			}
			wantErr(t, db.SetSourceSettings(ctx, "/nowhere", want), digest.ErrNotFound)
			if err := db.SetSourceSettings(ctx, "/srv/articles", digest.SourceSettings{Weight: -1}); err == nil {
				t.Error("a negative weight was stored")
			}
			if err := db.SetSourceSettings(ctx, "/srv/articles", digest.SourceSettings{FullText: "sometimes"}); err == nil {
				t.Error("full_text sometimes was stored")
			}
			check(t, db.SaveSourceParents(ctx, map[string]string{"https://a.example.com/rss": "/srv/list.opml"}))
			check(t, db.SaveSourceParents(ctx, map[string]string{"https://a.example.com/rss": "https://lists.example.com/trade"}))
			if got := get(db.SourceParents(ctx))(t); len(got) != 1 || got["https://a.example.com/rss"] != "https://lists.example.com/trade" {
				t.Errorf("parents = %v", got)
			}
			// Clearing: the zero settings are the defaults again.
			check(t, db.SetSourceSettings(ctx, "https://lists.example.com/trade", digest.SourceSettings{}))
			if got := get(db.RegisteredSource(ctx, "https://lists.example.com/trade"))(t); !got.Settings.IsZero() {
				t.Errorf("cleared settings = %+v", got.Settings)
			}
		})
	}
}

// TestDB_SaveSourceParents_Many: a list longer than one statement's rows
// is saved whole, a feed that moved to another list is updated, and two
// spellings that store alike (invalid UTF-8) do not fail the statement,
// on SQLite and Postgres.
func TestDB_SaveSourceParents_Many(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			db := o.Open(t)
			ctx := t.Context()
			const n = 1234 // three statements of at most 500 feeds
			parents := map[string]string{}
			for i := range n {
				parents[fmt.Sprintf("https://feeds.example.com/%04d.xml", i)] = "/srv/list.opml"
			}
			check(t, db.SaveSourceParents(ctx, parents))
			parents["https://feeds.example.com/0007.xml"] = "https://lists.example.com/other"
			parents["https://feeds.example.com/bad-\xff.xml"] = "/srv/list.opml"
			parents["https://feeds.example.com/bad-\xfe.xml"] = "/srv/list.opml"
			check(t, db.SaveSourceParents(ctx, parents))
			got := get(db.SourceParents(ctx))(t)
			if len(got) != n+1 {
				t.Fatalf("%d parents stored, want %d", len(got), n+1)
			}
			if got["https://feeds.example.com/0007.xml"] != "https://lists.example.com/other" ||
				got["https://feeds.example.com/1233.xml"] != "/srv/list.opml" ||
				got["https://feeds.example.com/bad-\uFFFD.xml"] != "/srv/list.opml" {
				t.Errorf("parents = %v", got)
			}
		})
	}
}
