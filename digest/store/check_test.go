package store_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// Timestamps as SQL literals that both databases read as instants.
const (
	future = "'2999-01-01T00:00:00.000000Z'"
	past   = "'2000-01-01T00:00:00.000000Z'"
)

// TestDB_Check corrupts rows on purpose and sees each doctor check fire,
// and only it.
func TestDB_Check(t *testing.T) {
	cases := []struct {
		name    string
		corrupt []string // SQL run on a store with one subscriber and one pending delivery
		orphan  bool     // break the foreign key with the database's checks off
		want    []string
	}{
		{name: "clean"},
		{name: "orphan", orphan: true, want: []string{"orphan_deliveries"}},
		{name: "sent without sent_at", corrupt: []string{"UPDATE deliveries SET status = 'sent'"}, want: []string{"sent_without_sent_at"}},
		{name: "sent with lease", corrupt: []string{"UPDATE deliveries SET status = 'sent', sent_at = " + past + ", lease_until = " + past},
			want: []string{"sent_with_lease"}},
		{name: "sent_at but pending", corrupt: []string{"UPDATE deliveries SET sent_at = " + past}, want: []string{"sent_at_not_sent"}},
		{name: "pending with live lease", corrupt: []string{"UPDATE deliveries SET lease_until = " + future}, want: []string{"pending_with_live_lease"}},
		{name: "pending with expired lease", corrupt: []string{"UPDATE deliveries SET lease_until = " + past}},
		{name: "failed with lease", corrupt: []string{"UPDATE deliveries SET status = 'failed', lease_until = " + past}, want: []string{"done_with_lease"}},
		{name: "sending without lease", corrupt: []string{"UPDATE deliveries SET status = 'sending'"}, want: []string{"sending_without_lease"}},
		{name: "negative attempts", corrupt: []string{"UPDATE deliveries SET attempts = -1"}, want: []string{"negative_counters"}},
		{name: "negative generation", corrupt: []string{"UPDATE deliveries SET generation = -2"}, want: []string{"negative_counters"}},
		{name: "unknown delivery status", corrupt: []string{"UPDATE deliveries SET status = 'lost'"}, want: []string{"invalid_delivery_status"}},
		{name: "unknown subscriber status", corrupt: []string{"UPDATE subscribers SET status = 'zombie'"}, want: []string{"invalid_subscriber_status"}},
		{name: "migrations behind", corrupt: []string{"DELETE FROM schema_migrations"}, want: []string{"migrations"}},
		{name: "migrations ahead", corrupt: []string{"INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', " + past + ")"},
			want: []string{"migrations"}},
		{name: "two at once", corrupt: []string{"UPDATE deliveries SET status = 'sending'", "UPDATE subscribers SET status = 'zombie'"},
			want: []string{"invalid_subscriber_status", "sending_without_lease"}},
	}
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					db := o.Open(t)
					ctx := t.Context()
					s := get(db.AddSubscriber(ctx, digest.Subscriber{Email: "ann@example.com"}))(t)
					ensure(t, db, s.ID, s.Email, "2026-03-29")
					for _, q := range c.corrupt {
						if _, err := db.SQL().ExecContext(ctx, q); err != nil {
							t.Fatalf("corrupt: %s: %v", q, err)
						}
					}
					if c.orphan {
						orphanDeliveries(t, db)
					}
					problems := get(db.Check(ctx, t0))(t)
					var got []string
					for _, p := range problems {
						got = append(got, p.Check)
						if p.Detail == "" {
							t.Errorf("%s has no detail", p.Check)
						}
					}
					slices.Sort(got)
					if !reflect.DeepEqual(got, c.want) {
						t.Fatalf("checks fired %q, want %q (%+v)", got, c.want, problems)
					}
				})
			}
		})
	}
}

// orphanDeliveries points every delivery at a subscriber that does not
// exist, with the database's foreign-key enforcement off for the session.
func orphanDeliveries(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := t.Context()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	off, on := "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"
	if db.Dialect() == store.Postgres {
		// Needs a superuser, as the CI database user is.
		off, on = "SET session_replication_role = replica", "SET session_replication_role = DEFAULT"
	}
	for _, q := range []string{off, "UPDATE deliveries SET subscriber_id = 424242", on} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestDB_CheckDetail checks that a problem counts its rows and names the
// first ten.
func TestDB_CheckDetail(t *testing.T) {
	db := storetest.Open(t)
	ctx := t.Context()
	for i := range 12 {
		ensure(t, db, 0, fmt.Sprintf("r%d@example.com", i), "2026-03-29")
	}
	if _, err := db.SQL().ExecContext(ctx, "UPDATE deliveries SET status = 'sending'"); err != nil {
		t.Fatal(err)
	}
	problems := get(db.Check(ctx, t0))(t)
	if len(problems) != 1 {
		t.Fatalf("problems = %+v", problems)
	}
	d := problems[0].Detail
	if !strings.HasPrefix(d, "12 sending deliveries have no lease (deliveries id 1, 2,") || !strings.HasSuffix(d, "10 and 2 more)") {
		t.Fatalf("detail = %q", d)
	}
}

// TestDB_CheckSQLiteIntegrity overwrites part of the database file and
// expects the doctor to notice.
func TestDB_CheckSQLiteIntegrity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "torn.db")
	db := openAt(t, path)
	check(t, db.Migrate(t.Context()))
	var subs []digest.Subscriber
	for i := range 2000 {
		subs = append(subs, digest.Subscriber{Email: fmt.Sprintf("reader%04d@example.com", i), Name: strings.Repeat("n", 50)})
	}
	get2(t)(db.UpsertSubscribers(t.Context(), subs))
	if problems := get(db.Check(t.Context(), t0))(t); len(problems) != 0 {
		t.Fatalf("clean file: %+v", problems)
	}
	if _, err := db.SQL().ExecContext(t.Context(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	check(t, db.Close())

	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	// Scribble over the middle pages (the subscribers table and index).
	junk := bytes.Repeat([]byte{0xA5}, 4096*4)
	if _, err := f.WriteAt(junk, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	f.Close()

	db = openAt(t, path)
	problems, err := db.Check(t.Context(), t0)
	if err != nil {
		t.Logf("check failed outright: %v", err)
	}
	if !slices.ContainsFunc(problems, func(p store.Problem) bool { return p.Check == "sqlite_integrity" }) {
		t.Fatalf("a scribbled file passed the doctor: %+v, %v", problems, err)
	}
	t.Logf("problems: %+v", problems)
}
