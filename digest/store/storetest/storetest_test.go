package storetest_test

import (
	"database/sql"
	"os"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

func TestOpen(t *testing.T) {
	db := storetest.Open(t)
	cur, latest, err := db.MigrationStatus(t.Context())
	if err != nil || cur != latest || cur == 0 {
		t.Fatalf("fresh store at %d of %d: %v", cur, latest, err)
	}
	fi, err := os.Stat(db.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("store file %v: %v", fi, err)
	}
}

// TestOpenPostgres checks that two stores do not see each other's rows and
// that a store's schema is gone when its test ends.
func TestOpenPostgres(t *testing.T) {
	base := storetest.PostgresDSN(t)
	var schema string
	t.Run("isolated", func(t *testing.T) {
		a, b := storetest.OpenPostgres(t), storetest.OpenPostgres(t)
		if _, err := a.AddSubscriber(t.Context(), digest.Subscriber{Email: "ann@example.com"}); err != nil {
			t.Fatal(err)
		}
		if subs, err := b.Subscribers(t.Context(), "", 0, 0); err != nil || len(subs) != 0 {
			t.Fatalf("the second store sees %d subscribers (%v)", len(subs), err)
		}
		if err := a.SQL().QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
			t.Fatal(err)
		}
	})
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if schema == "" || n != 0 {
		t.Fatalf("schema %q still exists after its test", schema)
	}
}
