package digest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/internal/memstore"
)

// TestEngine_Run_Scoped: a scoped run's edition holds only the stories of
// its sources, including an article that the store keeps under another
// source (same URL), and notes how many stored articles it left out.
func TestEngine_Run_Scoped(t *testing.T) {
	db := memstore.New()
	now := t0
	e, _, m := newEngine(t, db, &now)
	ctx := context.Background()
	a1, a2, a3 := article(1, t0.Add(-time.Hour)), article(2, t0.Add(-time.Hour)), article(3, t0.Add(-time.Hour))
	if _, err := e.Run(ctx, digest.RunOptions{Sources: []digest.Source{staticSource("dir", a1, a2)}, Since: 24 * time.Hour, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	// a2 again, now from "file" (stored under "dir"), and a new a3.
	rep, err := e.Run(ctx, digest.RunOptions{Sources: []digest.Source{staticSource("file", a2, a3)}, Since: 24 * time.Hour,
		To: []string{"ana@example.com"}, Scoped: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.count() != 1 {
		t.Fatalf("%d messages", m.count())
	}
	text := m.sent[0].Text
	if !strings.Contains(text, "Story 2") || !strings.Contains(text, "Story 3") || strings.Contains(text, "Story 1") {
		t.Errorf("scoped edition:\n%s", text)
	}
	if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "1 stored article from other sources left out") {
		t.Errorf("notes = %q", rep.Notes)
	}

	var nilScope *digest.Scope
	if !nilScope.Contains(a1) {
		t.Error("a nil scope must contain everything")
	}
}
