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

// textCountingStore records which articles' texts a run reads.
type textCountingStore struct {
	*store.DB
	mu    sync.Mutex
	since int     // ArticlesSince calls: every text of the window
	texts []int64 // ids given to ArticleTexts
}

func (s *textCountingStore) ArticlesSince(ctx context.Context, since time.Time) ([]digest.Article, error) {
	s.mu.Lock()
	s.since++
	s.mu.Unlock()
	return s.DB.ArticlesSince(ctx, since)
}

func (s *textCountingStore) ArticleTexts(ctx context.Context, ids []int64) (map[int64]string, error) {
	s.mu.Lock()
	s.texts = append(s.texts, ids...)
	s.mu.Unlock()
	return s.DB.ArticleTexts(ctx, ids)
}

// TestEngine_Run_KeptFeatures runs twice with the real clusterer and
// ranker: the second run, with a new report of an earlier story and a new
// story, reads no article of the window whole (ArticlesSince), only the
// texts of the new articles and of the stories' leads (not the earlier
// same-outlet report in the EU steel story), puts the new report in the
// earlier story, and makes the stories clustering the window afresh makes.
func TestEngine_Run_KeptFeatures(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, _ := newEngine(t, db, &now)
	st := &textCountingStore{DB: db}
	e.Store = st
	e.Clusterer = cluster.New(cluster.Config{})
	e.Ranker = rank.New(rank.Config{})
	ctx := context.Background()
	h := func(d time.Duration) time.Time { return t0.Add(-d) }
	first := staticSource("https://ledger.example/feed",
		item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/eu-steel-2", "Brussels raises duty on out-of-quota steel and trims quotas", euSteelSameOutlet, h(4*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/derby", "Riverside United win the derby", football, h(2*time.Hour)),
	)
	second := staticSource("https://meridian.example/feed",
		item("Meridian Trade", "https://meridian.example/eu-steel", "EU lifts steel safeguard tariff to 40%, trims quotas", euSteel+" Importers were not consulted.", h(3*time.Hour)),
		item("Meridian Trade", "https://meridian.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(1*time.Hour)),
	)
	dry := digest.RunOptions{Since: 24 * time.Hour, DryRun: true, DryRunOut: func(digest.Edition, digest.Message) error { return nil }}
	run := func(src digest.Source) digest.Report {
		t.Helper()
		opts := dry
		opts.Sources = []digest.Source{src}
		rep, err := e.Run(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.CheckAccount(); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	run(first)
	st.since, st.texts = 0, nil
	now = t0.Add(time.Hour)
	rep := run(second)
	if st.since != 0 {
		t.Errorf("the second run read the whole window %d times", st.since)
	}
	storyOf := map[string]string{}
	idOf := map[string]int64{}
	for _, f := range rep.Articles {
		storyOf[f.URL], idOf[f.URL] = f.Story, f.ArticleID
	}
	if storyOf["https://meridian.example/eu-steel"] != storyOf["https://ledger.example/eu-steel"] ||
		storyOf["https://ledger.example/eu-steel-2"] != storyOf["https://ledger.example/eu-steel"] {
		t.Errorf("the new EU steel report is not in the earlier story: %v", storyOf)
	}
	if slices.Contains(st.texts, idOf["https://ledger.example/eu-steel-2"]) || len(st.texts) == 0 {
		t.Errorf("texts read %v: the earlier same-outlet report (%d) is neither new nor a lead", st.texts, idOf["https://ledger.example/eu-steel-2"])
	}
	for _, u := range []string{"https://meridian.example/eu-steel", "https://meridian.example/us-steel"} {
		if !slices.Contains(st.texts, idOf[u]) {
			t.Errorf("the new article %s was clustered without its text (read %v)", u, st.texts)
		}
	}
	// Afresh: the same stories.
	all, err := db.ArticlesSince(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.Clusterer.Cluster(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fresh {
		for _, a := range s.Articles {
			if storyOf[a.URL] != s.Key {
				t.Errorf("%s: story %.8s in the run, %.8s afresh", a.URL, storyOf[a.URL], s.Key)
			}
		}
	}
	kept, err := db.KeptArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kept {
		if len(k.Features) == 0 || k.Story == 0 || k.Article.Text != "" {
			t.Errorf("%s kept with %d bytes of features, story %d, text %q", k.Article.URL, len(k.Features), k.Story, k.Article.Text)
		}
	}
}
