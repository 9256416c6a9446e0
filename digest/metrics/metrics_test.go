package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// scrape fetches the exposition text over a real loopback HTTP server.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("get metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMetrics_ObserveReport(t *testing.T) {
	m := New(Options{NoRuntime: true})
	rep := digest.Report{
		Sources: []digest.SourceReport{
			{ID: "https://a.example/feed", Failures: 0},
			{ID: "https://b.example/feed", Failures: 4, Error: "timeout"},
		},
		ArticlesFetched: 12, ArticlesNew: 5, Stories: 7, StoriesDropped: 2,
		SummariesNew: 3, SummariesCached: 4, SummariesFallback: 1, SummariesUnfaithful: 1,
		SummariesByBackend: map[string]int{"openai": 2, "extractive": 1},
		PromptTokens:       900, CompletionTokens: 120,
		Sent: 3, AlreadySent: 1, Deferred: 2,
	}
	m.ObserveReport("gather", rep)
	m.ObserveReport("gather", rep)
	m.ObserveDelivery(digest.OutcomeSent, nil)
	m.ObserveDelivery("", errors.New("store down"))
	m.ObserveJob("plan", time.Unix(1700000000, 0), nil)
	m.ObserveJob("deliver", time.Now(), errors.New("boom"))

	out := scrape(t, m)
	for _, want := range []string{
		"digest_articles_fetched_total 24",
		"digest_articles_new_total 10",
		`digest_stories{kind="gather"} 7`,
		"digest_stories_dropped_total 4",
		`digest_summaries_total{backend="openai"} 4`,
		`digest_summaries_total{backend="extractive"} 2`,
		"digest_summaries_cached_total 8",
		"digest_summaries_fallback_total 2",
		"digest_summaries_unfaithful_total 2",
		`digest_llm_tokens_total{type="prompt"} 1800`,
		`digest_llm_tokens_total{type="completion"} 240`,
		`digest_deliveries_total{status="sent"} 7`,
		`digest_deliveries_total{status="already_sent"} 2`,
		`digest_deliveries_total{status="deferred"} 4`,
		`digest_deliveries_total{status="error"} 1`,
		`digest_last_success_timestamp_seconds{kind="plan"} 1.7e+09`,
		`digest_job_failures_total{kind="deliver"} 1`,
		`digest_source_consecutive_failures{source="https://b.example/feed"} 4`,
		`digest_source_consecutive_failures{source="https://a.example/feed"} 0`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(out, `status="failed"`) {
		t.Errorf("zero outcome was exported:\n%s", out)
	}
	if strings.Contains(out, "go_goroutines") {
		t.Errorf("runtime collectors present with NoRuntime")
	}
}

// The stories gauge is the last run's count: a gather that finds nothing
// (every source down, a quiet holiday) shows 0, not the day before's count.
// Kinds that never report stories (summarise) get no series.
func TestMetrics_StoriesGaugeFallsToZero(t *testing.T) {
	m := New(Options{NoRuntime: true})
	m.ObserveReport("gather", digest.Report{Stories: 7})
	m.ObserveReport("summarise", digest.Report{SummariesNew: 1})
	m.ObserveReport("gather", digest.Report{})
	out := scrape(t, m)
	if !strings.Contains(out, `digest_stories{kind="gather"} 0`+"\n") {
		t.Errorf("stories gauge not reset by an empty gather:\n%s", out)
	}
	if strings.Contains(out, `digest_stories{kind="summarise"}`) {
		t.Errorf("summarise runs exported a stories gauge")
	}
}

func TestMetrics_QueueDepth(t *testing.T) {
	m := New(Options{})
	out := scrape(t, m)
	if strings.Contains(out, "digest_queue_jobs") {
		t.Fatalf("queue depth exported before a source was set")
	}
	if !strings.Contains(out, "go_goroutines") {
		t.Errorf("runtime collectors missing")
	}

	calls := 0
	m.SetQueueDepth(func(ctx context.Context) (map[string]int, error) {
		calls++
		if _, ok := ctx.Deadline(); !ok {
			t.Error("depth query has no deadline")
		}
		return map[string]int{"available": 3, "scheduled": 11}, nil
	})
	out = scrape(t, m)
	for _, want := range []string{
		`digest_queue_jobs{state="available"} 3`,
		`digest_queue_jobs{state="scheduled"} 11`,
		"digest_queue_depth_up 1",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	scrape(t, m)
	if calls != 2 {
		t.Errorf("depth counted %d times for 2 scrapes, want once per scrape", calls)
	}

	m.SetQueueDepth(func(context.Context) (map[string]int, error) {
		return nil, errors.New("database is closed")
	})
	out = scrape(t, m)
	if !strings.Contains(out, "digest_queue_depth_up 0\n") {
		t.Errorf("failed depth query not reported")
	}
	if strings.Contains(out, "digest_queue_jobs{") {
		t.Errorf("stale depth exported after a failed query")
	}
}

// TestMetrics_SourceLabelRedacted: a source URL with a login or a key in
// its query is a label with those hidden; the feed stays recognisable.
func TestMetrics_SourceLabelRedacted(t *testing.T) {
	m := New(Options{NoRuntime: true})
	m.ObserveReport("gather", digest.Report{Sources: []digest.SourceReport{
		{ID: "https://reader:pw-4411@feeds.example/trade.rss?apikey=k-9c1d&lang=en", Failures: 2},
	}})
	out := scrape(t, m)
	if strings.Contains(out, "pw-4411") || strings.Contains(out, "k-9c1d") {
		t.Errorf("a credential reached /metrics:\n%s", out)
	}
	if !strings.Contains(out, `digest_source_consecutive_failures{source="https://reader:xxxxx@feeds.example/trade.rss?apikey=xxxxx&lang=en"} 2`) {
		t.Errorf("redacted source label missing:\n%s", out)
	}
}
