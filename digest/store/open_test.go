package store_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

func openAt(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestOpen_SQLiteFileMode checks that the database and its WAL are private
// to the user, whatever the umask allows.
func TestOpen_SQLiteFileMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "digest.db")
	db := openAt(t, path)
	check(t, db.Migrate(t.Context()))
	get(db.AddSubscriber(t.Context(), digest.Subscriber{Email: "ann@example.com"}))(t)
	if db.Path() != path || db.Dialect() != store.SQLite {
		t.Fatalf("path %q dialect %q", db.Path(), db.Dialect())
	}
	for _, name := range []string{path, path + "-wal"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(name), fi.Mode().Perm())
		}
	}
	var mode string
	if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	var fk, busy int
	if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
	if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA busy_timeout").Scan(&busy); err != nil || busy != 10000 {
		t.Errorf("busy_timeout = %d (%v), want 10000", busy, err)
	}
}

func TestOpen_SQLiteDSNForms(t *testing.T) {
	dir := t.TempDir()
	t.Run("file URI", func(t *testing.T) {
		path := filepath.Join(dir, "uri.db")
		db := openAt(t, "file:"+path+"?cache=private")
		check(t, db.Migrate(t.Context()))
		if db.Path() != path {
			t.Fatalf("path = %q, want %q", db.Path(), path)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("file URI with slashes", func(t *testing.T) {
		path := filepath.Join(dir, "abs.db")
		db := openAt(t, "file://"+path)
		if db.Path() != path {
			t.Fatalf("path = %q, want %q", db.Path(), path)
		}
	})
	t.Run("default", func(t *testing.T) {
		t.Chdir(dir)
		db := openAt(t, "")
		check(t, db.Migrate(t.Context()))
		if fi, err := os.Stat(filepath.Join(dir, "digest.db")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("default file: %v %v", fi, err)
		}
	})
	t.Run("in memory refused", func(t *testing.T) {
		for _, dsn := range []string{":memory:", "file:x?mode=memory"} {
			if _, err := store.Open(t.Context(), dsn, nil); err == nil || !strings.Contains(err.Error(), "in-memory") {
				t.Errorf("open %q: %v, want an in-memory error", dsn, err)
			}
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		if _, err := store.Open(t.Context(), filepath.Join(dir, "no", "such", "dir", "d.db"), nil); err == nil {
			t.Fatal("opened a database in a missing directory")
		}
	})
}

// dsns returns a fresh database reachable through several handles, as
// several processes would see it: a SQLite file, or a Postgres schema.
func dsns(t *testing.T, dialect string) string {
	t.Helper()
	if dialect == store.Postgres {
		return storetest.NewSchema(t, storetest.PostgresDSN(t))
	}
	return filepath.Join(t.TempDir(), "shared.db")
}

// TestDB_MigrateConcurrently migrates one fresh database from several
// handles at once (standing in for replicas starting together).
func TestDB_MigrateConcurrently(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			dsn := dsns(t, dialect)
			dbs := make([]*store.DB, 4)
			for i := range dbs {
				dbs[i] = openAt(t, dsn)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(dbs))
			for i, db := range dbs {
				wg.Go(func() { errs[i] = db.Migrate(t.Context()) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("migrate %d: %v", i, err)
				}
			}
			var n int
			if err := dbs[0].SQL().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			_, latest, err := dbs[0].MigrationStatus(t.Context())
			check(t, err)
			if n != latest {
				t.Fatalf("schema_migrations holds %d rows, want %d (each migration once)", n, latest)
			}
		})
	}
}

// TestDB_WritersOnSeveralHandles writes through several handles on one
// database at once: on SQLite they are separate connections to one file,
// like digest now beside digest serve, and none may fail with SQLITE_BUSY.
func TestDB_WritersOnSeveralHandles(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			dsn := dsns(t, dialect)
			dbs := make([]*store.DB, 3)
			for i := range dbs {
				dbs[i] = openAt(t, dsn)
				check(t, dbs[i].Migrate(t.Context()))
			}
			for _, err := range concurrentWrites(t.Context(), dbs, 9, 20) {
				t.Error(err)
			}
			if sent := get(dbs[0].Deliveries(t.Context(), digest.DeliverySent, 0))(t); len(sent) != 9*20 {
				t.Fatalf("%d deliveries sent, want %d", len(sent), 9*20)
			}
			// And the claim race across handles: one winner.
			d := ensure(t, dbs[0], 0, "race@example.com", "2026-03-29")
			var wg sync.WaitGroup
			wins := make([]bool, 12)
			for i := range wins {
				wg.Go(func() {
					_, err := dbs[i%len(dbs)].ClaimDelivery(t.Context(), d.ID, t0, time.Minute)
					wins[i] = err == nil
					if err != nil && !errors.Is(err, digest.ErrLeased) {
						t.Errorf("claim: %v", err)
					}
				})
			}
			wg.Wait()
			n := 0
			for _, w := range wins {
				if w {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d claims won across handles, want 1", n)
			}
		})
	}
}

// TestOpen_WarnsOnReadableFile checks that an existing database others can
// read is reported (and left alone: the operator chose the mode).
func TestOpen_WarnsOnReadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // whatever the umask did
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	db, err := store.Open(t.Context(), path, slog.New(slog.NewTextHandler(&logs, nil)))
	check(t, err)
	defer db.Close()
	if !strings.Contains(logs.String(), "readable by other users") {
		t.Fatalf("no warning about a 0644 database; logs: %q", logs.String())
	}
}

func TestOpen_PostgresUnreachable(t *testing.T) {
	_, err := store.Open(t.Context(), "postgres://digest:secret-password@127.0.0.1:1/digest?connect_timeout=2&sslmode=disable", nil)
	if err == nil {
		t.Fatal("opened an unreachable Postgres")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "connect to postgres store") {
		t.Fatalf("error does not name the operation: %v", err)
	}
	if strings.Contains(err.Error(), "secret-password") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

// TestDB_PgxPool checks what the job queue runs River on: on Postgres a
// pgx pool on the store's own database and schema, on SQLite none (River
// shares SQL(), which must hold a single connection).
func TestDB_PgxPool(t *testing.T) {
	t.Run(store.SQLite, func(t *testing.T) {
		db := openAt(t, dsns(t, store.SQLite))
		pool, err := db.PgxPool(t.Context())
		if pool != nil || err != nil {
			t.Fatalf("PgxPool on SQLite = %v, %v; want nil, nil", pool, err)
		}
		if n := db.SQL().Stats().MaxOpenConnections; n != 1 {
			t.Fatalf("SQLite pool allows %d connections; River's SQLite driver needs 1", n)
		}
	})
	t.Run(store.Postgres, func(t *testing.T) {
		db := openAt(t, dsns(t, store.Postgres))
		pool, err := db.PgxPool(t.Context())
		if err != nil || pool == nil {
			t.Fatalf("PgxPool on Postgres = %v, %v; want a pool", pool, err)
		}
		defer pool.Close()
		var want, got string
		if err := db.SQL().QueryRowContext(t.Context(), `SELECT current_schema()`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&got); err != nil {
			t.Fatalf("query through the pool: %v", err)
		}
		if got != want {
			t.Fatalf("pool's schema = %q, store's = %q", got, want)
		}
	})
}
