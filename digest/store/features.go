package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

var _ digest.FeatureStore = (*DB)(nil)

// keptCols are articleCols without the body and the details
// (digest.ArticleDetail), and the head of the kept features (digest.KeptHead,
// from the index that carries it: migration 0014) and story.
const keptCols = "a.id, a.source_id, a.source_name, a.url, a.title, a.published, a.language, f.head, COALESCE(s.story, 0)"

// KeptArticlesSince returns the articles published (or first seen) after
// since, oldest first, without their texts and details, each with the
// head of the features and the story kept for it (nil and 0 when none); a
// zero since means all.
//
// The rows are read in the order of their IDs, from the first article of
// the window on, and sorted here: a window is mostly the last articles
// stored, and read in the order they were published they were scattered
// over the table's pages, which SQLite then read about once per article
// (its page cache holds 2 MB), where in ID order it reads each page once.
// With the features' heads from their index, the read of a first run's
// window at 200 feeds (10,000 articles) made ~3,400 read syscalls instead
// of ~15,700. An article stored long ago but dated after since makes the
// read go through every row stored after it, each page once; the WHERE
// leaves out those outside the window.
func (db *DB) KeptArticlesSince(ctx context.Context, since time.Time) ([]digest.KeptArticle, error) {
	var args []any
	if !since.IsZero() {
		args = append(args, db.t(since), db.t(since))
	}
	query := db.keptSinceQuery(len(args) > 0)
	// The window's size first: its 10,000 rows of ~250 bytes grown by
	// appending made the read ~40 % slower and allocate twice the bytes
	// (BenchmarkDB_KeptArticlesSince). A hint only: rows stored meanwhile
	// are read all the same.
	var countArgs []any // one since: the count has no subquery
	if len(args) > 0 {
		countArgs = args[:1]
	}
	var size int
	if err := db.run.QueryRowContext(ctx, db.q(keptCountQuery(len(args) > 0)), countArgs...).Scan(&size); err != nil {
		return nil, fmt.Errorf("count kept articles: %w", err)
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
	out, err := queryAllSized(ctx, db.run, db.q(query), size, func(sc scanner) (digest.KeptArticle, error) {
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
	slices.SortFunc(out, func(x, y digest.KeptArticle) int {
		return cmp.Or(x.Article.Published.Compare(y.Article.Published), cmp.Compare(x.Article.ID, y.Article.ID))
	})
	return out, nil
}

// keptCountQuery counts the rows of keptSinceQuery(since) (one since
// argument, or none) from the published index alone, not the articles'
// rows (TestQueryPlans_KeptWindow).
func keptCountQuery(since bool) string {
	if since {
		return "SELECT count(*) FROM articles WHERE published > ?"
	}
	return "SELECT count(*) FROM articles"
}

// keptSinceQuery is KeptArticlesSince's query, with the since arguments
// (two) or without. The articles are read from the smallest ID in the
// window on, in ID order; min(id + 0) makes SQLite find that ID in the
// published index, not by reading the table from its first row until a
// row is in the window. SQLite is told to find the features' heads in the
// index that carries them: without statistics its planner prefers the
// primary key's (unique) index, and then reads the features' rows
// (TestQueryPlans_KeptWindow).
func (db *DB) keptSinceQuery(since bool) string {
	features := "article_features f"
	if db.dialect == SQLite {
		features += " INDEXED BY article_features_head_idx"
	}
	query := "SELECT " + keptCols + " FROM articles a LEFT JOIN " + features + " ON f.article_id = a.id" +
		" LEFT JOIN article_stories s ON s.article_id = a.id"
	if since {
		query += " WHERE a.id >= (SELECT min(id + 0) FROM articles WHERE published > ?) AND a.published > ?"
	}
	return query + " ORDER BY a.id"
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
	// Sized before they are filled: the cluster stage keeps a window's
	// 10,000 entries (~250 bytes each) at once, and growing the lists took
	// ~70 % of the bytes BenchmarkDB_SaveKeptStories allocates.
	nFeatures, nStories := 0, 0
	for _, k := range kept {
		if k.Features != nil {
			nFeatures++
		}
		if k.Story != 0 {
			nStories++
		}
	}
	withFeatures := make([]digest.KeptArticle, 0, nFeatures)
	assessed := map[string]map[int64]digest.Assessment{} // by version
	for _, k := range kept {
		if k.Features != nil {
			withFeatures = append(withFeatures, k)
		}
		if a := k.Assessed; a != nil {
			if assessed[a.Version] == nil {
				assessed[a.Version] = map[int64]digest.Assessment{}
			}
			assessed[a.Version][k.Article.ID] = a.Assessment
		}
	}
	// Stories, in their own table (see migration 0012): an article given
	// twice gets its last story, one without kept features none, and
	// story 0 is no row.
	set := make([]digest.KeptArticle, 0, nStories)
	var unset []int64
	for _, k := range lastPerArticle(kept) {
		if k.Story != 0 {
			set = append(set, k)
		} else {
			unset = append(unset, k.Article.ID)
		}
	}
	// In article order, the order of the stories' table: a first run's
	// stories come story by story, and their rows inserted in that order
	// landed all over the table's pages.
	slices.SortFunc(set, func(a, b digest.KeptArticle) int { return cmp.Compare(a.Article.ID, b.Article.ID) })
	// A first run keeps every article of the window: many rows a
	// statement, not a statement a row (rowsStatement, prepared only for
	// what a store uses).
	features := db.rowsStatement(ctx, keepFeaturesRows)
	var stories, assessments *rowsStatement
	if len(set) > 0 {
		stories = db.rowsStatement(ctx, keepStoriesRows)
	}
	if len(assessed) > 0 {
		assessments = db.rowsStatement(ctx, saveAssessmentsRows)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for start, end := range features.chunks(len(withFeatures)) {
			chunk := withFeatures[start:end]
			args := make([]any, 0, 3*len(chunk))
			for _, k := range chunk {
				args = append(args, k.Article.ID, k.Features, k.Features[:min(digest.KeptHead, len(k.Features))])
			}
			if _, err := features.exec(ctx, tx, len(chunk), args...); err != nil {
				return err
			}
		}
		for start, end := range stories.chunks(len(set)) {
			chunk := set[start:end]
			args := make([]any, 0, 2*len(chunk))
			for _, k := range chunk {
				args = append(args, k.Article.ID, k.Story)
			}
			if _, err := stories.exec(ctx, tx, len(chunk), args...); err != nil {
				return err
			}
		}
		for _, version := range slices.Sorted(maps.Keys(assessed)) {
			if err := saveAssessments(ctx, tx, assessments, version, assessed[version]); err != nil {
				return err
			}
		}
		for chunk := range slices.Chunk(unset, textChunk) {
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			if _, err := tx.ExecContext(ctx, db.chunkQuery("DELETE FROM article_stories WHERE article_id IN ("+valueRows("?", len(chunk))+")"), args...); err != nil {
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

// keepFeaturesQuery is saveKept's statement for the features of n
// articles.
func (db *DB) keepFeaturesQuery(n int) string {
	return db.q("INSERT INTO article_features (article_id, features, head) VALUES " + valueRows("(?, ?, ?)", n) +
		" ON CONFLICT (article_id) DO UPDATE SET features = excluded.features, head = excluded.head")
}

// keepStoriesQuery is saveKept's statement for the stories of n articles.
// The WHERE also settles SQLite's reading of ON CONFLICT after INSERT …
// SELECT.
func (db *DB) keepStoriesQuery(n int) string {
	return db.chunkQuery("INSERT INTO article_stories (article_id, story) SELECT v.column1, v.column2 FROM (VALUES " +
		valueRows("(CAST(? AS BIGINT), CAST(? AS BIGINT))", n) +
		") AS v WHERE v.column1 IN (SELECT article_id FROM article_features)" +
		" ON CONFLICT (article_id) DO UPDATE SET story = excluded.story")
}

// valueRows returns n copies of row joined by ", ": the VALUES or IN list of a
// statement that carries n rows.
func valueRows(row string, n int) string {
	var b strings.Builder
	b.Grow(n * (len(row) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
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
// each), assessments (4) or stories (2) carries on Postgres, under its
// parameter limit. (SQLite's come in the sizes of rowsLadder.)
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
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		if _, err := queryAll(ctx, db.run, db.q(query+valueRows("?", len(chunk))+")"), func(sc scanner) (struct{}, error) {
			return struct{}{}, scan(sc)
		}, args...); err != nil {
			return err
		}
	}
	return nil
}

var _ digest.AssessmentStore = (*DB)(nil)

// Assessments returns the assessments kept under version for the articles
// with these ids, by id; the others are left out.
func (db *DB) Assessments(ctx context.Context, version string, ids []int64) (map[int64]digest.Assessment, error) {
	out := make(map[int64]digest.Assessment, len(ids))
	// One copy of each list of topics: a window's leads share a few.
	shared := map[string][]string{}
	err := inChunks(ctx, db, "SELECT article_id, version, relevance, topics FROM article_assessments WHERE article_id IN (", ids, func(sc scanner) error {
		var id int64
		var v, topics string
		var a digest.Assessment
		if err := sc.Scan(&id, &v, &a.Relevance, &topics); err != nil {
			return err
		}
		if v != version {
			return nil
		}
		list, ok := shared[topics]
		if !ok {
			if err := (listDest{&list}).Scan(topics); err != nil {
				return err
			}
			shared[topics] = list
		}
		a.Topics = list
		out[id] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read assessments: %w", err)
	}
	return out, nil
}

// SaveAssessments keeps the assessments (by article id) under version in
// one transaction, in place of any kept for those articles before; an
// unknown article is left out.
func (db *DB) SaveAssessments(ctx context.Context, version string, assessed map[int64]digest.Assessment) error {
	st := db.rowsStatement(ctx, saveAssessmentsRows)
	err := db.inTx(ctx, func(tx *sql.Tx) error { return saveAssessments(ctx, tx, st, version, assessed) })
	if err != nil {
		return fmt.Errorf("save assessments of %d articles: %w", len(assessed), err)
	}
	return nil
}

// saveAssessments is SaveAssessments (and saveKept's assessments) in tx,
// with st, their statement (saveAssessmentsQuery).
func saveAssessments(ctx context.Context, tx *sql.Tx, st *rowsStatement, version string, assessed map[int64]digest.Assessment) error {
	ids := slices.Sorted(maps.Keys(assessed))
	for start, end := range st.chunks(len(ids)) {
		chunk := ids[start:end]
		args := make([]any, 0, 4*len(chunk))
		for _, id := range chunk {
			a := assessed[id]
			args = append(args, id, version, a.Relevance, jsonList(a.Topics))
		}
		if _, err := st.exec(ctx, tx, len(chunk), args...); err != nil {
			return err
		}
	}
	return nil
}

// saveAssessmentsQuery is SaveAssessments' statement for n articles.
func (db *DB) saveAssessmentsQuery(n int) string {
	return db.chunkQuery("INSERT INTO article_assessments (article_id, version, relevance, topics) SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES " +
		valueRows("(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT))", n) +
		") AS v WHERE v.column1 IN (SELECT id FROM articles)" +
		" ON CONFLICT (article_id) DO UPDATE SET version = excluded.version, relevance = excluded.relevance, topics = excluded.topics")
}
