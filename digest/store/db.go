// Package store keeps the digest's state in SQLite (embedded, the default)
// or Postgres (several replicas) through database/sql, with one code path for
// both: queries are written once with `?` placeholders and rebound to `$n`
// for Postgres; migrations are written once with a few dialect tokens.
//
// Times are stored in UTC with microsecond precision (TEXT in a fixed-width,
// sortable RFC 3339 form on SQLite, TIMESTAMPTZ on Postgres) and read back
// as UTC. Lists (topics, key points) and run reports are stored as JSON text.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/tradedigest/tradedigest/digest"
)

// Dialect names returned by (*DB).Dialect.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DefaultPath is the SQLite file used when the DSN is empty.
const DefaultPath = "./digest.db"

// sqliteTimeFormat is fixed-width so that comparing the TEXT columns compares
// the instants.
const sqliteTimeFormat = "2006-01-02T15:04:05.000000Z"

var _ digest.Store = (*DB)(nil)

// DB is the digest store. It is safe for concurrent use.
//
// On SQLite the pool holds a single connection: every statement of this
// process goes through it in turn, so writers in one process never meet
// SQLITE_BUSY and a deferred transaction can never deadlock on its lock
// upgrade. Other processes on the same file (digest now beside digest serve)
// are handled by WAL (readers never block the writer), busy_timeout (a writer
// waits up to 10 s for the lock) and BEGIN IMMEDIATE (a transaction takes the
// write lock when it starts, where the busy timeout applies, rather than in
// the middle where SQLite must fail it). River's SQLite driver also wants a
// single open connection, so SQL() can be shared with it.
type DB struct {
	// Now is the clock used for timestamps the caller does not pass
	// (created_at, updated_at). It defaults to time.Now; set it before use.
	Now func() time.Time

	sql *sql.DB
	run querier // db.sql, or its statement cache on SQLite
	// once is db.sql, counted: for statements whose text varies with their
	// size (the ledger's group and chunk statements), which the statement
	// cache must not keep.
	once    querier
	stmts   *stmtCache // nil on Postgres
	dialect string
	path    string
	dsn     string // Postgres only, for PgxPool
	log     *slog.Logger

	rebound sync.Map // query text → query with $n placeholders (Postgres)
	// rows are the statements of many rows, once made (rowsStatement).
	rows [rowsQueries]atomic.Pointer[rowsStatement]

	// stmts and txs count what the store has run (Stats).
	counts struct{ stmts, txs atomic.Int64 }

	// groups batch the ledger writes of one delivery (see group).
	groups struct {
		ensure group[digest.Delivery, digest.Delivery]
		claim  group[claimReq, digest.Delivery]
		sent   group[sentReq, struct{}]
	}
	// gathered batch a gather's writes the same way: each source's
	// articles, kept features and state.
	gathered struct {
		articles group[[]digest.Article, []digest.Saved]
		kept     group[[]digest.KeptArticle, struct{}]
		states   group[digest.SourceState, struct{}]
	}
}

// Open opens the store named by dsn: a postgres:// or postgresql:// URL, or
// else a SQLite path or file: URI (DefaultPath when empty). A new SQLite file
// is created with mode 0600. Open does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db := &DB{Now: time.Now, log: logger}
	db.groups.ensure.run = db.ensureMany
	db.groups.claim.run = db.claimMany
	db.groups.sent.run = db.markSentMany
	db.gathered.articles.run, db.gathered.articles.unbounded = db.saveArticlesMany, true
	db.gathered.kept.run, db.gathered.kept.unbounded = db.saveKeptMany, true
	db.gathered.states.run, db.gathered.states.unbounded = db.saveSourceStates, true
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db.dialect, db.dsn = Postgres, dsn
		db.sql, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.sql.SetMaxOpenConns(20)
		db.sql.SetMaxIdleConns(5)
		db.sql.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		db.dialect = SQLite
		var full string
		db.path, full, err = sqliteDSN(dsn)
		if err != nil {
			return nil, err
		}
		if err := createPrivate(db.path, logger); err != nil {
			return nil, err
		}
		db.sql, err = sql.Open("sqlite", full)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", db.path, err)
		}
		db.sql.SetMaxOpenConns(1)
		db.sql.SetMaxIdleConns(1)
		db.sql.SetConnMaxLifetime(0)
		db.sql.SetConnMaxIdleTime(0)
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("connect to %s store: %w", db.dialect, err)
	}
	db.run = db.sql
	if db.dialect == SQLite {
		db.stmts = newStmtCache(db.sql)
		db.run = db.stmts
	}
	db.run = countingQuerier{db.run, &db.counts.stmts}
	db.once = countingQuerier{db.sql, &db.counts.stmts}
	logger.Debug("store opened", "dialect", db.dialect, "path", db.path)
	return db, nil
}

// sqliteDSN returns the file path of a SQLite DSN and the DSN to hand to the
// driver, with the pragmas the store relies on added unless the DSN sets
// them.
func sqliteDSN(dsn string) (path, full string, err error) {
	if dsn == "" {
		dsn = DefaultPath
	}
	name, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("parse sqlite dsn options: %w", err)
	}
	path = name
	if rest, ok := strings.CutPrefix(name, "file:"); ok {
		path = rest
		if p, ok := strings.CutPrefix(rest, "//"); ok {
			// file:///abs/path or file://localhost/abs/path
			i := strings.Index(p, "/")
			if i < 0 {
				return "", "", fmt.Errorf("open sqlite: no path in %q", name)
			}
			path = p[i:]
		}
	}
	if path == "" || path == ":memory:" || q.Get("mode") == "memory" {
		return "", "", errors.New("open sqlite: an in-memory database is not supported (each connection would see its own); use a file")
	}
	pragmas := strings.Join(q["_pragma"], ";")
	// synchronous(NORMAL) is the usual pairing with WAL: a commit does not
	// wait for fsync (the checkpoint does), so the database cannot be
	// corrupted, and an application crash loses nothing; a power cut may
	// lose the last commits. For the ledger that means at worst the
	// messages marked sent in the last moments are sent again once their
	// leases expire. It makes BenchmarkDB_ClaimMarkSent several times faster
	// (about 340 → 1,300-2,600 cycles/s on the 2-core CI machine).
	// temp_store(MEMORY) keeps SQLite's temporary files in memory, the
	// statement journal above all: every statement that writes many rows
	// inside a transaction (a gather's INSERT of 100 articles, an UPDATE
	// of 200 stories) journals the pages it changes, so that a failure
	// part-way undoes the statement alone, and on disk that was a write
	// syscall per page (~0.1 s of a first run's CPU at 200 feeds; the
	// journal of one such statement is a few hundred KB).
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"} {
		key, _, _ := strings.Cut(p, "(")
		if !strings.Contains(pragmas, key) {
			q.Add("_pragma", p)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	return path, name + "?" + q.Encode(), nil
}

// createPrivate creates the database file with mode 0600 when it does not
// exist, so that SQLite (which gives the -wal and -shm files the mode of the
// database) never makes the store readable by others.
func createPrivate(path string, logger *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrExist):
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			logger.Warn("the database file is readable by other users", "path", path, "mode", fi.Mode().Perm().String())
		}
		return nil
	default:
		return fmt.Errorf("create sqlite file: %w", err)
	}
}

// SQL returns the underlying pool, for the job queue to share the database.
// On SQLite it holds a single connection, which is what River's SQLite
// driver needs.
func (db *DB) SQL() *sql.DB { return db.sql }

// PgxPool opens a pgx pool on the store's Postgres database, for the job
// queue (River's pgx driver, whose LISTEN/NOTIFY wakes idle replicas); the
// caller closes it. On SQLite it returns nil, nil: the queue shares SQL().
func (db *DB) PgxPool(ctx context.Context) (*pgxpool.Pool, error) {
	if db.dialect != Postgres {
		return nil, nil
	}
	pool, err := pgxpool.New(ctx, db.dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	return pool, nil
}

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// Path returns the SQLite file path; empty on Postgres.
func (db *DB) Path() string { return db.path }

// Ping reports whether the database is reachable.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Close closes the pool.
func (db *DB) Close() error {
	if db.stmts != nil {
		db.stmts.Close()
	}
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func (db *DB) now() time.Time {
	if db.Now == nil {
		return time.Now()
	}
	return db.Now()
}

// q returns query with its `?` placeholders rebound for the dialect.
func (db *DB) q(query string) string {
	if db.dialect != Postgres {
		return query
	}
	if v, ok := db.rebound.Load(query); ok {
		return v.(string)
	}
	r := rebind(query)
	db.rebound.Store(query, r)
	return r
}

// rebind turns `?` placeholders into `$1`, `$2`, ... outside quoted strings.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	quoted := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Stats counts the work the store has given its database since Open.
type Stats struct {
	// Statements is the statements of the store's reads and writes run
	// outside a transaction (those of Check and Migrate are not counted):
	// each is its own commit (on Postgres a read too counts as one in
	// pg_stat_database's xact_commit).
	Statements int64
	// Transactions is the transactions run (each retry of one aborted by
	// Postgres not counted again); their statements are not counted in
	// Statements.
	Transactions int64
}

// Stats returns the counts so far: benchmarks report them per message.
func (db *DB) Stats() Stats {
	return Stats{Statements: db.counts.stmts.Load(), Transactions: db.counts.txs.Load()}
}

// countingQuerier counts the statements run through it.
type countingQuerier struct {
	q querier
	n *atomic.Int64
}

func (c countingQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.q.ExecContext(ctx, query, args...)
}

func (c countingQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	return c.q.QueryContext(ctx, query, args...)
}

func (c countingQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c.n.Add(1)
	return c.q.QueryRowContext(ctx, query, args...)
}

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// maxTxAttempts bounds the retries of a transaction that Postgres aborted
// to break a deadlock or a serialisation conflict.
const maxTxAttempts = 5

// inTx runs fn in a transaction, committing when it returns nil. fn may run
// more than once: Postgres aborts one side of a deadlock (40P01) or a
// serialisation failure (40001), and the whole transaction is then retried,
// so fn must start from scratch each time. On SQLite fn must use only tx:
// the pool's one connection is busy with it.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	db.counts.txs.Add(1)
	return db.retryTx(ctx, func() error { return tryTx(ctx, db.sql, fn) })
}

// inConnTx is inTx on a connection of its own, which fn may also use
// outside database/sql while the transaction is open (COPY, through
// conn.Raw): what it does there is part of the transaction.
func (db *DB) inConnTx(ctx context.Context, fn func(conn *sql.Conn, tx *sql.Tx) error) error {
	db.counts.txs.Add(1)
	return db.retryTx(ctx, func() error {
		conn, err := db.sql.Conn(ctx)
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		defer conn.Close()
		return tryTx(ctx, conn, func(tx *sql.Tx) error { return fn(conn, tx) })
	})
}

// retryTx runs try, a whole transaction, again while Postgres aborts it
// in a way that may succeed on a new attempt, up to maxTxAttempts times.
func (db *DB) retryTx(ctx context.Context, try func() error) error {
	for attempt := 1; ; attempt++ {
		err := try()
		if err == nil || attempt == maxTxAttempts || !retryable(err) {
			return err
		}
		db.log.Debug("retrying transaction", "attempt", attempt, "error", err)
		// A short, growing, jittered pause lets the other side finish.
		pause := time.Duration(attempt) * time.Duration(5+rand.IntN(20)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// retryable reports whether Postgres aborted a transaction that may succeed
// when run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// txBeginner is what *sql.DB and *sql.Conn have in common for starting a
// transaction.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func tryTx(ctx context.Context, b txBeginner, fn func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// t converts a time to a query argument: NULL when zero, else UTC with
// microsecond precision (what Postgres keeps), as fixed-width text on SQLite.
func (db *DB) t(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	v = v.UTC().Truncate(time.Microsecond)
	if db.dialect == SQLite {
		return v.Format(sqliteTimeFormat)
	}
	return v
}

// timeDest scans a nullable timestamp of either dialect into a UTC time.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = x.UTC()
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

func (d timeDest) parse(s string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			*d.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("scan time: cannot parse %q", s)
}

// jsonList encodes a list for a JSON text column; nil is stored as [].
// encoding/json replaces invalid UTF-8 and escapes NUL, so the text is
// storable in both databases.
func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// listDest scans a JSON text column into a list; an empty list reads as nil.
type listDest struct{ v *[]string }

func (d listDest) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		*d.v = nil
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("scan list: unexpected %T", src)
	}
	var out []string
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("scan list: %w", err)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	*d.v = out
	return nil
}

// noRows maps sql.ErrNoRows to digest.ErrNotFound.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return digest.ErrNotFound
	}
	return err
}

// limitArg turns a caller's limit into a LIMIT argument; zero or negative
// means no limit.
func limitArg(limit int) int64 {
	if limit <= 0 {
		return 1<<62 - 1
	}
	return int64(limit)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	return queryAllSized(ctx, q, query, 0, scan, args...)
}

// queryAllSized is queryAll for about size rows (a hint: the result holds
// what the query returns): a result of thousands of large rows grown by
// appending is copied at every growth, each copy a new allocation the
// collector must find and the runtime zero.
func queryAllSized[T any](ctx context.Context, q querier, query string, size int, scan func(scanner) (T, error), args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T // nil for no rows, as callers have always had it
	if size > 0 {
		out = make([]T, 0, size)
	}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
