package store

import (
	"context"
	"database/sql"
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

// chunkStmt returns query, the statement for a full chunk of rows,
// prepared in tx when rows fill at least one chunk, so that a call that
// runs it for many chunks (a first run's stories and assessments: ~50
// chunks of 200 rows at 200 feeds) parses it once instead of once a chunk.
// database/sql closes it when tx ends, so its prepared form (a few
// hundred KB) is not kept for the rest of the process, whose peak of
// memory it would raise. nil on Postgres, whose driver prepares and
// caches every statement itself, and when it cannot be prepared (the
// text then runs and reports the error).
func (db *DB) chunkStmt(ctx context.Context, tx *sql.Tx, rows int, query string) *sql.Stmt {
	if db.stmts == nil || rows < keptChunk {
		return nil
	}
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	return st
}

// execChunk runs query, the statement of a chunk of n rows, in tx:
// through full (chunkStmt) when there is one and the chunk is full.
func execChunk(ctx context.Context, tx *sql.Tx, full *sql.Stmt, n int, query string, args ...any) (sql.Result, error) {
	if full != nil && n == keptChunk {
		return full.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}
