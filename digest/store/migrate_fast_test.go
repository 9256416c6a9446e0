package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/store"
)

// TestDB_MigrateCurrentNeedsNoWriteLock: with another process holding
// SQLite's write lock, opening and migrating an up-to-date store returns at
// once instead of waiting for the lock (digest now beside a busy serve).
func TestDB_MigrateCurrentNeedsNoWriteLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "digest.db")
	first, err := store.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil) // holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "CREATE TABLE holder (x INTEGER)"); err != nil {
		t.Fatal(err)
	}

	second, err := store.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	mctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := second.Migrate(mctx); err != nil {
		t.Fatalf("migrate a current schema under another writer's lock: %v (after %s)", err, time.Since(start))
	}
}
