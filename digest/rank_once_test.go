package digest_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// countingRanker is the real ranker, counting the calls of each method.
type countingRanker struct {
	*rank.Ranker
	rank, relevance, split, rerank int
	assessed, rankAssessed         int // leads assessed (AssessLeads), RankAssessed calls
}

func (r *countingRanker) AssessLeads(stories []digest.Story) []digest.Assessment {
	r.assessed += len(stories)
	return r.Ranker.AssessLeads(stories)
}

func (r *countingRanker) RankAssessed(stories []digest.Story, assessed []digest.Assessment, now time.Time) ([]digest.Story, []digest.Story) {
	r.rankAssessed++
	return r.Ranker.RankAssessed(stories, assessed, now)
}

func (r *countingRanker) Rank(stories []digest.Story, now time.Time) []digest.Story {
	r.rank++
	return r.Ranker.Rank(stories, now)
}

func (r *countingRanker) Relevance(st digest.Story) (float64, float64) {
	r.relevance++
	return r.Ranker.Relevance(st)
}

func (r *countingRanker) RankSplit(stories []digest.Story, now time.Time) ([]digest.Story, []digest.Story) {
	r.split++
	return r.Ranker.RankSplit(stories, now)
}

func (r *countingRanker) Rerank(stories []digest.Story, now time.Time) []digest.Story {
	r.rerank++
	return r.Ranker.Rerank(stories, now)
}

// TestEngine_Run_RanksOnce checks that a run assesses each story's text
// once: each lead assessed once (AssessLeads; the store keeps the
// assessments) and one RankAssessed over the clustered stories (the
// dropped ones come back with their relevance for the account), one
// Rerank of the kept ones after summarising, and no Rank, RankSplit or
// Relevance, which read the texts again.
func TestEngine_Run_RanksOnce(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, _ := newEngine(t, db, &now)
	e.Clusterer = cluster.New(cluster.Config{})
	r := &countingRanker{Ranker: rank.New(rank.Config{})}
	e.Ranker = r
	h := func(d time.Duration) time.Time { return t0.Add(-d) }
	src := staticSource("https://ledger.example/feed",
		item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/derby", "Riverside United win the derby", football, h(2*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(1*time.Hour)),
	)
	var ed digest.Edition
	rep, err := e.Run(context.Background(), digest.RunOptions{Sources: []digest.Source{src}, Since: 24 * time.Hour, DryRun: true,
		DryRunOut: func(got digest.Edition, _ digest.Message) error { ed = got; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if r.assessed != 3 || r.rankAssessed != 1 || r.split != 0 || r.rerank != 1 || r.rank != 0 || r.relevance != 0 {
		t.Errorf("%d leads assessed; RankAssessed %d, RankSplit %d, Rerank %d, Rank %d, Relevance %d calls; want 3; 1, 0, 1, 0, 0",
			r.assessed, r.rankAssessed, r.split, r.rerank, r.rank, r.relevance)
	}
	if len(ed.Stories) != 2 || rep.StoriesDropped != 1 {
		t.Fatalf("%d stories in the edition, %d dropped; want 2 and 1", len(ed.Stories), rep.StoriesDropped)
	}
	for _, f := range rep.Articles {
		if f.URL == "https://ledger.example/derby" {
			if f.Fate != digest.FateOffTopic || f.Relevance >= f.Threshold || f.Threshold != r.Threshold() {
				t.Errorf("derby: %+v, want off-topic with its relevance below the threshold %.3f", f, r.Threshold())
			}
		}
	}
}

// orderStore is the store, noting when the ranking's read of kept
// assessments is asked and returns, and when the cluster stage's save of the window's
// stories (a SaveKept call that sets stories and keeps no features)
// starts and ends.
type orderStore struct {
	*store.DB
	mu     sync.Mutex
	events []string
}

func (s *orderStore) note(ev string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
}

func (s *orderStore) Assessments(ctx context.Context, version string, ids []int64) (map[int64]digest.Assessment, error) {
	s.note("assessments asked")
	// Slow enough that a save started beside the read would be seen.
	time.Sleep(20 * time.Millisecond)
	got, err := s.DB.Assessments(ctx, version, ids)
	s.note("assessments read")
	return got, err
}

func (s *orderStore) SaveKept(ctx context.Context, kept []digest.KeptArticle) error {
	stories := len(kept) > 0
	for _, k := range kept {
		stories = stories && k.Features == nil && k.Story != 0
	}
	if !stories {
		return s.DB.SaveKept(ctx, kept)
	}
	s.note("stories save started")
	// Slow enough that a stage that did not wait for it would be seen.
	time.Sleep(20 * time.Millisecond)
	err := s.DB.SaveKept(ctx, kept)
	s.note("stories save done")
	return err
}

// TestEngine_Run_SavesStoriesAfterRankingReads: the cluster stage saves
// the window's stories only once the ranking has read the kept
// assessments (on SQLite's one connection the read would wait for the
// save), and the stage ends with the save done: the stories the next run
// starts from are kept before the edition is made. A window of more
// entries than digest.saveBeside is saved before the ranking reads, as
// before, so as not to hold them beside it.
func TestEngine_Run_SavesStoriesAfterRankingReads(t *testing.T) {
	for _, c := range []struct {
		name   string
		beside int
		want   []string
	}{
		{"beside", 16384, []string{"assessments asked", "assessments read", "stories save started", "stories save done"}},
		{"before", 1, []string{"stories save started", "stories save done", "assessments asked", "assessments read"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			digest.SetSaveBeside(t, c.beside)
			db := &orderStore{DB: storetest.Open(t)}
			now := t0
			e, _, _ := newEngine(t, db, &now)
			e.Clusterer = cluster.New(cluster.Config{})
			e.Ranker = rank.New(rank.Config{})
			h := func(d time.Duration) time.Time { return t0.Add(-d) }
			src := staticSource("https://ledger.example/feed",
				item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
				item("Harbour Ledger", "https://ledger.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(1*time.Hour)),
			)
			var atEdition []string
			_, err := e.Run(context.Background(), digest.RunOptions{Sources: []digest.Source{src}, Since: 24 * time.Hour, DryRun: true,
				DryRunOut: func(digest.Edition, digest.Message) error {
					db.mu.Lock()
					atEdition = slices.Clone(db.events)
					db.mu.Unlock()
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(atEdition, c.want) {
				t.Errorf("store events by the time the edition was made: %q, want %q", atEdition, c.want)
			}
			// The stories were kept: a second run starts from them.
			kept, err := db.DB.KeptArticlesSince(context.Background(), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(kept) != 2 {
				t.Fatalf("%d kept articles, want 2", len(kept))
			}
			for _, k := range kept {
				if k.Story == 0 {
					t.Errorf("article %d has no kept story", k.Article.ID)
				}
			}
		})
	}
}
