package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// TestRowsStatement checks the statements of many rows on both stores:
// the sizes of the chunks that rows are written in (SQLite's from
// rowsLadder, Postgres's up to the chunk's limit); that articles, kept
// features and assessments saved in batches of many sizes are all
// written, a duplicate across chunks found as one; and that on SQLite
// each statement is prepared in the ladder's sizes only, however many
// sizes of batch came.
func TestRowsStatement(t *testing.T) {
	ctx := context.Background()
	for name, db := range groupStores(t) {
		t.Run(name, func(t *testing.T) {
			var sizes []int
			for start, end := range db.rowsStatement(ctx, insertArticlesRows).chunks(150) {
				sizes = append(sizes, end-start)
			}
			want := []int{100, 50}
			if name == SQLite {
				want = []int{64, 64, 16, 4, 1, 1}
			}
			if !slices.Equal(sizes, want) {
				t.Errorf("150 rows in chunks of %v, want %v", sizes, want)
			}

			now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
			article := func(n int) digest.Article {
				return digest.Article{SourceID: "rows", SourceName: "Rows", GUID: fmt.Sprint("g", n),
					URL: fmt.Sprintf("https://rows.example/%d", n), Title: fmt.Sprint("Story ", n),
					Text: fmt.Sprint("Text of story ", n), Published: now, FetchedAt: now}
			}
			var saved []digest.Saved
			total := 0
			for _, n := range []int{150, 37, 5, 64, 1} {
				batch := make([]digest.Article, n)
				for i := range batch {
					batch[i] = article(total + i)
				}
				if n == 150 {
					// The 141st is the 4th again under another GUID: a
					// duplicate by URL, in another chunk.
					batch[140].URL = batch[3].URL
				}
				total += n
				out, err := db.SaveArticles(ctx, batch)
				if err != nil {
					t.Fatal(err)
				}
				if n == 150 {
					if out[140].New || out[140].DuplicateOf != out[3].Article.ID || out[140].Key != digest.DuplicateURL {
						t.Errorf("the duplicate across chunks: new %v, duplicate of %d (want %d), key %q", out[140].New, out[140].DuplicateOf, out[3].Article.ID, out[140].Key)
					}
				}
				saved = append(saved, out...)
			}
			ids := map[int64]bool{}
			var kept []digest.KeptArticle
			for _, s := range saved {
				if !s.New {
					continue
				}
				if s.Article.ID == 0 || ids[s.Article.ID] {
					t.Fatalf("article %q saved with id %d, 0 or given twice", s.Article.URL, s.Article.ID)
				}
				ids[s.Article.ID] = true
				kept = append(kept, digest.KeptArticle{Article: s.Article, Features: []byte(s.Article.URL),
					Assessed: &digest.KeptAssessment{Version: "v1", Assessment: digest.Assessment{Relevance: float64(s.Article.ID)}}})
			}
			if len(ids) != total-1 {
				t.Fatalf("%d articles new, want %d", len(ids), total-1)
			}
			for start := 0; start < len(kept); {
				end := min(start+len(kept)/3+7, len(kept))
				if err := db.SaveKept(ctx, kept[start:end]); err != nil {
					t.Fatal(err)
				}
				start = end
			}
			var features, assessments int
			if err := db.sql.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM article_features WHERE features = ?"), []byte(kept[200].Article.URL)).Scan(&features); err != nil {
				t.Fatal(err)
			}
			if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM article_assessments WHERE relevance = CAST(article_id AS DOUBLE PRECISION)").Scan(&assessments); err != nil {
				t.Fatal(err)
			}
			if features != 1 || assessments != len(kept) {
				t.Errorf("features of article 200 kept %d times; %d assessments kept, want %d", features, assessments, len(kept))
			}
			if db.stmts == nil {
				return
			}
			db.stmts.mu.Lock()
			defer db.stmts.mu.Unlock()
			for _, prefix := range []string{"INSERT INTO articles ", "INSERT INTO article_features ", "INSERT INTO article_assessments "} {
				n := 0
				for q := range db.stmts.stmts {
					if strings.HasPrefix(q, prefix) {
						n++
					}
				}
				if n != len(rowsLadder) {
					t.Errorf("%d statements %q… prepared, want the ladder's %d", n, prefix, len(rowsLadder))
				}
			}
		})
	}
}
