package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
)

// testArticlesKept checks the clustering features kept with articles:
// KeptArticlesSince lists the articles of the window without their texts
// and details, with the head of their features (digest.KeptHead bytes)
// and their story, nil and 0 until something is kept; SaveKept stores
// features (any bytes, NUL included) and stories, and an entry without
// features changes the story only (many a statement, the last one given
// winning); ArticleTexts, ArticleDetails and KeptFeatures return what
// was asked for, across chunks.
func testArticlesKept(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	var arts []digest.Article
	for i := range 3 {
		arts = append(arts, digest.Article{SourceID: "s", URL: fmt.Sprint("https://a.example/", i), Title: fmt.Sprint("Title ", i),
			Text: fmt.Sprint("Text of article ", i), Published: at.Add(time.Duration(i) * time.Hour),
			GUID: fmt.Sprint("guid-", i), FetchedAt: at.Add(time.Duration(i)*time.Hour + time.Minute), Language: "en"})
	}
	saved, err := db.SaveArticles(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{saved[0].Article.ID, saved[1].Article.ID, saved[2].Article.ID}
	kept, err := db.KeptArticlesSince(ctx, at.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || kept[0].Article.ID != ids[1] || kept[1].Article.ID != ids[2] {
		t.Fatalf("kept since: %+v, want articles %d and %d", kept, ids[1], ids[2])
	}
	for _, k := range kept {
		a := k.Article
		if a.Text != "" || k.Features != nil || k.Head != nil || k.Story != 0 || a.Title == "" || a.Published.IsZero() ||
			a.URL == "" || a.SourceID != "s" || a.Language != "en" {
			t.Errorf("before anything is kept: %+v", k)
		}
		if a.GUID != "" || a.ContentHash != "" || !a.FetchedAt.IsZero() {
			t.Errorf("details listed with the window: %+v", a)
		}
	}
	feats := []byte{1, 2, 0, 255, 0}
	if err := db.SaveKept(ctx, []digest.KeptArticle{
		{Article: digest.Article{ID: ids[0]}, Features: feats, Story: ids[0]},
		{Article: digest.Article{ID: ids[1]}, Features: []byte{9}, Story: ids[0]},
	}); err != nil {
		t.Fatal(err)
	}
	// Features replaced, and a story changed alone.
	if err := db.SaveKept(ctx, []digest.KeptArticle{
		{Article: digest.Article{ID: ids[1]}, Features: []byte{7, 0}, Story: ids[0]},
		{Article: digest.Article{ID: ids[0]}, Story: ids[2]},
	}); err != nil {
		t.Fatal(err)
	}
	kept, err = db.KeptArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		feats []byte
		story int64
	}{{feats, ids[2]}, {[]byte{7, 0}, ids[0]}, {nil, 0}}
	for i, w := range want {
		head := w.feats[:min(len(w.feats), digest.KeptHead)]
		if k := kept[i]; !bytes.Equal(k.Head, head) || (k.Head == nil) != (w.feats == nil) || k.Features != nil || k.Story != w.story {
			t.Errorf("article %d: head %v features %v story %d, want %v, none and %d", i, k.Head, k.Features, k.Story, head, w.story)
		}
	}
	// Stories changed alone, more than one statement's worth (articles
	// without features, or unknown, change nothing); an article given
	// twice gets its last story.
	var stories []digest.KeptArticle
	for i := range 450 {
		stories = append(stories, digest.KeptArticle{Article: digest.Article{ID: int64(1_000_000 + i)}, Story: 1})
		switch i {
		case 10:
			stories = append(stories, digest.KeptArticle{Article: digest.Article{ID: ids[1]}, Story: 7})
		case 300:
			stories = append(stories, digest.KeptArticle{Article: digest.Article{ID: ids[1]}, Story: ids[1]},
				digest.KeptArticle{Article: digest.Article{ID: ids[2]}, Story: ids[1]})
		}
	}
	if err := db.SaveKept(ctx, stories); err != nil {
		t.Fatal(err)
	}
	kept, err = db.KeptArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if kept[0].Story != ids[2] || kept[1].Story != ids[1] || kept[2].Story != 0 || kept[2].Head != nil {
		t.Errorf("stories changed alone: %d, %d, %d (features %v), want %d, %d, 0 (none)",
			kept[0].Story, kept[1].Story, kept[2].Story, kept[2].Head, ids[2], ids[1])
	}
	many := append([]int64{}, ids...)
	for i := range 1200 {
		many = append(many, int64(1_000_000+i)) // unknown: left out
	}
	texts, err := db.ArticleTexts(ctx, many)
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != 3 || texts[ids[2]] != "Text of article 2" {
		t.Errorf("texts: %v", texts)
	}
	details, err := db.ArticleDetails(ctx, many)
	if err != nil {
		t.Fatal(err)
	}
	if d := details[ids[2]]; len(details) != 3 || d.GUID != "guid-2" || d.ContentHash != saved[2].Article.ContentHash ||
		d.ContentHash == "" || !d.FetchedAt.Equal(arts[2].FetchedAt) {
		t.Errorf("details: %+v, want those of %+v", details, saved[2].Article)
	}
	// Features read again by ID (several queries' worth): an article
	// with none, or unknown, is left out.
	again, err := db.KeptFeatures(ctx, many)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 2 || !bytes.Equal(again[ids[0]], feats) || !bytes.Equal(again[ids[1]], []byte{7, 0}) {
		t.Errorf("kept features read again: %v", again)
	}
}

// testKeptStoriesMigrated checks migration 0012, which moved the kept
// stories out of article_features, and 0014, which keeps the features'
// heads beside them: a store as version 11 left it (a story in the
// features' row, 0 for none) keeps every article's features, head and
// story once migrated.
func testKeptStoriesMigrated(t *testing.T, db *store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	var arts []digest.Article
	for i := range 3 {
		arts = append(arts, digest.Article{SourceID: "s", URL: fmt.Sprint("https://m.example/", i), Title: fmt.Sprint("Title ", i),
			Text: fmt.Sprint("Text ", i), Published: at.Add(time.Duration(i) * time.Hour)})
	}
	saved, err := db.SaveArticles(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	// Back to version 11's schema, with its rows: features and story in
	// one row, for the first two articles.
	for _, q := range []string{
		"DROP INDEX article_features_head_idx",
		"ALTER TABLE article_features DROP COLUMN head",
		"DROP TABLE article_assessments",
		"DELETE FROM schema_migrations WHERE version > 12",
		"DROP TABLE article_stories",
		"ALTER TABLE article_features ADD COLUMN story BIGINT NOT NULL DEFAULT 0",
		"DELETE FROM schema_migrations WHERE version = 12",
		fmt.Sprintf("INSERT INTO article_features (article_id, features, story) VALUES (%d, %s, %d), (%d, %s, 0)",
			saved[0].Article.ID, hexBytes(db, "0102ff"), saved[1].Article.ID, saved[1].Article.ID, hexBytes(db, "0700")),
	} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	kept, err := db.KeptArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		head  []byte
		story int64
	}{{[]byte{1, 2}, saved[1].Article.ID}, {[]byte{7, 0}, 0}, {nil, 0}}
	if len(kept) != len(want) {
		t.Fatalf("%d kept articles, want %d", len(kept), len(want))
	}
	for i, w := range want {
		if k := kept[i]; !bytes.Equal(k.Head, w.head) || (k.Head == nil) != (w.head == nil) || k.Story != w.story {
			t.Errorf("article %d after the migration: head %v story %d, want %v and %d", i, k.Head, k.Story, w.head, w.story)
		}
	}
	feats, err := db.KeptFeatures(ctx, []int64{saved[0].Article.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(feats[saved[0].Article.ID], []byte{1, 2, 255}) {
		t.Errorf("features after the migration: %v", feats)
	}
}

// hexBytes is a literal of the bytes written in hex, in db's dialect.
func hexBytes(db *store.DB, hex string) string {
	if db.Dialect() == store.Postgres {
		return "'\\x" + hex + "'::bytea"
	}
	return "X'" + hex + "'"
}

// testAssessments checks the kept assessments of lead articles: what is
// saved under a version reads back under it (topics in order, none as
// nil), not under another; saving again replaces an article's assessment
// and its version; unknown articles are left out, on save and on read,
// across chunks.
func testAssessments(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a, b, c := saveThree(t, db, "https://r.example/")
	first := map[int64]digest.Assessment{
		a: {Relevance: 0.625, Topics: []string{"tariffs", "steel"}},
		b: {Relevance: 0.03125},
	}
	for i := range 450 { // unknown articles, more than one statement's worth
		first[int64(2_000_000+i)] = digest.Assessment{Relevance: 1}
	}
	if err := db.SaveAssessments(ctx, "v1", first); err != nil {
		t.Fatal(err)
	}
	ask := []int64{a, b, c}
	for i := range 1200 {
		ask = append(ask, int64(2_000_000+i))
	}
	got, err := db.Assessments(ctx, "v1", ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[a].Relevance != 0.625 || !slices.Equal(got[a].Topics, []string{"tariffs", "steel"}) ||
		got[b].Relevance != 0.03125 || got[b].Topics != nil {
		t.Errorf("assessments under v1: %+v", got)
	}
	if other, err := db.Assessments(ctx, "v2", ask); err != nil || len(other) != 0 {
		t.Errorf("assessments under v2 before any: %+v (%v)", other, err)
	}
	if err := db.SaveAssessments(ctx, "v2", map[int64]digest.Assessment{a: {Relevance: 0.5, Topics: []string{"shipping"}}}); err != nil {
		t.Fatal(err)
	}
	v1, v2 := assessmentsV1V2(t, db, ask)
	if _, ok := v1[a]; ok || len(v1) != 1 || len(v2) != 1 || v2[a].Relevance != 0.5 || !slices.Equal(v2[a].Topics, []string{"shipping"}) {
		t.Errorf("after a's assessment under v2: v1 %+v, v2 %+v", v1, v2)
	}
}

// testKeptAssessments checks the assessments kept with features
// (KeptArticle.Assessed): they read back under their versions, several
// calls saved together keep each one's, an entry without one leaves the
// article's kept assessment as it was, and one for an unknown article is
// left out with the rest of the call kept.
func testKeptAssessments(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a, b, c := saveThree(t, db, "https://k.example/")
	if err := db.SaveAssessments(ctx, "v1", map[int64]digest.Assessment{c: {Relevance: 0.25}}); err != nil {
		t.Fatal(err)
	}
	feat := []byte{1, 2, 3}
	calls := [][]digest.KeptArticle{
		{{Article: digest.Article{ID: a}, Features: feat, Assessed: &digest.KeptAssessment{Version: "v1", Assessment: digest.Assessment{Relevance: 0.75, Topics: []string{"steel"}}}}},
		{{Article: digest.Article{ID: b}, Features: feat, Assessed: &digest.KeptAssessment{Version: "v2", Assessment: digest.Assessment{Relevance: 0.5}}},
			{Article: digest.Article{ID: c}, Features: feat},
			{Article: digest.Article{ID: 3_000_000}, Assessed: &digest.KeptAssessment{Version: "v1", Assessment: digest.Assessment{Relevance: 1}}}},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(calls))
	for i, kept := range calls {
		wg.Go(func() { errs[i] = db.SaveKept(ctx, kept) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	ask := []int64{a, b, c, 3_000_000}
	v1, v2 := assessmentsV1V2(t, db, ask)
	if len(v1) != 2 || v1[a].Relevance != 0.75 || !slices.Equal(v1[a].Topics, []string{"steel"}) || v1[c].Relevance != 0.25 {
		t.Errorf("under v1: %+v, want a's 0.75 [steel] and c's 0.25 as it was", v1)
	}
	if len(v2) != 1 || v2[b].Relevance != 0.5 {
		t.Errorf("under v2: %+v, want b's 0.5", v2)
	}
	got, err := db.KeptFeatures(ctx, []int64{a, b, c})
	if err != nil || len(got) != 3 {
		t.Errorf("%d features kept with the assessments (%v), want 3", len(got), err)
	}
}

// saveThree saves three articles whose URLs start with prefix and returns
// their IDs.
func saveThree(t *testing.T, db *store.DB, prefix string) (a, b, c int64) {
	t.Helper()
	var arts []digest.Article
	for i := range 3 {
		arts = append(arts, digest.Article{SourceID: "s", URL: fmt.Sprint(prefix, i), Title: fmt.Sprint("Title ", i),
			Text: fmt.Sprint("Text ", i), Published: time.Date(2026, 11, 27, 6, i, 0, 0, time.UTC)})
	}
	saved, err := db.SaveArticles(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	return saved[0].Article.ID, saved[1].Article.ID, saved[2].Article.ID
}

// assessmentsV1V2 returns the assessments of the articles ask under the
// versions "v1" and "v2".
func assessmentsV1V2(t *testing.T, db *store.DB, ask []int64) (v1, v2 map[int64]digest.Assessment) {
	t.Helper()
	v1, err := db.Assessments(context.Background(), "v1", ask)
	if err != nil {
		t.Fatal(err)
	}
	v2, err = db.Assessments(context.Background(), "v2", ask)
	if err != nil {
		t.Fatal(err)
	}
	return v1, v2
}
