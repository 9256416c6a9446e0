package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

const articleCols = "id, source_id, source_name, guid, url, title, body, published, fetched_at, content_hash, language"

// SaveArticles stores the articles not already known by canonical URL, GUID
// within their source, or identity key (digest.IdentityKey: title and a
// text long enough to identify the article), in one transaction, and
// returns what became of each, in input order. Repeats inside the batch
// count as known: the first one wins, as in the feed's order. An empty
// ContentHash is computed from Text; a zero Published becomes FetchedAt (or
// now), the article's first-seen time.
//
// Concurrent calls share a transaction (see group): a gather saves each
// source's articles as the source comes in, and on SQLite, where every
// write goes through one connection in turn, a commit per source made the
// connection the gather's bottleneck.
func (db *DB) SaveArticles(ctx context.Context, articles []digest.Article) ([]digest.Saved, error) {
	if len(articles) == 0 {
		return nil, nil
	}
	return db.gathered.articles.do(ctx, articles, 0, 0)
}

// saveArticlesMany saves the batches of several SaveArticles calls in one
// transaction, as if they were saved one after the other in this order.
// When that fails, each batch is tried again alone, so that one caller's
// failure is not everyone's.
func (db *DB) saveArticlesMany(ctx context.Context, batches [][]digest.Article) ([][]digest.Saved, []error) {
	return togetherOrAlone(batches, func() ([][]digest.Saved, error) {
		saved, err := db.saveArticles(ctx, slices.Concat(batches...))
		if err != nil {
			return nil, err
		}
		out := make([][]digest.Saved, len(batches))
		for i, b := range batches {
			out[i], saved = saved[:len(b):len(b)], saved[len(b):]
		}
		return out, nil
	}, func(b []digest.Article) ([]digest.Saved, error) { return db.saveArticles(ctx, b) })
}

// saveArticles is SaveArticles for one batch.
func (db *DB) saveArticles(ctx context.Context, articles []digest.Article) ([]digest.Saved, error) {
	now := db.now()
	prepared := make([]digest.Article, len(articles))
	idents := make([]string, len(articles))
	for i, a := range articles {
		prepared[i] = a.ForStorage(now)
		idents[i] = digest.IdentityKey(prepared[i])
	}
	// Insert the first occurrences in one global order, so that two
	// transactions saving the same articles (replicas gathering syndicated
	// copies) wait for each other instead of deadlocking; inTx retries the
	// rare cycles left.
	firsts, repeats := firstOccurrences(prepared, idents)
	order := slices.Clone(firsts)
	sort.SliceStable(order, func(x, y int) bool {
		a, b := order[x], order[y]
		if idents[a] != idents[b] {
			return idents[a] < idents[b]
		}
		return prepared[a].URL < prepared[b].URL
	})
	var out []digest.Saved
	insert := db.rowsStatement(ctx, insertArticlesRows)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		out = make([]digest.Saved, len(prepared)) // afresh on a retry
		for i, a := range prepared {
			out[i].Article = a
		}
		for start, end := range insert.chunks(len(order)) {
			chunk := order[start:end]
			if err := db.insertArticles(ctx, tx, insert, prepared, idents, chunk, now, out); err != nil {
				return err
			}
			if err := db.findDuplicates(ctx, tx, prepared, idents, chunk, out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save articles: %w", err)
	}
	for i, r := range repeats {
		first := out[r.of]
		out[i].DuplicateOf, out[i].Key = cmp.Or(first.Article.ID, first.DuplicateOf), r.key
	}
	for i := range out {
		if out[i].New {
			a := &out[i].Article
			a.Published = a.Published.UTC().Truncate(time.Microsecond)
			a.FetchedAt = a.FetchedAt.UTC().Truncate(time.Microsecond)
		}
	}
	return out, nil
}

// articleChunk is how many articles one INSERT carries on Postgres: 12
// parameters each, well under its parameter limit, and one round trip
// instead of a hundred. (SQLite's come in the sizes of rowsLadder.)
const articleChunk = 100

// insertArticlesQuery is insertArticles' statement for n articles.
func (db *DB) insertArticlesQuery(n int) string {
	return db.q("INSERT INTO articles (source_id, source_name, guid, url, title, body, published, fetched_at, content_hash, identity_key, language, created_at) VALUES " +
		valueRows("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n) +
		" ON CONFLICT DO NOTHING RETURNING id, source_id, guid, url, identity_key")
}

// articleKey identifies a row that an INSERT ... RETURNING gives back.
type articleKey struct{ source, guid, url, ident string }

// insertArticles inserts the articles at idx in one statement, and marks
// those stored New with their IDs in out. ON CONFLICT without a target
// skips a row that breaks any of the three unique indexes, on both
// databases.
func (db *DB) insertArticles(ctx context.Context, tx *sql.Tx, insert *rowsStatement, articles []digest.Article, idents []string, idx []int, now time.Time, out []digest.Saved) error {
	args := make([]any, 0, 12*len(idx))
	byKey := make(map[articleKey][]int, len(idx))
	for _, i := range idx {
		a := articles[i]
		args = append(args, a.SourceID, a.SourceName, a.GUID, a.URL, a.Title, a.Text,
			db.t(a.Published), db.t(a.FetchedAt), a.ContentHash, idents[i], a.Language, db.t(now))
		k := articleKey{a.SourceID, a.GUID, a.URL, idents[i]}
		byKey[k] = append(byKey[k], i)
	}
	rows, err := insert.queryRows(ctx, tx, len(idx), args...)
	if err != nil {
		return fmt.Errorf("insert articles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k articleKey
		if err := rows.Scan(&id, &k.source, &k.guid, &k.url, &k.ident); err != nil {
			return fmt.Errorf("insert articles: %w", err)
		}
		// Only articles without URL, GUID and identity key can share a
		// key, and then any of them may take the id.
		list := byKey[k]
		if len(list) == 0 {
			return fmt.Errorf("insert articles: the database returned an article that was not sent (%q)", k.url)
		}
		out[list[0]].Article.ID = id
		out[list[0]].New = true
		byKey[k] = list[1:]
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert articles: %w", err)
	}
	return nil
}

// findDuplicates' query: duplicatesSelect, then one OR term per key of
// each skipped article. Each term repeats its index's condition (url <> ”
// and so on): the unique indexes are partial, and SQLite's planner may not
// use a partial index for "url = ?" alone (the argument could be ”), so
// without it a re-gather scanned the whole articles table once per batch
// (TestQueryPlans_FindDuplicates).
const (
	duplicatesSelect    = "SELECT id, source_id, guid, url, identity_key FROM articles WHERE "
	duplicateByURL      = "(url = ? AND url <> '')"
	duplicateByGUID     = "(source_id = ? AND guid = ? AND guid <> '')"
	duplicateByIdentity = "(identity_key = ? AND identity_key <> '')"
)

// findDuplicates sets DuplicateOf and Key on the articles at idx that the
// INSERT skipped, from one query for the stored rows sharing a URL, a GUID
// or an identity key with them.
func (db *DB) findDuplicates(ctx context.Context, tx *sql.Tx, articles []digest.Article, idents []string, idx []int, out []digest.Saved) error {
	var q strings.Builder
	q.WriteString(duplicatesSelect)
	var args []any
	or := func() {
		if len(args) > 0 {
			q.WriteString(" OR ")
		}
	}
	for _, i := range idx {
		if out[i].New {
			continue
		}
		a := articles[i]
		if a.URL != "" {
			or()
			q.WriteString(duplicateByURL)
			args = append(args, a.URL)
		}
		if a.GUID != "" {
			or()
			q.WriteString(duplicateByGUID)
			args = append(args, a.SourceID, a.GUID)
		}
		if idents[i] != "" {
			or()
			q.WriteString(duplicateByIdentity)
			args = append(args, idents[i])
		}
	}
	if len(args) == 0 {
		return nil
	}
	found, err := db.storedUnder(ctx, tx, q.String(), args)
	if err != nil {
		return fmt.Errorf("find stored duplicates: %w", err)
	}
	for _, i := range idx {
		if out[i].New {
			continue
		}
		a := articles[i]
		if id, ok := found.byURL[a.URL]; ok && a.URL != "" {
			out[i].DuplicateOf, out[i].Key = id, digest.DuplicateURL
		} else if id, ok := found.byGUID[[2]string{a.SourceID, a.GUID}]; ok && a.GUID != "" {
			out[i].DuplicateOf, out[i].Key = id, digest.DuplicateGUID
		} else if id, ok := found.byIdent[idents[i]]; ok && idents[i] != "" {
			out[i].DuplicateOf, out[i].Key = id, digest.DuplicateContent
		}
	}
	return nil
}

// storedIDs are the IDs of stored rows by URL, by source and GUID, and by
// identity key.
type storedIDs struct {
	byURL   map[string]int64
	byGUID  map[[2]string]int64
	byIdent map[string]int64
}

// storedUnder runs query (duplicatesSelect and its terms) through q and
// returns the rows it finds.
func (db *DB) storedUnder(ctx context.Context, q querier, query string, args []any) (storedIDs, error) {
	found := storedIDs{map[string]int64{}, map[[2]string]int64{}, map[string]int64{}}
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return found, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k articleKey
		if err := rows.Scan(&id, &k.source, &k.guid, &k.url, &k.ident); err != nil {
			return found, err
		}
		if k.url != "" {
			found.byURL[k.url] = id
		}
		if k.guid != "" {
			found.byGUID[[2]string{k.source, k.guid}] = id
		}
		if k.ident != "" {
			found.byIdent[k.ident] = id
		}
	}
	return found, rows.Err()
}

// storedKeysChunk is how many URLs and how many GUIDs one query of
// StoredKeys asks for. A shorter list is padded with empty keys, which
// match nothing, so that every query has the same text and is prepared
// once (db.run caches statements by text on SQLite).
const storedKeysChunk = 50

// StoredKeys returns the stored articles under the given canonical URLs
// (of any source) and the given GUIDs of sourceID; empty keys are
// ignored. A gather asks it for a feed's items before it reads them in
// full, and leaves out those the store holds (digest.FetchResult.Known):
// they would be duplicates under the same URL or GUID.
func (db *DB) StoredKeys(ctx context.Context, sourceID string, urls, guids []string) (digest.StoredKeys, error) {
	out := digest.StoredKeys{ByURL: map[string]int64{}, ByGUID: map[string]int64{}}
	sourceID = digest.StorableText(sourceID) // as SaveArticles stores it
	for start := 0; start < max(len(urls), len(guids)); start += storedKeysChunk {
		var q strings.Builder
		q.WriteString(duplicatesSelect)
		args := make([]any, 0, 3*storedKeysChunk)
		for i := start; i < start+storedKeysChunk; i++ {
			if i > start {
				q.WriteString(" OR ")
			}
			q.WriteString(duplicateByURL)
			args = append(args, keyAt(urls, i))
		}
		for i := start; i < start+storedKeysChunk; i++ {
			q.WriteString(" OR ")
			q.WriteString(duplicateByGUID)
			args = append(args, sourceID, keyAt(guids, i))
		}
		found, err := db.storedUnder(ctx, db.run, q.String(), args)
		if err != nil {
			return digest.StoredKeys{}, fmt.Errorf("find stored articles of %q: %w", sourceID, err)
		}
		maps.Copy(out.ByURL, found.byURL)
		for k, id := range found.byGUID {
			if k[0] == sourceID {
				out.ByGUID[k[1]] = id
			}
		}
	}
	return out, nil
}

// keyAt returns keys[i], or "" past its end.
func keyAt(keys []string, i int) string {
	if i < len(keys) {
		return keys[i]
	}
	return ""
}

// repeat marks an article that repeats an earlier one of its batch.
type repeat struct {
	of  int    // index of the first occurrence
	key string // digest.DuplicateURL, DuplicateGUID or DuplicateContent
}

// firstOccurrences returns the indexes of the articles that do not repeat
// an earlier one's URL, source GUID or identity key (empty values do not
// count), and for each of the others the first occurrence it repeats.
func firstOccurrences(articles []digest.Article, idents []string) ([]int, map[int]repeat) {
	seen := make(map[string]int, 3*len(articles))
	var firsts []int
	repeats := map[int]repeat{}
	for i, a := range articles {
		type kv struct{ k, name string }
		keys := make([]kv, 0, 3)
		if a.URL != "" {
			keys = append(keys, kv{"u\x00" + a.URL, digest.DuplicateURL})
		}
		if a.GUID != "" {
			keys = append(keys, kv{"g\x00" + a.SourceID + "\x00" + a.GUID, digest.DuplicateGUID})
		}
		if idents[i] != "" {
			keys = append(keys, kv{"i\x00" + idents[i], digest.DuplicateContent})
		}
		if j := slices.IndexFunc(keys, func(k kv) bool { _, ok := seen[k.k]; return ok }); j >= 0 {
			repeats[i] = repeat{seen[keys[j].k], keys[j].name}
			continue
		}
		for _, k := range keys {
			seen[k.k] = i
		}
		firsts = append(firsts, i)
	}
	return firsts, repeats
}

// ArticlesSince returns the articles published (or first seen) after since,
// oldest first; a zero since means all of them.
func (db *DB) ArticlesSince(ctx context.Context, since time.Time) ([]digest.Article, error) {
	query, args := "SELECT "+articleCols+" FROM articles", []any{}
	if !since.IsZero() {
		query, args = query+" WHERE published > ?", append(args, db.t(since))
	}
	out, err := queryAll(ctx, db.run, db.q(query+" ORDER BY published, id"), scanArticle, args...)
	if err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	return out, nil
}

func scanArticle(sc scanner) (digest.Article, error) {
	var a digest.Article
	err := sc.Scan(&a.ID, &a.SourceID, &a.SourceName, &a.GUID, &a.URL, &a.Title, &a.Text,
		timeDest{&a.Published}, timeDest{&a.FetchedAt}, &a.ContentHash, &a.Language)
	return a, err
}

const sourceStateCols = "source_id, etag, last_modified, last_success, last_attempt, last_error, consecutive_failures, first_gathered"

func scanSourceState(sc scanner) (digest.SourceState, error) {
	var st digest.SourceState
	err := sc.Scan(&st.SourceID, &st.ETag, &st.LastModified, timeDest{&st.LastSuccess}, timeDest{&st.LastAttempt},
		&st.LastError, &st.ConsecutiveFailures, timeDest{&st.FirstGathered})
	return st, err
}

// SourceState returns the state of a source; a zero state with SourceID set
// when the source is unknown.
func (db *DB) SourceState(ctx context.Context, sourceID string) (digest.SourceState, error) {
	st, err := scanSourceState(db.run.QueryRowContext(ctx, db.q("SELECT "+sourceStateCols+" FROM source_states WHERE source_id = ?"), sourceID))
	if errors.Is(err, sql.ErrNoRows) {
		return digest.SourceState{SourceID: sourceID}, nil
	}
	if err != nil {
		return digest.SourceState{}, fmt.Errorf("read source state %q: %w", sourceID, err)
	}
	return st, nil
}

// SaveSourceState stores st, replacing the previous state of the source.
// Concurrent calls share a transaction (see group), as SaveArticles' do.
func (db *DB) SaveSourceState(ctx context.Context, st digest.SourceState) error {
	if st.SourceID == "" {
		return errors.New("save source state: empty source id")
	}
	_, err := db.gathered.states.do(ctx, st, 0, 0)
	return err
}

// saveSourceStates stores the states of several SaveSourceState calls in
// one transaction, in order (a later state of the same source wins); when
// that fails, each is tried again alone.
func (db *DB) saveSourceStates(ctx context.Context, states []digest.SourceState) ([]struct{}, []error) {
	return togetherOrAlone(states, func() ([]struct{}, error) {
		return nil, db.inTx(ctx, func(tx *sql.Tx) error {
			for _, st := range states {
				if err := db.saveSourceState(ctx, tx, st); err != nil {
					return err
				}
			}
			return nil
		})
	}, func(st digest.SourceState) (struct{}, error) { return struct{}{}, db.saveSourceState(ctx, db.run, st) })
}

// saveSourceState is SaveSourceState for one state, through q.
func (db *DB) saveSourceState(ctx context.Context, q querier, st digest.SourceState) error {
	_, err := q.ExecContext(ctx, db.q(`INSERT INTO source_states (`+sourceStateCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source_id) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
			last_success = excluded.last_success, last_attempt = excluded.last_attempt,
			last_error = excluded.last_error, consecutive_failures = excluded.consecutive_failures,
			first_gathered = excluded.first_gathered`),
		st.SourceID, digest.StorableText(st.ETag), digest.StorableText(st.LastModified), db.t(st.LastSuccess), db.t(st.LastAttempt), digest.StorableText(st.LastError),
		st.ConsecutiveFailures, db.t(st.FirstGathered))
	if err != nil {
		return fmt.Errorf("save source state %q: %w", st.SourceID, err)
	}
	return nil
}

// SourceStates returns the state of every known source, by source id.
func (db *DB) SourceStates(ctx context.Context) ([]digest.SourceState, error) {
	out, err := queryAll(ctx, db.run, "SELECT "+sourceStateCols+" FROM source_states ORDER BY source_id", scanSourceState)
	if err != nil {
		return nil, fmt.Errorf("list source states: %w", err)
	}
	return out, nil
}

// AddSource registers a source added with `digest sources add`;
// digest.ErrConflict when it is registered already.
func (db *DB) AddSource(ctx context.Context, source string) error {
	res, err := db.run.ExecContext(ctx, db.q("INSERT INTO registered_sources (source, added_at) VALUES (?, ?) ON CONFLICT (source) DO NOTHING"),
		source, db.t(db.now()))
	if err != nil {
		return fmt.Errorf("add source %q: %w", source, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("add source %q: %w", source, digest.ErrConflict)
	}
	return nil
}

// RemoveSource unregisters a source; digest.ErrNotFound when it is not
// registered. Its articles and state stay.
func (db *DB) RemoveSource(ctx context.Context, source string) error {
	res, err := db.run.ExecContext(ctx, db.q("DELETE FROM registered_sources WHERE source = ?"), source)
	if err != nil {
		return fmt.Errorf("remove source %q: %w", source, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove source %q: %w", source, digest.ErrNotFound)
	}
	return nil
}

// RegisteredSources lists the registered sources in the order they were
// added.
func (db *DB) RegisteredSources(ctx context.Context) ([]string, error) {
	out, err := queryAll(ctx, db.run, "SELECT source FROM registered_sources ORDER BY added_at, source", func(sc scanner) (string, error) {
		var s string
		return s, sc.Scan(&s)
	})
	if err != nil {
		return nil, fmt.Errorf("list registered sources: %w", err)
	}
	return out, nil
}

// Summary returns the cached summary for (contentHash, version), or
// digest.ErrNotFound.
func (db *DB) Summary(ctx context.Context, contentHash, version string) (digest.Summary, error) {
	var s digest.Summary
	var fallback int
	err := db.run.QueryRowContext(ctx, db.q(`SELECT content_hash, version, backend, headline, body, key_points,
		countries, topics, importance, fallback, fallback_reason, prompt_tokens, completion_tokens, created_at
		FROM summaries WHERE content_hash = ? AND version = ?`), contentHash, version).Scan(
		&s.ContentHash, &s.Version, &s.Backend, &s.Headline, &s.Text, listDest{&s.KeyPoints},
		listDest{&s.Countries}, listDest{&s.Topics}, &s.Importance, &fallback, &s.FallbackReason,
		&s.PromptTokens, &s.CompletionTokens, timeDest{&s.CreatedAt})
	if err != nil {
		return digest.Summary{}, fmt.Errorf("read summary: %w", noRows(err))
	}
	s.Fallback = fallback != 0
	return s, nil
}

// SaveSummary caches s; when (ContentHash, Version) is cached already the
// first one is kept.
func (db *DB) SaveSummary(ctx context.Context, s digest.Summary) error {
	if s.ContentHash == "" || s.Version == "" {
		return errors.New("save summary: content hash and version are required")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = db.now()
	}
	s.Headline, s.Text, s.FallbackReason = digest.StorableText(s.Headline), digest.StorableText(s.Text), digest.StorableText(s.FallbackReason)
	fallback := 0
	if s.Fallback {
		fallback = 1
	}
	_, err := db.run.ExecContext(ctx, db.q(`INSERT INTO summaries (content_hash, version, backend, headline, body,
		key_points, countries, topics, importance, fallback, fallback_reason, prompt_tokens, completion_tokens, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (content_hash, version) DO NOTHING`),
		s.ContentHash, s.Version, s.Backend, s.Headline, s.Text, jsonList(s.KeyPoints), jsonList(s.Countries),
		jsonList(s.Topics), s.Importance, fallback, s.FallbackReason, s.PromptTokens, s.CompletionTokens, db.t(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("save summary: %w", err)
	}
	return nil
}
