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

// prepareOnce prepares query for one call's transaction, outside the
// statement cache (on SQLite; nil on Postgres, or when it cannot): a
// statement that one call runs many times (a first run's stories and
// assessments: ~50 chunks of 200 rows at 200 feeds) is prepared once
// instead of once a chunk, and its prepared form (a few hundred KB) is not
// kept for the rest of the process, whose peak of memory it would raise.
// The caller runs it in the transaction with execIn and closes it
// (closeStmt) once the transaction is over.
func (db *DB) prepareOnce(ctx context.Context, query string) *sql.Stmt {
	if db.stmts == nil {
		return nil
	}
	st, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil // execIn runs the text, which reports the error
	}
	return st
}

// closeStmt closes st unless it is nil.
func closeStmt(st *sql.Stmt) {
	if st != nil {
		_ = st.Close()
	}
}

// execIn runs query in tx through st, the statement prepared for it
// (prepareOnce), or as text when st is nil.
func execIn(ctx context.Context, tx *sql.Tx, st *sql.Stmt, query string, args ...any) (sql.Result, error) {
	if st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}
