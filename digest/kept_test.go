package digest_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
	calls []int   // how many ids each ArticleTexts call was given
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
	s.calls = append(s.calls, len(ids))
	s.mu.Unlock()
	return s.DB.ArticleTexts(ctx, ids)
}

// textCountingEngine returns an engine with the real clusterer on a test
// store whose text reads are recorded, its clock at *now.
func textCountingEngine(t *testing.T, now *time.Time) (*digest.Engine, *store.DB, *textCountingStore) {
	t.Helper()
	db := storetest.Open(t)
	e, _, _ := newEngine(t, db, now)
	st := &textCountingStore{DB: db}
	e.Store = st
	e.Clusterer = cluster.New(cluster.Config{})
	return e, db, st
}

// sameAsAfresh fails t unless the stories a run put the window's articles
// in (storyOf: story key by URL) are those clustering the articles
// published after since afresh makes; it returns how many articles those
// stories hold beside their leads.
func sameAsAfresh(t *testing.T, e *digest.Engine, db *store.DB, since time.Time, storyOf map[string]string) (pairs int) {
	t.Helper()
	ctx := context.Background()
	all, err := db.ArticlesSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.Clusterer.Cluster(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fresh {
		pairs += len(s.Articles) - 1
		for _, a := range s.Articles {
			if storyOf[a.URL] != s.Key {
				t.Errorf("%s: story %.8s in the run, %.8s afresh", a.URL, storyOf[a.URL], s.Key)
			}
		}
	}
	return pairs
}

// TestEngine_Run_KeptFeatures runs twice with the real clusterer and
// ranker: the second run, with a new report of an earlier story and a new
// story, reads no article of the window whole (ArticlesSince) and no text
// to cluster (the gather kept the new articles' features), only the texts
// of the stories' leads, which ranking and summarising read (not the
// earlier same-outlet report in the EU steel story); it puts the new
// report in the earlier story, and makes the stories clustering the window
// afresh makes.
func TestEngine_Run_KeptFeatures(t *testing.T) {
	now := t0
	e, db, st := textCountingEngine(t, &now)
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
		t.Errorf("texts read %v: the earlier same-outlet report (%d) is not a lead", st.texts, idOf["https://ledger.example/eu-steel-2"])
	}
	leads := map[int64]bool{}
	for _, f := range rep.Articles {
		// The derby is off topic: ranking read its text to drop it.
		if f.Fate == digest.FateLead || f.Fate == digest.FateOffTopic {
			leads[f.ArticleID] = true
		}
	}
	for _, id := range st.texts {
		if !leads[id] {
			t.Errorf("the text of article %d was read: not a lead (%v)", id, leads)
		}
	}
	// Afresh: the same stories.
	sameAsAfresh(t, e, db, now.Add(-24*time.Hour), storyOf)
	kept, err := db.KeptArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kept {
		if len(k.Head) != digest.KeptHead || k.Story == 0 || k.Article.Text != "" {
			t.Errorf("%s kept with a head of %d bytes of features, story %d, text %q", k.Article.URL, len(k.Head), k.Story, k.Article.Text)
		}
	}
}

// TestEngine_Stories_LeadTextsInBatches ranks and summarises more stories
// than one batch of lead texts holds: no read asks for more texts than a
// batch, the order and relevance are one RankSplit's over all the stories
// with their texts (summarised or not: RankedStories), every story is summarised from its own lead's text,
// and the stories come back without the texts (the summaries stand for
// them).
func TestEngine_Stories_LeadTextsInBatches(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, _ := newEngine(t, db, &now)
	st := &textCountingStore{DB: db}
	e.Store = st
	cl := cluster.New(cluster.Config{})
	rk := rank.New(rank.Config{})
	e.Clusterer, e.Ranker = cl, rk
	ctx := context.Background()
	goods := []string{"steel", "aluminium", "wheat", "soybeans", "copper", "timber", "rice", "cotton", "coffee", "sugar"}
	var items []digest.Article
	for i := range 2*digest.TextBatch + 40 {
		g := goods[i%len(goods)]
		country := fmt.Sprintf("Country%c%c", 'A'+i/26%26, 'A'+i%26)
		items = append(items, item(fmt.Sprintf("Outlet %d", i%7), fmt.Sprintf("https://news.example/%d", i),
			fmt.Sprintf("%s raises %s import tariff to %d%%", country, g, 10+i),
			fmt.Sprintf("%s will raise its import tariff on %s to %d%% from %d%% next month, the trade ministry said on %d May. Exporters of %s warned that the duty on %d tonnes of shipments would hurt trade. Customs officials said quotas stay at %d tonnes.", country, g, 10+i, 5+i, 1+i%28, g, 1000+i, 2000+i),
			t0.Add(-time.Duration(i)*time.Minute)))
	}
	if err := e.Gather(ctx, []digest.Source{staticSource("https://news.example/feed", items...)}, &digest.Report{}); err != nil {
		t.Fatal(err)
	}
	since := t0.Add(-24 * time.Hour)
	all, err := db.ArticlesSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	clustered, err := cl.Cluster(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := rk.RankSplit(clustered, now)
	if len(want) <= digest.TextBatch {
		t.Fatalf("%d stories kept: no more than one batch", len(want))
	}
	st.texts = nil
	got, err := e.Stories(ctx, since, &digest.Report{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d stories, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Relevance != w.Relevance || !slices.Equal(g.Topics, w.Topics) {
			t.Fatalf("story %d: %.8s relevance %.3f %v, want %.8s %.3f %v", i, g.Key, g.Relevance, g.Topics, w.Key, w.Relevance, w.Topics)
		}
		if first, _, _ := strings.Cut(w.Lead().Text, "."); g.Summary.Text != first+"." {
			t.Errorf("story %d summarised as %q, from another text than its lead's (%q)", i, g.Summary.Text, first)
		}
		if g.Lead().Text != "" {
			t.Errorf("story %d came back with its lead's text", i)
		}
	}
	// Unsummarised, ranked only (the stories summarise jobs are made
	// for): the same order.
	ranked, err := e.RankedStories(ctx, &digest.Report{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range min(len(ranked), len(want)) {
		if ranked[i].Key != want[i].Key {
			t.Fatalf("ranked story %d is %.8s, want %.8s", i, ranked[i].Key, want[i].Key)
		}
	}
	for _, n := range st.calls {
		if n > digest.TextBatch {
			t.Errorf("one read asked for %d texts, more than a batch (%d)", n, digest.TextBatch)
		}
	}
}

// loadingClusterer is the real clusterer that records, in the order they
// happen, when the engine says a window is being loaded for it, when the
// window is done, and each ClusterKept call.
type loadingClusterer struct {
	*cluster.Clusterer
	events *[]string
}

func (c loadingClusterer) LoadingWindow() func() {
	*c.events = append(*c.events, "loading")
	return func() { *c.events = append(*c.events, "done") }
}

func (c loadingClusterer) Ranking() func() {
	*c.events = append(*c.events, "ranking")
	return func() { *c.events = append(*c.events, "ranked") }
}

func (c loadingClusterer) ClusterKept(ctx context.Context, articles []digest.Article, features [][]byte, prior []int64, again digest.KeptReader) ([]digest.Story, [][]byte, error) {
	*c.events = append(*c.events, fmt.Sprintf("cluster %d", len(articles)))
	return c.Clusterer.ClusterKept(ctx, articles, features, prior, again)
}

// keptLoadStore records its KeptArticlesSince calls in events.
type keptLoadStore struct {
	*store.DB
	events *[]string
}

func (s keptLoadStore) KeptArticlesSince(ctx context.Context, since time.Time) ([]digest.KeptArticle, error) {
	*s.events = append(*s.events, "load")
	return s.DB.KeptArticlesSince(ctx, since)
}

// TestEngine_Run_LoadingWindow: a clusterer that is a WindowLoader hears of
// the window before the store loads it and is told it is done once, after
// clustering it, in every run; then around the ranking of its stories,
// again around the account of the window's articles, and around the saving
// of the run's report.
func TestEngine_Run_LoadingWindow(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, _ := newEngine(t, db, &now)
	var events []string
	e.Store = keptLoadStore{DB: db, events: &events}
	e.Clusterer = loadingClusterer{Clusterer: cluster.New(cluster.Config{}), events: &events}
	e.Ranker = rank.New(rank.Config{})
	var _ digest.WindowLoader = loadingClusterer{}
	h := func(d time.Duration) time.Time { return t0.Add(-d) }
	src := staticSource("https://ledger.example/feed",
		item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(1*time.Hour)),
	)
	opts := digest.RunOptions{Since: 24 * time.Hour, DryRun: true, DryRunOut: func(digest.Edition, digest.Message) error { return nil },
		Sources: []digest.Source{src}}
	if _, err := e.Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	want := []string{"loading", "load", "cluster 2", "done", "ranking", "ranked", "loading", "done"} // then the account
	if !slices.Equal(events, want) {
		t.Errorf("events %q, want %q", events, want)
	}
	// Saving the report encodes a line for every article read: it is
	// bracketed as ranking is.
	events = nil
	e.SaveRun(context.Background(), "now", t0, digest.Report{}, nil)
	if want := []string{"ranking", "ranked"}; !slices.Equal(events, want) {
		t.Errorf("saving the run: events %q, want %q", events, want)
	}
}

// changingStore has no features when they are read (KeptFeatures), as
// when another process drops the window's features after it was listed,
// and counts those reads.
type changingStore struct {
	*store.DB
	reads *int
}

func (s changingStore) KeptFeatures(ctx context.Context, ids []int64) (map[int64][]byte, error) {
	*s.reads++
	return map[int64][]byte{}, nil
}

// TestEngine_Run_KeptChanged: features gone when the clusterer reads them
// make the run read its window again, holding the features (read once,
// then from the texts), and make the stories of a run whose features stay
// put.
func TestEngine_Run_KeptChanged(t *testing.T) {
	h := func(d time.Duration) time.Time { return t0.Add(-d) }
	run := func(change bool) (digest.Report, int) {
		db := storetest.Open(t)
		now := t0
		e, _, _ := newEngine(t, db, &now)
		reads := 0
		if change {
			e.Store = changingStore{DB: db, reads: &reads}
		}
		e.Clusterer = cluster.New(cluster.Config{})
		src := staticSource("https://ledger.example/feed",
			item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
			item("Harbour Ledger", "https://ledger.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(1*time.Hour)),
		)
		opts := digest.RunOptions{Since: 24 * time.Hour, DryRun: true, DryRunOut: func(digest.Edition, digest.Message) error { return nil },
			Sources: []digest.Source{src}}
		rep, err := e.Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return rep, reads
	}
	want, _ := run(false)
	got, reads := run(true)
	if reads != 2 {
		t.Errorf("features read %d times, want twice (the clusterer's first batch, then the window's at once)", reads)
	}
	if got.Stories != want.Stories || got.ArticlesRead != want.ArticlesRead || !reflect.DeepEqual(got.Fates, want.Fates) {
		t.Errorf("report with changed features: %d stories, %d articles read, fates %v; want %d, %d, %v",
			got.Stories, got.ArticlesRead, got.Fates, want.Stories, want.ArticlesRead, want.Fates)
	}
}

// TestEngine_RankedStories_LeadDetails: the window's articles are listed
// without their details (GUID, content hash, fetch time), and the stories
// come with their leads' as stored, keyed by the leads' content hashes, as
// clustering the stored articles whole keys them; only the leads' details
// are read.
func TestEngine_RankedStories_LeadDetails(t *testing.T) {
	db := storetest.Open(t)
	now := t0
	e, _, _ := newEngine(t, db, &now)
	e.Clusterer = cluster.New(cluster.Config{})
	h := func(d time.Duration) time.Time { return t0.Add(-d) }
	arts := []digest.Article{
		item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
		item("Meridian Trade", "https://meridian.example/eu-steel", "EU lifts steel safeguard tariff to 40%, trims quotas", euSteel+" Importers were not consulted.", h(3*time.Hour)),
		item("Meridian Trade", "https://meridian.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(1*time.Hour)),
	}
	for i := range arts {
		arts[i].SourceID, arts[i].GUID, arts[i].FetchedAt = "https://feeds.example/"+fmt.Sprint(i), fmt.Sprint("guid-", i), h(30*time.Minute)
	}
	if err := e.Gather(context.Background(), []digest.Source{staticSource("https://feeds.example/all", arts...)}, &digest.Report{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stored, err := db.ArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]digest.Article{}
	for _, a := range stored {
		byID[a.ID] = a
	}
	st := &detailCountingStore{DB: db}
	e.Store = st
	var rep digest.Report
	stories, err := e.RankedStories(ctx, &rep)
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.Clusterer.Cluster(ctx, stored)
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != 2 || len(want) != 2 {
		t.Fatalf("%d stories, %d clustering the stored articles; want 2", len(stories), len(want))
	}
	keys := map[string]bool{}
	for _, s := range want {
		keys[s.Key] = true
	}
	var leads []int64
	for _, s := range stories {
		lead, stored := s.Articles[0], byID[s.Articles[0].ID]
		leads = append(leads, lead.ID)
		if lead.GUID != stored.GUID || lead.ContentHash != stored.ContentHash || !lead.FetchedAt.Equal(stored.FetchedAt) || lead.GUID == "" {
			t.Errorf("lead %d: details %q %q %v, want %q %q %v", lead.ID, lead.GUID, lead.ContentHash, lead.FetchedAt,
				stored.GUID, stored.ContentHash, stored.FetchedAt)
		}
		if s.Key != lead.ContentHash || !keys[s.Key] {
			t.Errorf("story keyed %q, lead's content hash %q; keys clustering the stored articles: %v", s.Key, lead.ContentHash, keys)
		}
	}
	slices.Sort(leads)
	slices.Sort(st.details)
	if !slices.Equal(st.details, leads) {
		t.Errorf("details read for %v, want the leads' %v", st.details, leads)
	}
}

// detailCountingStore records the ids given to ArticleDetails.
type detailCountingStore struct {
	*store.DB
	details []int64
}

func (s *detailCountingStore) ArticleDetails(ctx context.Context, ids []int64) (map[int64]digest.ArticleDetail, error) {
	s.details = append(s.details, ids...)
	return s.DB.ArticleDetails(ctx, ids)
}

// TestEngine_Run_StaleFeaturesInBatches: when every kept feature of the
// window is stale (a release that changes their encoding), the run reads
// the texts to encode them afresh a batch at a time, never the whole
// window's at once, keeps them current, and makes the stories clustering
// the window afresh makes.
func TestEngine_Run_StaleFeaturesInBatches(t *testing.T) {
	now := t0
	e, db, st := textCountingEngine(t, &now)
	ctx := context.Background()
	n := digest.RefreshBatch + 88
	items := make([]digest.Article, 0, n)
	for i := range n {
		// Of every three items, the second repeats the first in other
		// words, so that stories of two articles are among them.
		title := fmt.Sprintf("Port %d raises handling fees for container ships by %d%%", i/3, 10+i/3)
		switch i % 3 {
		case 1:
			title = fmt.Sprintf("Container ships face %d%% higher handling fees at port %d", 10+i/3, i/3)
		case 2:
			title = fmt.Sprintf("Dredging contract %d for harbour %d goes to a Dutch builder", 7000+i, i/3)
		}
		text := fmt.Sprintf("%s. The port authority of harbour %d said the new fees apply from next month to all container vessels calling there.", title, i/3)
		items = append(items, item("Harbour Ledger", fmt.Sprintf("https://ledger.example/%d", i), title, text, t0.Add(-time.Duration(n-i)*time.Minute)))
	}
	dry := digest.RunOptions{Since: 24 * time.Hour, DryRun: true, DryRunOut: func(digest.Edition, digest.Message) error { return nil },
		Sources: []digest.Source{staticSource("https://ledger.example/feed", items...)}}
	if _, err := e.Run(ctx, dry); err != nil {
		t.Fatal(err)
	}
	// Every feature goes stale: its first byte is the encoding's version.
	kept, err := db.KeptArticlesSince(ctx, time.Time{})
	if err != nil || len(kept) != n {
		t.Fatalf("%d articles kept, want %d (%v)", len(kept), n, err)
	}
	ids := make([]int64, len(kept))
	for i, k := range kept {
		ids[i] = k.Article.ID
	}
	all, err := db.KeptFeatures(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var stale []digest.KeptArticle
	for _, k := range kept {
		f := slices.Clone(all[k.Article.ID])
		f[0]++
		stale = append(stale, digest.KeptArticle{Article: digest.Article{ID: k.Article.ID}, Features: f, Story: k.Story})
	}
	if err := db.SaveKept(ctx, stale); err != nil {
		t.Fatal(err)
	}
	st.texts, st.calls = nil, nil
	now = t0.Add(time.Hour)
	dry.Sources = nil
	rep, err := e.Run(ctx, dry)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.CheckAccount(); err != nil {
		t.Fatal(err)
	}
	read := map[int64]bool{}
	for _, id := range st.texts {
		read[id] = true
	}
	if len(read) < n {
		t.Errorf("texts of %d articles read, want all %d (their features were stale)", len(read), n)
	}
	for _, c := range st.calls {
		if c > digest.RefreshBatch {
			t.Errorf("one read asked for %d texts, more than a batch (%d): calls %v", c, digest.RefreshBatch, st.calls)
			break
		}
	}
	kept, err = db.KeptArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kept {
		if !e.Clusterer.(digest.KeepingClusterer).KeptCurrent(k.Head) {
			t.Fatalf("article %d still has stale features (head %v)", k.Article.ID, k.Head)
		}
	}
	// The stories are those of clustering the window afresh.
	storyOf := map[string]string{}
	for _, f := range rep.Articles {
		storyOf[f.URL] = f.Story
	}
	if pairs := sameAsAfresh(t, e, db, now.Add(-24*time.Hour), storyOf); pairs == 0 {
		t.Error("no story of more than one article: the check above proves little")
	}
}

// TestEngine_RankedStories_AssessmentsKept ranks a window twice with the
// real clusterer and ranker on a store that keeps the articles'
// assessments: the gather assesses what it stores, so the first ranking
// reads no text; the second, after a new story arrived from a gather that
// kept no assessment (one without a ranker, as a release before gathers
// assessed), reads the text of the new story's lead only, and ranks as
// assessing every lead afresh does (the same stories in the same order,
// with the same relevance, topics and scores); a ranker with other
// settings (another AssessmentVersion) reads every lead again.
func TestEngine_RankedStories_AssessmentsKept(t *testing.T) {
	now := t0
	e, db, st := textCountingEngine(t, &now)
	e.Ranker = rank.New(rank.Config{})
	ctx := context.Background()
	h := func(d time.Duration) time.Time { return t0.Add(-d) }
	gather := func(items ...digest.Article) {
		t.Helper()
		if err := e.Gather(ctx, []digest.Source{staticSource("https://ledger.example/feed", items...)}, &digest.Report{}); err != nil {
			t.Fatal(err)
		}
	}
	ranked := func() []digest.Story {
		t.Helper()
		st.texts = nil
		stories, err := e.RankedStories(ctx, &digest.Report{})
		if err != nil {
			t.Fatal(err)
		}
		return stories
	}
	gather(item("Harbour Ledger", "https://ledger.example/eu-steel", "EU to lift steel safeguard tariff to 40% as quotas shrink", euSteel, h(5*time.Hour)),
		item("Harbour Ledger", "https://ledger.example/derby", "Riverside United win the derby", football, h(2*time.Hour)))
	if first := ranked(); len(first) != 1 || len(st.texts) != 0 {
		t.Fatalf("first ranking: %d stories kept, %d texts read; want 1 (the derby is off topic) and none", len(first), len(st.texts))
	}
	ranker := e.Ranker
	e.Ranker = nil
	gather(item("Harbour Ledger", "https://ledger.example/us-steel", "US raises steel tariffs on Canadian imports to 50%", usSteel, h(time.Hour)))
	e.Ranker = ranker
	got := ranked()
	var newID int64
	for _, s := range got {
		if s.Articles[0].URL == "https://ledger.example/us-steel" {
			newID = s.Articles[0].ID
		}
	}
	if newID == 0 || !slices.Equal(st.texts, []int64{newID}) {
		t.Errorf("second ranking read the texts of %v; want the new lead's alone (%d)", st.texts, newID)
	}
	// Afresh: every lead assessed from its text.
	all, err := db.ArticlesSince(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	clustered, err := e.Clusterer.Cluster(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := e.Ranker.RankSplit(clustered, now)
	if len(got) != len(want) || len(got) != 2 {
		t.Fatalf("%d stories kept, afresh %d; want 2", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Score != w.Score || g.Relevance != w.Relevance || !slices.Equal(g.Topics, w.Topics) {
			t.Errorf("story %d: %.8s %.4f %.3f %v; afresh %.8s %.4f %.3f %v", i, g.Key, g.Score, g.Relevance, g.Topics, w.Key, w.Score, w.Relevance, w.Topics)
		}
	}
	// Other settings: every lead is assessed again.
	e.Ranker = rank.New(rank.Config{Saturation: 9})
	if ranked(); len(st.texts) != 3 {
		t.Errorf("a ranker with other settings read %d texts, want the 3 leads'", len(st.texts))
	}
}
