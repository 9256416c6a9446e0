package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// TestQueryPlans_DeliveryPath runs the store calls of one delivery on
// SQLite, then asks SQLite's planner about every statement they prepared:
// none may scan a whole table or sort in a temporary b-tree, since each runs
// once per subscriber and would make a delivery cost O(subscribers).
func TestQueryPlans_DeliveryPath(t *testing.T) {
	ctx := context.Background()
	db := migratedPlanDB(t)
	now := time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC)
	var subs []digest.Subscriber
	for i := range 50 {
		subs = append(subs, digest.Subscriber{Email: fmt.Sprintf("p%d@example.com", i), TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive})
	}
	if _, _, err := db.UpsertSubscribers(ctx, subs); err != nil {
		t.Fatal(err)
	}
	db.stmts.Close() // forget the set-up's statements
	db.stmts = newStmtCache(db.sql)
	db.run = db.stmts

	// The calls of Engine.deliverAll and Engine.Deliver for one recipient.
	page, err := db.Subscribers(ctx, digest.StatusActive, 0, 500)
	if err != nil || len(page) != len(subs) {
		t.Fatalf("subscribers: %d, %v", len(page), err)
	}
	sub := page[0]
	// deliverAll's chunked reads, for two recipients (the VALUES list is
	// scanned: it is the chunk, not a table).
	if _, err := db.DeliveryStates(ctx, []digest.DeliveryKey{{Email: sub.Email, EditionDate: "2026-03-29"}, {Email: page[1].Email, EditionDate: "2026-03-29"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeliveryFor(ctx, sub.Email, "2026-03-29"); err == nil {
		t.Fatal("a ledger row before the first delivery")
	}
	if _, err := db.LastSent(ctx, sub.Email); err != nil {
		t.Fatal(err)
	}
	d, err := db.EnsureDelivery(ctx, digest.Delivery{SubscriberID: sub.ID, Email: sub.Email, EditionDate: "2026-03-29"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimDelivery(ctx, d.ID, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, d.ID, now, 3); err != nil {
		t.Fatal(err)
	}

	db.stmts.mu.Lock()
	var queries []string
	for q := range db.stmts.stmts {
		queries = append(queries, q)
	}
	db.stmts.mu.Unlock()
	if len(queries) < 6 {
		t.Fatalf("only %d statements were cached: %q", len(queries), queries)
	}
	for _, q := range queries {
		args := make([]any, strings.Count(q, "?"))
		plan := explainPlan(t, db, q, args...)
		text := strings.Join(plan, "; ")
		t.Logf("%s\n\t→ %s", strings.Join(strings.Fields(q), " "), text)
		for _, p := range plan {
			if (strings.HasPrefix(p, "SCAN ") && !strings.Contains(p, " USING ") && p != "SCAN v" && !strings.HasSuffix(p, " CONSTANT ROWS")) || strings.Contains(p, "TEMP B-TREE") {
				t.Errorf("%s\n\tplan %q has %q", strings.Join(strings.Fields(q), " "), text, p)
			}
		}
	}
}

// TestQueryPlans_FindDuplicates asks SQLite's planner about the query that
// names the stored duplicates of a re-gathered batch: it runs once per
// source and batch, so it must search the partial unique indexes, never
// scan the articles table (which grows with the window and beyond).
func TestQueryPlans_FindDuplicates(t *testing.T) {
	db := migratedPlanDB(t)
	// Two skipped articles, each with a URL, a GUID and an identity key, as
	// findDuplicates writes them.
	q := duplicatesSelect + strings.Join([]string{duplicateByURL, duplicateByGUID, duplicateByIdentity, duplicateByURL, duplicateByGUID, duplicateByIdentity}, " OR ")
	args := make([]any, strings.Count(q, "?"))
	plan := explainPlan(t, db, db.q(q), args...)
	text := strings.Join(plan, "; ")
	for _, index := range []string{"articles_url_key", "articles_source_guid_key", "articles_identity_key"} {
		if !strings.Contains(text, index) {
			t.Errorf("plan %q does not search %s", text, index)
		}
	}
	for _, p := range plan {
		if strings.HasPrefix(p, "SCAN articles") {
			t.Errorf("plan %q scans the articles table", text)
		}
	}
}

// TestQueryPlans_KeptWindow asks SQLite's planner about the window's read
// (KeptArticlesSince): it must read the articles in the order of their
// IDs, from the window's first on (found in the published index), and the
// heads of their features from the index that carries them (migration
// 0014), never from the features' rows; and count them from an index.
func TestQueryPlans_KeptWindow(t *testing.T) {
	db := migratedPlanDB(t)
	for _, since := range []bool{true, false} {
		q := db.keptSinceQuery(since)
		args := make([]any, strings.Count(q, "?"))
		plan := explainPlan(t, db, q, args...)
		text := strings.Join(plan, "; ")
		t.Logf("since %v: %s", since, text)
		wants := []string{"SCAN a; ", "USING COVERING INDEX article_features_head_idx"}
		if since {
			wants = []string{"SEARCH a USING INTEGER PRIMARY KEY (rowid>?)", "USING COVERING INDEX articles_published_idx (published>?)", "USING COVERING INDEX article_features_head_idx"}
		}
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("since %v: plan %q is not %s", since, text, want)
			}
		}
		if strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("since %v: plan %q sorts", since, text)
		}
		// Its size, counted first, from an index: never the articles'
		// rows, which hold their texts.
		q = keptCountQuery(since)
		text = strings.Join(explainPlan(t, db, q, make([]any, strings.Count(q, "?"))...), "; ")
		t.Logf("count, since %v: %s", since, text)
		if !strings.Contains(text, "COVERING INDEX") || since && !strings.Contains(text, "articles_published_idx (published>?)") {
			t.Errorf("count, since %v: plan %q does not count from an index", since, text)
		}
	}
}

// migratedPlanDB is a fresh, migrated SQLite store for asking the planner.
func migratedPlanDB(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// explainPlan returns the detail lines of SQLite's EXPLAIN QUERY PLAN for q.
func explainPlan(t *testing.T, db *DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.sql.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %q: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}
