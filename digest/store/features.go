package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

var _ digest.FeatureStore = (*DB)(nil)

// keptCols are articleCols without the body and the details
// (digest.ArticleDetail), and the head of the kept features (two bytes:
// digest.KeptHead) and story.
const keptCols = "a.id, a.source_id, a.source_name, a.url, a.title, a.published, a.language, substr(f.features, 1, 2), COALESCE(f.story, 0)"

// KeptArticlesSince returns the articles published (or first seen) after
// since, oldest first, without their texts and details, each with the
// head of the features and the story kept for it (nil and 0 when none); a
// zero since means all.
func (db *DB) KeptArticlesSince(ctx context.Context, since time.Time) ([]digest.KeptArticle, error) {
	query, args := "SELECT "+keptCols+" FROM articles a LEFT JOIN article_features f ON f.article_id = a.id", []any{}
	if !since.IsZero() {
		query, args = query+" WHERE a.published > ?", append(args, db.t(since))
	}
	// A window has tens of thousands of articles from a few hundred
	// sources: their articles share one copy of each source's ID, name
	// and language.
	shared := map[string]string{}
	intern := func(s *string) {
		if v, ok := shared[*s]; ok {
			*s = v
		} else {
			shared[*s] = *s
		}
	}
	out, err := queryAll(ctx, db.run, db.q(query+" ORDER BY a.published, a.id"), func(sc scanner) (digest.KeptArticle, error) {
		var k digest.KeptArticle
		a := &k.Article
		err := sc.Scan(&a.ID, &a.SourceID, &a.SourceName, &a.URL, &a.Title,
			timeDest{&a.Published}, &a.Language, &k.Head, &k.Story)
		intern(&a.SourceID)
		intern(&a.SourceName)
		intern(&a.Language)
		return k, err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("list kept articles: %w", err)
	}
	return out, nil
}

// SaveKept keeps the features and story of each article (by Article.ID)
// in one transaction; an entry without Features sets the story of an
// article whose features are kept already.
//
// Concurrent calls share a transaction (see group), as SaveArticles' do.
func (db *DB) SaveKept(ctx context.Context, kept []digest.KeptArticle) error {
	if len(kept) == 0 {
		return nil
	}
	_, err := db.gathered.kept.do(ctx, kept, 0, 0)
	return err
}

// saveKeptMany keeps the entries of several SaveKept calls in one
// transaction; when that fails, each call's entries are tried again alone.
func (db *DB) saveKeptMany(ctx context.Context, calls [][]digest.KeptArticle) ([]struct{}, []error) {
	return togetherOrAlone(calls, func() ([]struct{}, error) {
		return nil, db.saveKept(ctx, slices.Concat(calls...))
	}, func(c []digest.KeptArticle) (struct{}, error) { return struct{}{}, db.saveKept(ctx, c) })
}

// saveKept is SaveKept for one call.
func (db *DB) saveKept(ctx context.Context, kept []digest.KeptArticle) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var withFeatures, storyOnly []digest.KeptArticle
		for _, k := range kept {
			if k.Features != nil {
				withFeatures = append(withFeatures, k)
			} else {
				storyOnly = append(storyOnly, k)
			}
		}
		// A first run sets the story of every article of the window: many
		// rows a statement here too. An article given twice gets its last
		// story, as one UPDATE after another gave it.
		storyOnly = lastPerArticle(storyOnly)
		for start := 0; start < len(storyOnly); start += keptChunk {
			chunk := storyOnly[start:min(start+keptChunk, len(storyOnly))]
			var q strings.Builder
			q.WriteString("UPDATE article_features SET story = v.column2 FROM (VALUES ")
			args := make([]any, 0, 2*len(chunk))
			for i, k := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(CAST(? AS BIGINT), CAST(? AS BIGINT))")
				args = append(args, k.Article.ID, k.Story)
			}
			q.WriteString(") AS v WHERE article_features.article_id = v.column1")
			if _, err := tx.ExecContext(ctx, db.chunkQuery(q.String()), args...); err != nil {
				return err
			}
		}
		// A first run keeps every article of the window: many rows a
		// statement, not a statement a row.
		for start := 0; start < len(withFeatures); start += keptChunk {
			chunk := withFeatures[start:min(start+keptChunk, len(withFeatures))]
			var q strings.Builder
			q.WriteString("INSERT INTO article_features (article_id, features, story) VALUES ")
			args := make([]any, 0, 3*len(chunk))
			for i, k := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?)")
				args = append(args, k.Article.ID, k.Features, k.Story)
			}
			q.WriteString(" ON CONFLICT (article_id) DO UPDATE SET features = excluded.features, story = excluded.story")
			if _, err := tx.ExecContext(ctx, db.q(q.String()), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save kept features of %d articles: %w", len(kept), err)
	}
	return nil
}

// lastPerArticle returns kept without the entries whose article comes
// again later in it, in order.
func lastPerArticle(kept []digest.KeptArticle) []digest.KeptArticle {
	last := make(map[int64]int, len(kept))
	for i, k := range kept {
		last[k.Article.ID] = i
	}
	if len(last) == len(kept) {
		return kept
	}
	out := make([]digest.KeptArticle, 0, len(last))
	for i, k := range kept {
		if last[k.Article.ID] == i {
			out = append(out, k)
		}
	}
	return out
}

// keptChunk is how many articles one INSERT of features (3 parameters
// each) or one UPDATE of stories (2) carries, under SQLite's and
// Postgres's limits.
const keptChunk = 200

// textChunk is how many ids one query for texts carries.
const textChunk = 500

// ArticleTexts returns the texts of the articles with these ids, by id;
// unknown ids are left out.
func (db *DB) ArticleTexts(ctx context.Context, ids []int64) (map[int64]string, error) {
	out, err := byIDs[string](ctx, db, "SELECT id, body FROM articles WHERE id IN (", ids)
	if err != nil {
		return nil, fmt.Errorf("read article texts: %w", err)
	}
	return out, nil
}

// ArticleDetails returns the details of the articles with these ids, by
// id; unknown ids are left out.
func (db *DB) ArticleDetails(ctx context.Context, ids []int64) (map[int64]digest.ArticleDetail, error) {
	out := make(map[int64]digest.ArticleDetail, len(ids))
	err := inChunks(ctx, db, "SELECT id, guid, content_hash, fetched_at FROM articles WHERE id IN (", ids, func(sc scanner) error {
		var id int64
		var d digest.ArticleDetail
		if err := sc.Scan(&id, &d.GUID, &d.ContentHash, timeDest{&d.FetchedAt}); err != nil {
			return err
		}
		out[id] = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read article details: %w", err)
	}
	return out, nil
}

// KeptFeatures returns the features kept for the articles with these ids,
// by id; articles with none are left out.
func (db *DB) KeptFeatures(ctx context.Context, ids []int64) (map[int64][]byte, error) {
	out, err := byIDs[[]byte](ctx, db, "SELECT article_id, features FROM article_features WHERE article_id IN (", ids)
	if err != nil {
		return nil, fmt.Errorf("read kept features: %w", err)
	}
	return out, nil
}

// byIDs runs query, which selects an id and a value and ends in "IN (",
// for the ids, textChunk at a time, and returns the values by id.
func byIDs[V string | []byte](ctx context.Context, db *DB, query string, ids []int64) (map[int64]V, error) {
	out := make(map[int64]V, len(ids))
	err := inChunks(ctx, db, query, ids, func(sc scanner) error {
		var id int64
		var v V
		if err := sc.Scan(&id, &v); err != nil {
			return err
		}
		out[id] = v
		return nil
	})
	return out, err
}

// inChunks runs query, which ends in "IN (", for the ids, textChunk at a
// time, and calls scan for every row.
func inChunks(ctx context.Context, db *DB, query string, ids []int64, scan func(sc scanner) error) error {
	for start := 0; start < len(ids); start += textChunk {
		chunk := ids[start:min(start+textChunk, len(ids))]
		var q strings.Builder
		q.WriteString(query)
		args := make([]any, len(chunk))
		for i, id := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("?")
			args[i] = id
		}
		q.WriteString(")")
		if _, err := queryAll(ctx, db.run, db.q(q.String()), func(sc scanner) (struct{}, error) {
			return struct{}{}, scan(sc)
		}, args...); err != nil {
			return err
		}
	}
	return nil
}
