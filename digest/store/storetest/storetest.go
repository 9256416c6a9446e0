// Package storetest gives tests a fresh, migrated store.DB on SQLite (a file
// in a temporary directory) or on Postgres (a schema of its own in the
// database named by DIGEST_TEST_POSTGRES_DSN, dropped at the end), so that
// parallel packages and reruns never see each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/store"
)

// PostgresEnv names the environment variable with the Postgres URL that
// enables the Postgres tests, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "DIGEST_TEST_POSTGRES_DSN"

// Open returns a migrated store on a new SQLite file in a temporary
// directory; it is closed when the test ends.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, filepath.Join(tb.TempDir(), "digest.db"))
}

// PostgresDSN returns the base Postgres URL, or skips the test naming
// PostgresEnv when it is not set.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		tb.Skipf("Postgres tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them", PostgresEnv)
	}
	return dsn
}

// OpenPostgres returns a migrated store in a new schema of the database
// named by DIGEST_TEST_POSTGRES_DSN (skipping the test when unset); the
// schema is dropped when the test ends.
func OpenPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, NewSchema(tb, PostgresDSN(tb)))
}

// NewSchema creates a schema with a random name in the database of base and
// returns base with search_path set to it, so every connection made from
// the returned URL works inside it. The schema is dropped when the test
// ends.
func NewSchema(tb testing.TB, base string) string {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "digest_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// open opens and migrates the store at dsn and closes it at the end of the
// test (before any schema cleanup registered earlier runs).
func open(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := store.Open(ctx, dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate store: %v", err)
	}
	return db
}

// Opener opens a fresh store on one database.
type Opener struct {
	Name string // "sqlite" or "postgres"
	Open func(tb testing.TB) *store.DB
	// Require skips the test when the database is not available, so a
	// suite can skip once per database rather than once per case.
	Require func(tb testing.TB)
}

// Openers lists the databases a contract test runs on: SQLite always, and
// Postgres (which skips naming DIGEST_TEST_POSTGRES_DSN when it is unset).
func Openers() []Opener {
	return []Opener{
		{Name: store.SQLite, Open: Open, Require: func(testing.TB) {}},
		{Name: store.Postgres, Open: OpenPostgres, Require: func(tb testing.TB) { tb.Helper(); PostgresDSN(tb) }},
	}
}
