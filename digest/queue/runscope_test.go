package queue

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
)

// budgeted is a run-scoped summariser double: each run may make budget LLM
// summaries, then falls back, as summarize.OpenAI does with RunTokenBudget.
type budgeted struct {
	budget int
	runs   atomic.Int64
}

func (b *budgeted) Version() string { return "budgeted/1" }

func (b *budgeted) Summarize(ctx context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	return b.ForRun().Summarize(ctx, req)
}

func (b *budgeted) ForRun() digest.Summarizer {
	b.runs.Add(1)
	return &budgetRun{left: b.budget}
}

type budgetRun struct {
	mu   sync.Mutex
	left int
}

func (r *budgetRun) Version() string { return "budgeted/1" }

func (r *budgetRun) Summarize(_ context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.left == 0 {
		return digest.Summary{Backend: "extractive", Text: req.Title, Fallback: true, FallbackReason: "run token budget exhausted"}, nil
	}
	r.left--
	return digest.Summary{Backend: "llm", Text: req.Title}, nil
}

// The summarise jobs of one gather are one run: they share its token
// budget, as Engine.Stories's summaries do in `digest now`, instead of each
// job getting a fresh budget (which left the budget unenforced in serve).
func TestSummarise_GatherSharesRunBudget(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "digest.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sum := &budgeted{budget: 2}
	q := &Queue{deps: Deps{Engine: &digest.Engine{Store: db, Summarizer: sum}}, log: slog.New(slog.DiscardHandler)}
	w := &summariseWorker{q: q}
	work := func(hash string, run int64) digest.Summary {
		t.Helper()
		args := SummariseArgs{ContentHash: hash, Version: sum.Version(), Title: "story " + hash, Text: "Text.", Run: run}
		if err := w.Work(ctx, &river.Job[SummariseArgs]{JobRow: &rivertype.JobRow{}, Args: args}); err != nil {
			t.Fatalf("work %s: %v", hash, err)
		}
		s, err := db.Summary(ctx, hash, sum.Version())
		if err != nil {
			t.Fatalf("summary %s: %v", hash, err)
		}
		return s
	}
	var fallbacks int
	for i := range 3 {
		if work(fmt.Sprint("g1-", i), 42).Fallback {
			fallbacks++
		}
	}
	if fallbacks != 1 || sum.runs.Load() != 1 {
		t.Fatalf("one gather of 3 stories with a budget of 2: %d fallbacks, %d runs; want 1 fallback in 1 run", fallbacks, sum.runs.Load())
	}
	// The next gather has a budget of its own.
	if work("g2-0", 43).Fallback || sum.runs.Load() != 2 {
		t.Fatalf("next gather: fell back or shared the old run (%d runs)", sum.runs.Load())
	}
}
