package store

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"sync"
)

// maxCachedStmts bounds the statement cache: queries are written as
// constants, so a store uses a few dozen texts; the bound only guards
// against a caller building texts without end.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per query text so that a hot query
// is parsed and planned once per connection instead of on every call. On
// SQLite parsing cost as much CPU as running the ledger's statements (about
// 15 % of a delivery in BenchmarkDeliver). It is only used on SQLite: pgx
// already prepares and caches every statement per connection
// (QueryExecModeCacheStatement), and a database/sql Stmt over a pool of 20
// connections would prepare each text again on every connection.
//
// It implements querier. A statement is prepared without holding the mutex,
// so a goroutine waiting for SQLite's single connection never blocks one
// that holds it; a lost race closes the extra statement.
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	closed bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: make(map[string]*sql.Stmt)}
}

// stmt returns the cached statement for query, preparing it on first use;
// nil when it cannot (the cache is full or closed, or Prepare failed), and
// the caller then runs the text directly, which reports any error itself.
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := c.closed || len(c.stmts) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.stmts[query]; ok || c.closed {
		_ = st.Close()
		return old
	}
	c.stmts[query] = st
	return st
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.db.ExecContext(ctx, query, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.QueryContext(ctx, query, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.QueryRowContext(ctx, query, args...)
}

// Close closes the cached statements; later calls run texts directly.
func (c *stmtCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
	c.closed = true
}

// rowsLadder is the sizes, largest first, of the chunks in which a
// statement of many rows (an INSERT of n rows) writes them on SQLite. Its
// text depends on its number of rows, and SQLite parses every new text
// afresh: the gather's inserts of articles, features and assessments, a
// few dozen rows at a time and in every size, spent ~0.1 s of a first
// run's CPU at 200 feeds parsing them, all of it on the store's one
// connection (`_sqlite3RunParser` 114 → 14 ms a run in the CPU profiles
// of `CPUPROFILE=dir scripts/bench-first-run.sh`). In these four sizes,
// prepared once for the process, n rows take at most n/64 + 9 statements.
var rowsLadder = [...]int{64, 16, 4, 1}

// rowsQuery names a statement of many rows (see rowsStatement).
type rowsQuery int

const (
	insertArticlesRows  rowsQuery = iota // insertArticlesQuery
	keepFeaturesRows                     // keepFeaturesQuery
	saveAssessmentsRows                  // saveAssessmentsQuery
	keepStoriesRows                      // keepStoriesQuery
	rowsQueries                          // how many there are
)

// rowsText returns the text of statement q for n rows.
func (db *DB) rowsText(q rowsQuery, n int) string {
	switch q {
	case insertArticlesRows:
		return db.insertArticlesQuery(n)
	case keepFeaturesRows:
		return db.keepFeaturesQuery(n)
	case saveAssessmentsRows:
		return db.saveAssessmentsQuery(n)
	case keepStoriesRows:
		return db.keepStoriesQuery(n)
	}
	panic(fmt.Sprintf("store: no statement of many rows %d", q))
}

// maxRows is the most rows a chunk of statement q carries where it is
// not prepared (Postgres): as many as fit its parameters comfortably.
func (q rowsQuery) maxRows() int {
	if q == insertArticlesRows {
		return articleChunk
	}
	return keptChunk
}

// rowsStatement is a statement of many rows in the sizes it is run in:
// on SQLite those of rowsLadder, each prepared once for the process
// (DB.rowsStatement); on Postgres, whose driver prepares and caches every
// text itself, as many rows as q.maxRows.
type rowsStatement struct {
	db       *DB
	query    rowsQuery
	prepared [len(rowsLadder)]*sql.Stmt // on SQLite; nil where not prepared
}

// rowsStatement returns statement q of many rows. On SQLite it is
// prepared the first time, which must be done outside a transaction:
// preparing takes SQLite's one connection, which a transaction of the
// caller's would hold. Once every size is prepared (or on Postgres) it
// is kept, so that later calls build no text.
func (db *DB) rowsStatement(ctx context.Context, q rowsQuery) *rowsStatement {
	if r := db.rows[q].Load(); r != nil {
		return r
	}
	r := &rowsStatement{db: db, query: q}
	if db.stmts != nil {
		for i, n := range rowsLadder {
			if r.prepared[i] = db.stmts.stmt(ctx, db.rowsText(q, n)); r.prepared[i] == nil {
				return r // tried again next time
			}
		}
	}
	db.rows[q].Store(r)
	return r
}

// chunks yields the bounds [start, end) of the chunks that n rows are
// written in, in order; none for a nil rowsStatement (one not made, as
// there were no rows).
func (r *rowsStatement) chunks(n int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		for start := 0; r != nil && start < n; {
			size := min(n-start, r.query.maxRows())
			if r.db.stmts != nil {
				for _, s := range rowsLadder {
					if s <= n-start {
						size = s
						break
					}
				}
			}
			if !yield(start, start+size) {
				return
			}
			start += size
		}
	}
}

// stmt returns the prepared statement of n rows in tx; nil when there is
// none, and the text is run instead.
func (r *rowsStatement) stmt(ctx context.Context, tx *sql.Tx, n int) *sql.Stmt {
	for i, s := range rowsLadder {
		if s == n && r.prepared[i] != nil {
			return tx.StmtContext(ctx, r.prepared[i])
		}
	}
	return nil
}

// exec runs the statement of n rows (a chunk's) in tx.
func (r *rowsStatement) exec(ctx context.Context, tx *sql.Tx, n int, args ...any) (sql.Result, error) {
	if st := r.stmt(ctx, tx, n); st != nil {
		defer st.Close()
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, r.db.rowsText(r.query, n), args...)
}

// queryRows runs the statement of n rows in tx for the rows it returns
// (RETURNING). The statement in tx is closed with tx.
func (r *rowsStatement) queryRows(ctx context.Context, tx *sql.Tx, n int, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, tx, n); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, r.db.rowsText(r.query, n), args...)
}
