package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

// runCLIAt is runCLI with the clock fixed at now.
func runCLIAt(t *testing.T, env map[string]string, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	return runCLIClock(t, env, func() time.Time { return now }, args...)
}

// TestNow_SourceScopesTheEdition: `now --source X` makes the edition of X
// only, even when the store holds other recent articles, and says how many
// it left out. A file read before as part of its directory still counts as
// X's (the store keeps the article once, under the directory).
func TestNow_SourceScopesTheEdition(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	code, all, errs := runCLI(t, env, "now", "--dry-run", "--quiet", "--source", articles)
	if code != 0 || !strings.Contains(all, "WTO") {
		t.Fatalf("whole directory: %d\n%s\n%s", code, all, errs)
	}

	port := filepath.Join(articles, "port-congestion.txt")
	code, out, errs := runCLI(t, env, "now", "--dry-run", "--quiet", "--source", port)
	if code != 0 {
		t.Fatalf("one file: %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "Singapore") {
		t.Errorf("the file's story is missing (it was stored under the directory before):\n%s", out)
	}
	for _, other := range []string{"WTO", "yuan", "Mercosur"} {
		if strings.Contains(out, other) {
			t.Errorf("edition of one file carries %q from the rest of the store:\n%s", other, out)
		}
	}
	if !strings.Contains(errs, "left out of this edition") {
		t.Errorf("the report does not say that stored articles were left out:\n%s", errs)
	}
}

// TestNow_DryRunSaysWhatItKeeps: the dry run's report says that nothing
// was sent or recorded in the ledger, and that what it gathered is kept:
// the run is listed and nothing is in the ledger.
func TestNow_DryRunSaysWhatItKeeps(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	code, _, errs := runCLI(t, env, "now", "--dry-run", "--quiet", "--source", articles, "--to", "a@example.com")
	if code != 0 {
		t.Fatalf("dry run: %d %s", code, errs)
	}
	if !strings.Contains(errs, "dry run (no delivery recorded; articles, summaries and this report are kept in the store)") {
		t.Errorf("report does not say what a dry run keeps:\n%s", errs)
	}
	if _, out, _ := runCLI(t, env, "runs"); !strings.Contains(out, "now") {
		t.Errorf("the dry run is not listed by digest runs:\n%s", out)
	}
	// Nothing in the ledger: a real run right after sends the digest.
	outbox := filepath.Join(dir, "outbox")
	if code, out, errs := runCLI(t, env, "now", "--quiet", "--source", articles, "--to", "a@example.com", "--outbox", outbox); code != 0 || !strings.Contains(out, "1 written") {
		t.Fatalf("real run after the dry run: %d\n%s\n%s", code, out, errs)
	}
}

// TestNow_OutboxNamedAfterEditionDate: at 12:00 UTC a subscriber in
// Kiritimati (UTC+14) is already on the next day; the .eml file carries
// that date, as the Message-ID does.
func TestNow_OutboxNamedAfterEditionDate(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	now := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	local := now.In(mustZone(t, "Pacific/Kiritimati")).Format(time.DateOnly)
	if local == now.Format(time.DateOnly) {
		t.Fatalf("test clock %v: Kiritimati is on the same date", now)
	}
	if code, out, errs := runCLIAt(t, env, now, "subscribers", "add", "kiri@example.com", "--timezone", "Pacific/Kiritimati"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	outbox := filepath.Join(dir, "outbox")
	if code, out, errs := runCLIAt(t, env, now, "now", "--quiet", "--source", articles, "--outbox", outbox); code != 0 {
		t.Fatalf("now: %d %s %s", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d files in the outbox", len(files))
	}
	name := filepath.Base(files[0])
	if !strings.HasPrefix(name, local+"-") {
		t.Errorf("file %s, want it named after the edition date %s", name, local)
	}
	eml, _ := os.ReadFile(files[0])
	if !strings.Contains(string(eml), "Message-ID: <digest."+local+".") {
		t.Errorf("Message-ID does not carry %s", local)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestSources_ListRowOfOPMLIsRead: an OPML list expands to feeds with their
// own rows; the list's own row says when it was last read instead of
// staying at "never", after `sources check` and after `now` (which records
// it beside its gather).
func TestSources_ListRowOfOPMLIsRead(t *testing.T) {
	for _, cmd := range [][]string{{"sources", "check", "--quiet"}, {"now", "--dry-run", "--quiet"}} {
		t.Run(cmd[0], func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
			feed, err := os.ReadFile(filepath.Join(testutil.Root(t), "examples", "feed.xml"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, "trade.xml"), feed, 0o644)
			opml := filepath.Join(dir, "list.opml")
			os.WriteFile(opml, []byte(`<opml version="2.0"><body><outline text="Trade" xmlUrl="trade.xml"/></body></opml>`), 0o644)
			if code, out, errs := runCLI(t, env, "sources", "add", opml); code != 0 {
				t.Fatalf("add: %d %s %s", code, out, errs)
			}
			if code, out, errs := runCLI(t, env, cmd...); code != 0 {
				t.Fatalf("%s: %d %s %s", cmd[0], code, out, errs)
			}
			_, out, _ := runCLI(t, env, "sources", "list")
			listed := false
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, opml+" ") {
					listed = true
					if strings.Contains(line, "never") {
						t.Errorf("the OPML row is still at never:\n%s", out)
					}
				}
			}
			if !listed {
				t.Errorf("the OPML list has no row:\n%s", out)
			}
			if !strings.Contains(out, filepath.Join(dir, "trade.xml")) {
				t.Errorf("the list's feed has no row:\n%s", out)
			}
		})
	}
}

// The store stamps the rows it writes (created_at, updated_at, a released
// claim's updated_at) with the process clock, as the engine stamps the
// ledger: under the process tests' simulated clock a row's times must be
// comparable with the ones the engine wrote and with the test's own.
func TestOpenApp_StoreUsesProcessClock(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "digest.db")
	at := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	env := map[string]string{"DIGEST_DB": dbPath}
	if code, out, errs := runCLIAt(t, env, at, "subscribers", "add", "ana@example.com"); code != 0 {
		t.Fatalf("subscribers add: %d\n%s\n%s", code, out, errs)
	}
	db, err := store.Open(context.Background(), dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sub, err := db.SubscriberByEmail(context.Background(), "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !sub.CreatedAt.Equal(at) || !sub.UpdatedAt.Equal(at) {
		t.Errorf("subscriber created %s, updated %s; want both at the process clock's %s", sub.CreatedAt, sub.UpdatedAt, at)
	}
}
