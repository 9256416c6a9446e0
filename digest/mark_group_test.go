package digest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// hintedLedger is the real store; it counts the MarkSent calls that carry
// the engine's group-commit hint (digest.WithMarkGrouping).
type hintedLedger struct {
	digest.Store
	marks, hinted atomic.Int32
}

func (h *hintedLedger) MarkSent(ctx context.Context, id int64, now time.Time, stories int) error {
	h.marks.Add(1)
	if wait, fill := digest.MarkGrouping(ctx); wait > 0 && fill > 0 {
		h.hinted.Add(1)
	}
	return h.Store.MarkSent(ctx, id, now, stories)
}

// TestEngine_Run_MarksFlushedAtEnd: a run's marks go to the store with
// the hint that lets them wait for a group commit (TestGroup_Wait in the
// store has what the store does with it), and every one of them is
// committed before Run returns: right after it, each recipient's row is
// sent.
func TestEngine_Run_MarksFlushedAtEnd(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			db := o.Open(t)
			now := t0
			e, _, m := newEngine(t, db, &now)
			e.Config.SendConcurrency = 8
			hl := &hintedLedger{Store: db}
			e.Store = hl
			const n = 300
			var to []string
			for i := range n {
				to = append(to, fmt.Sprintf("r%03d@example.com", i))
			}
			ctx := context.Background()
			before := db.Stats().Statements
			rep, err := e.Run(ctx, digest.RunOptions{
				Sources: []digest.Source{staticSource("src", article(1, t0.Add(-time.Hour)))},
				Since:   24 * time.Hour, To: to,
			})
			stmts := db.Stats().Statements - before
			if err != nil || rep.Sent != n || m.count() != n {
				t.Fatalf("Run = sent %d, %d messages, %v; want %d", rep.Sent, m.count(), err, n)
			}
			sent, err := db.Deliveries(ctx, digest.DeliverySent, 0)
			if err != nil || len(sent) != n {
				t.Fatalf("%d rows sent right after the run (%v), want %d", len(sent), err, n)
			}
			if hl.marks.Load() != n || hl.hinted.Load() != n {
				t.Errorf("%d marks, %d with the group-commit hint; want %d, all", hl.marks.Load(), hl.hinted.Load(), n)
			}
			t.Logf("%d statements for %d messages", stmts, n)
		})
	}
}
