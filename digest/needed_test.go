package digest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// titleRanker ranks "Story n" before "Story n+1", moved 100 places per
// step of its summary's Importance away from 3; it keeps every story and
// gives it the topics of topics (by lead title).
type titleRanker struct{ topics map[string][]string }

func storyNumber(st digest.Story) int {
	var n int
	fmt.Sscanf(st.Lead().Title, "Story %d", &n)
	return n
}

func (r titleRanker) RankSplit(stories []digest.Story, now time.Time) (kept, dropped []digest.Story) {
	for i := range stories {
		stories[i].Topics = r.topics[stories[i].Lead().Title]
	}
	return r.Rerank(stories, now), nil
}

func (titleRanker) Rerank(stories []digest.Story, _ time.Time) []digest.Story {
	out := slices.Clone(stories)
	for i := range out {
		out[i].Score = -float64(storyNumber(out[i]))
		if imp := out[i].Summary.Importance; imp >= 1 && imp <= 5 {
			out[i].Score += 100 * float64(imp-3)
		}
	}
	slices.SortStableFunc(out, func(a, b digest.Story) int { return int(b.Score - a.Score) })
	return out
}

func (titleRanker) Threshold() float64 { return 0 }

func (r titleRanker) RankWeek(stories []digest.Story, now time.Time) []digest.Story {
	return r.Rerank(stories, now)
}

// recordingSummarizer summarises as countingSummarizer does and records
// the titles it was asked for; before, when set, may change the summary
// or the world.
type recordingSummarizer struct {
	mu     sync.Mutex
	titles []string
	before func(title string, s *digest.Summary)
}

func (s *recordingSummarizer) Version() string { return "recording-v1" }
func (s *recordingSummarizer) Summarize(_ context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	first, _, _ := strings.Cut(req.Text, ".")
	sum := digest.Summary{Backend: "recording", Text: first + "."}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.titles = append(s.titles, req.Title)
	if s.before != nil {
		s.before(req.Title, &sum)
	}
	return sum, nil
}

func (s *recordingSummarizer) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.titles)
	slices.Sort(out)
	return out
}

// neededEngine is an engine over a real store holding stories 1..n,
// story k published k minutes before t0 (so the rank, story 1 first, is
// also newest first), with MaxStories 3.
func neededEngine(t *testing.T, n int, topics map[string][]string) (*digest.Engine, *store.DB, *recordingSummarizer, *recordingMailer, *time.Time) {
	t.Helper()
	db := storetest.Open(t)
	now := t0
	e, _, m := newEngine(t, db, &now)
	sum := &recordingSummarizer{}
	e.Summarizer = sum
	e.Ranker = titleRanker{topics: topics}
	e.Config.MaxStories = 3
	var as []digest.Article
	for k := 1; k <= n; k++ {
		as = append(as, article(k, t0.Add(-time.Duration(k)*time.Minute)))
	}
	if _, err := db.SaveArticles(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	return e, db, sum, m, &now
}

// editionStories returns the numbers of the stories of each message sent
// to whom, failing the test for a story without its summary (the
// recording summariser's is the article's first sentence).
func editionStories(t *testing.T, m *recordingMailer) map[string][]int {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]int{}
	for _, msg := range m.sent {
		for line := range strings.Lines(msg.Text) {
			var n int
			if _, err := fmt.Sscanf(line, "- Story %d:", &n); err != nil {
				continue
			}
			want := fmt.Sprintf("- Story %d: Tariff story number %d was announced by the ministry.\n", n, n)
			if line != want {
				t.Errorf("message to %s: %q, want the story with its summary %q", msg.To, line, want)
			}
			out[msg.To] = append(out[msg.To], n)
		}
	}
	return out
}

func addSubscriber(t *testing.T, db *store.DB, email string, freq digest.Frequency, topics ...string) {
	t.Helper()
	if _, err := db.AddSubscriber(context.Background(), digest.Subscriber{
		Email: email, TimeZone: "UTC", SendTime: "07:00", Frequency: freq, Topics: topics,
	}); err != nil {
		t.Fatal(err)
	}
}

// TestEngine_Run_SummarisesWhatEditionsHold: digest now summarises the
// stories some reader's edition holds, a reader's whose topics match only
// stories deep in the rank included, and no other.
func TestEngine_Run_SummarisesWhatEditionsHold(t *testing.T) {
	steel := []string{"steel"}
	e, db, sum, m, _ := neededEngine(t, 12, map[string][]string{"Story 9": steel, "Story 11": steel})
	addSubscriber(t, db, "ana@example.com", "")
	addSubscriber(t, db, "bob@example.com", "", "Steel")
	addSubscriber(t, db, "cy@example.com", "weekly:mon", "grain") // not today (a Friday)
	addSubscriber(t, db, "dan@example.com", "", "copper")         // nothing matches

	rep, err := e.Run(context.Background(), digest.RunOptions{Since: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	got := editionStories(t, m)
	want := map[string][]int{"ana@example.com": {1, 2, 3}, "bob@example.com": {9, 11}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("editions %v, want %v", got, want)
	}
	if asked := sum.asked(); !slices.Equal(asked, []string{"Story 1", "Story 11", "Story 2", "Story 3", "Story 9"}) {
		t.Errorf("summarised %v, want the five stories of the editions", asked)
	}
	if rep.Stories != 12 || rep.SummariesNew != 5 || rep.SummariesCached != 0 || rep.SummariesSkipped != 7 {
		t.Errorf("report: stories %d, summaries new %d cached %d skipped %d; want 12, 5, 0, 7",
			rep.Stories, rep.SummariesNew, rep.SummariesCached, rep.SummariesSkipped)
	}
	if rep.Sent != 2 || rep.Empty != 1 || rep.NotToday != 1 {
		t.Errorf("report: sent %d, empty %d, not today %d; want 2, 1, 1", rep.Sent, rep.Empty, rep.NotToday)
	}
	if err := rep.CheckAccount(); err != nil || rep.Fates[digest.FateLead] != 12 {
		t.Errorf("account: %v, fates %v", err, rep.Fates)
	}
}

// A reader whose last digest is later than the edition window's start
// gets only the stories since, deeper in the rank when the top ones are
// older: those are summarised too, although nobody's last digest is read
// before the stories are chosen.
func TestEngine_Run_SummarisesForALaterLastDigest(t *testing.T) {
	e, db, _, m, _ := neededEngine(t, 8, nil)
	// Ranked oldest first: story 1 is now the oldest.
	e.Ranker = reversed{titleRanker{}}
	addSubscriber(t, db, "ana@example.com", "")
	// Ana's digest of yesterday went out 4.5 minutes before t0: stories
	// 5..8, the top of the rank, are older.
	ctx := context.Background()
	d, err := db.EnsureDelivery(ctx, digest.Delivery{Email: "ana@example.com", EditionDate: "2026-11-26", MessageID: "x@example.com", Status: digest.DeliveryPending})
	if err == nil {
		d, err = db.ClaimDelivery(ctx, d.ID, t0.Add(-6*time.Minute), 10*time.Minute)
	}
	if err == nil {
		err = db.MarkSent(ctx, d.ID, t0.Add(-5*time.Minute+30*time.Second), 3)
	}
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Run(ctx, digest.RunOptions{Since: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 1 {
		t.Errorf("sent %d, want 1", rep.Sent)
	}
	if got := editionStories(t, m)["ana@example.com"]; fmt.Sprint(got) != "[4 3 2]" {
		t.Errorf("Ana's edition %v, want the three newest-ranked stories after her last digest [4 3 2]", got)
	}
}

// reversed ranks in the opposite order of its ranker.
type reversed struct{ titleRanker }

func (r reversed) RankSplit(stories []digest.Story, now time.Time) (kept, dropped []digest.Story) {
	kept, dropped = r.titleRanker.RankSplit(stories, now)
	slices.Reverse(kept)
	return kept, dropped
}

func (r reversed) Rerank(stories []digest.Story, now time.Time) []digest.Story {
	out := r.titleRanker.Rerank(stories, now)
	slices.Reverse(out)
	return out
}

// TestEngine_Run_SummarisesWhatANewRankBringsUp: a summary that moves its
// story out of the top brings up one not yet summarised, which is
// summarised in turn before anything is sent.
func TestEngine_Run_SummarisesWhatANewRankBringsUp(t *testing.T) {
	e, _, sum, m, _ := neededEngine(t, 8, nil)
	sum.before = func(title string, s *digest.Summary) {
		if title == "Story 2" {
			s.Importance = 1 // to the bottom
		}
	}
	rep, err := e.Run(context.Background(), digest.RunOptions{Since: 24 * time.Hour, To: []string{"ana@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := editionStories(t, m)["ana@example.com"]; fmt.Sprint(got) != "[1 3 4]" {
		t.Errorf("edition %v, want [1 3 4]", got)
	}
	if asked := sum.asked(); !slices.Equal(asked, []string{"Story 1", "Story 2", "Story 3", "Story 4"}) {
		t.Errorf("summarised %v, want stories 1 to 4", asked)
	}
	if rep.SummariesNew != 4 || rep.SummariesSkipped != 4 {
		t.Errorf("summaries new %d skipped %d, want 4 and 4", rep.SummariesNew, rep.SummariesSkipped)
	}
}

// TestEngine_Run_SubscriberJoiningDuringTheRun: a subscriber who joins
// with topics nobody had once the stories are chosen is not sent stories
// without summaries: their digest waits for the next run, which sends it
// summarised.
func TestEngine_Run_SubscriberJoiningDuringTheRun(t *testing.T) {
	autos := []string{"autos"}
	e, db, sum, m, _ := neededEngine(t, 12, map[string][]string{"Story 10": autos, "Story 12": autos})
	addSubscriber(t, db, "ana@example.com", "")
	var once sync.Once
	sum.before = func(string, *digest.Summary) {
		once.Do(func() { addSubscriber(t, db, "eve@example.com", "", "autos") })
	}
	ctx := context.Background()
	rep, err := e.Run(ctx, digest.RunOptions{Since: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := editionStories(t, m); fmt.Sprint(got) != "map[ana@example.com:[1 2 3]]" {
		t.Errorf("first run's editions %v, want Ana's alone", got)
	}
	if rep.Sent != 1 || rep.Deferred != 1 || !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "1 subscribers joined") }) {
		t.Errorf("first run: sent %d, deferred %d, notes %q; want 1, 1 and a note", rep.Sent, rep.Deferred, rep.Notes)
	}
	rep, err = e.Run(ctx, digest.RunOptions{Since: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got := editionStories(t, m)["eve@example.com"]; rep.Sent != 1 || fmt.Sprint(got) != "[10 12]" {
		t.Errorf("second run: sent %d, Eve's edition %v; want 1, [10 12]", rep.Sent, got)
	}
}

// TestEngine_Run_DryRunSummarisesItsEdition: a dry run summarises the one
// edition it composes.
func TestEngine_Run_DryRunSummarisesItsEdition(t *testing.T) {
	e, _, sum, _, _ := neededEngine(t, 8, nil)
	var ed digest.Edition
	rep, err := e.Run(context.Background(), digest.RunOptions{Since: 24 * time.Hour, DryRun: true,
		DryRunOut: func(got digest.Edition, _ digest.Message) error { ed = got; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(ed.Stories) != 3 || ed.More != 5 {
		t.Fatalf("dry run edition: %d stories, %d more; want 3, 5", len(ed.Stories), ed.More)
	}
	for _, st := range ed.Stories {
		if st.Summary.Text == "" {
			t.Errorf("%s has no summary", st.Lead().Title)
		}
	}
	if rep.SummariesNew != 3 || len(sum.asked()) != 3 {
		t.Errorf("summaries new %d (asked %v), want 3", rep.SummariesNew, sum.asked())
	}
}
