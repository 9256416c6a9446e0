package digest

import (
	"reflect"
	"testing"
	"time"
)

// TestReport_settleLater checks that the account comes out the same when
// the window's open lines are let go of while it is clustered, and that
// undo puts them back.
func TestReport_settleLater(t *testing.T) {
	at := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	inWindow := Article{ID: 1, SourceName: "Wire", Title: "In the window", URL: "https://a.example/1", Published: at}
	older := Article{ID: 2, SourceName: "Wire", Title: "Before the window", URL: "https://a.example/2", Published: at.Add(-72 * time.Hour)}
	gathered := func() *Report {
		r := &Report{Articles: []ArticleFate{
			fateOf(inWindow, "", ""),
			fateOf(older, "", ""),
			fateOf(Article{SourceName: "Wire", Title: "Seen before"}, FateDuplicate, "same URL"),
		}}
		r.finishAccount(nil, storedNoStories)
		return r
	}
	story := fateOf(inWindow, FateLead, "")
	fates := newFateSet([]ArticleFate{story})

	want := gathered()
	want.finishAccount(fates, "")

	got := gathered()
	got.settleLater([]Article{inWindow})
	if len(got.Articles) != 2 {
		t.Fatalf("%d lines held while clustering, want 2 (the window's open line let go of)", len(got.Articles))
	}
	got.finishAccount(fates, "")
	if !reflect.DeepEqual(got.Articles, want.Articles) || !reflect.DeepEqual(got.Fates, want.Fates) || got.ArticlesRead != want.ArticlesRead {
		t.Errorf("account after settleLater:\n%+v\nwant\n%+v", got.Articles, want.Articles)
	}

	undone := gathered()
	undo := undone.settleLater([]Article{inWindow})
	undo()
	if err := undone.CheckAccount(); err != nil || len(undone.Articles) != 3 {
		t.Errorf("after undo: %d lines, %v; want the 3 lines back", len(undone.Articles), err)
	}
}
