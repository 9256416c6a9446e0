package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/internal/memstore"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

// contractCase is one behaviour every database must show.
type contractCase struct {
	name string
	run  func(t *testing.T, db *store.DB)
}

// engineCase is a behaviour of the calls the engine makes, which the
// in-memory store of the engine's tests (memstore) must show as well.
type engineCase struct {
	name string
	run  func(t *testing.T, db engineStore)
}

// engineStore is what the cases that memstore runs too may call: the
// engine's store and the subscriber and ledger reads that set a case up
// and check it. memstore.Store and store.DB both have it.
type engineStore interface {
	digest.EngineStore
	AddSubscriber(ctx context.Context, s digest.Subscriber) (digest.Subscriber, error)
	UpsertSubscribers(ctx context.Context, subs []digest.Subscriber) (inserted, updated int, err error)
	Subscriber(ctx context.Context, id int64) (digest.Subscriber, error)
	SubscriberByEmail(ctx context.Context, email string) (digest.Subscriber, error)
	Delivery(ctx context.Context, id int64) (digest.Delivery, error)
	Run(ctx context.Context, id int64) (digest.RunRecord, error)
	StoredKeys(ctx context.Context, sourceID string, urls, guids []string) (digest.StoredKeys, error)
}

var (
	_ engineStore = (*store.DB)(nil)
	_ engineStore = (*memstore.Store)(nil)
)

// TestDB_Contract runs the store contract on SQLite always and on Postgres
// when DIGEST_TEST_POSTGRES_DSN is set, each case on a fresh store, and
// the cases of the engine's calls on the in-memory store of the engine's
// tests (memstore).
func TestDB_Contract(t *testing.T) {
	engineCases := []engineCase{
		{"articles/dedupe", testArticlesDedupe},
		{"articles/since", testArticlesSince},
		{"articles/large_batch", testArticlesLargeBatch},
		{"articles/stored_keys", testStoredKeys},
		{"summaries/cache", testSummaries},
		{"subscribers/paging", testSubscribersPaging},
		{"subscribers/upsert_repeats", testUpsertRepeats},
		{"subscribers/due_candidates", testDueCandidates},
		{"subscribers/due_candidates_frequency", testDueCandidatesFrequency},
		{"ledger/ensure", testEnsureDelivery},
		{"ledger/claim_race", testClaimRace},
		{"ledger/lifecycle", testLedgerLifecycle},
		{"ledger/retry", testLedgerRetry},
		{"ledger/requires_sending", testMarkRequiresSending},
		{"ledger/batch_race", testClaimDeliveriesRace},
		{"ledger/batch", testLedgerBatch},
		{"ledger/release", testReleaseDeliveries},
		{"times_utc", testTimesUTC},
		{"hostile_text", testHostileText},
	}
	cases := []contractCase{
		{"sources/state", testSourceState},
		{"sources/registered", testRegisteredSources},
		{"subscribers/crud", testSubscribersCRUD},
		{"subscribers/upsert", testUpsertSubscribers},
		{"subscribers/upsert_atomic", testUpsertAtomic},
		{"subscribers/upsert_large", testUpsertLarge},
		{"subscribers/by_id", testSubscribersByID},
		{"subscribers/kinds", testSubscriberKinds},
		{"stats", testStats},
		{"ledger/subscriber_deleted", testSubscriberDeleted},
		{"ledger/list", testDeliveriesList},
		{"settings", testSettings},
		{"runs", testRuns},
		{"runs/articles", testRunArticles},
		{"editions", testEditions},
		{"hostile_subscriber_name", testHostileSubscriberName},
		{"migrate_again", testMigrateAgain},
		{"concurrent_writers", testConcurrentWriters},
		{"articles/kept", testArticlesKept},
		{"articles/kept/stories_migrated", testKeptStoriesMigrated},
		{"articles/assessments", testAssessments},
		{"articles/kept assessments", testKeptAssessments},
	}
	for _, c := range engineCases {
		cases = append(cases, contractCase{c.name, func(t *testing.T, db *store.DB) { c.run(t, db) }})
	}
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, o.Open(t))
				})
			}
		})
	}
	// The engine's unit tests run on memstore: it must keep the same
	// contract wherever it has the calls.
	t.Run("memory", func(t *testing.T) {
		for _, c := range engineCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, memstore.New())
			})
		}
	})
}

var t0 = time.Date(2026, 3, 29, 6, 30, 0, 123456000, time.UTC)

// get unwraps a (value, error) result: get(f())(t).
func get[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func article(src, guid, url, text string, pub time.Time) digest.Article {
	return digest.Article{SourceID: src, SourceName: "Outlet " + src, GUID: guid, URL: url, Title: "T " + text,
		Text: text, Published: pub, FetchedAt: pub.Add(time.Minute)}
}

// fresh returns the articles SaveArticles stored.
func fresh(saved []digest.Saved) []digest.Article {
	var out []digest.Article
	for _, s := range saved {
		if s.New {
			out = append(out, s.Article)
		}
	}
	return out
}

// long makes a text long enough for its content to identify an article.
func long(s string) string {
	return s + strings.Repeat(" The ministry published the notice in its official journal on Monday.", 3)
}

func testArticlesDedupe(t *testing.T, db engineStore) {
	ctx := t.Context()
	batch := []digest.Article{
		article("s1", "g1", "https://a.example/1", long("Tariffs rise on steel."), t0),
		article("s1", "g2", "https://a.example/1", "Other text, same URL.", t0),                                                 // URL repeat of 0
		article("s1", "g1", "https://a.example/3", "Other text, same GUID.", t0),                                                // GUID repeat of 0
		article("s2", "g1", "https://b.example/4", "Same GUID, another source.", t0),                                            // kept
		article("s3", "", "https://c.example/5", long("TARIFFS rise   on steel!"), t0),                                          // content repeat of 0
		article("s3", "", "", "A local file with no URL.", t0),                                                                  // kept
		article("s3", "", "", "Another local file with no URL.", t0),                                                            // kept
		article("s1", "g9", "https://a.example/9", long("Tariffs rise on steel."), t0.Add(time.Hour)),                           // content repeat of 0
		article("s4", "", "https://d.example/1", "Something new here", t0),                                                      // kept
		article("s4", "", "https://d.example/2", "Something new here", t0),                                                      // kept: short text, another link
		{SourceID: "s5", URL: "https://e.example/1", Title: "Other title", Text: long("Tariffs rise on steel."), Published: t0}, // kept: same body, another title and link
		article("s3", "", "", "A local file with no URL.", t0),                                                                  // content repeat of 5
	}
	batch[9].Title = "Another headline"
	saved := get(db.SaveArticles(ctx, batch))(t)
	if len(saved) != len(batch) {
		t.Fatalf("%d results for %d articles", len(saved), len(batch))
	}
	id := func(i int) int64 { return saved[i].Article.ID }
	type outcome struct {
		new bool
		of  int64
		key string
	}
	want := []outcome{{new: true}, {of: id(0), key: "url"}, {of: id(0), key: "guid"}, {new: true}, {of: id(0), key: "content"},
		{new: true}, {new: true}, {of: id(0), key: "content"}, {new: true}, {new: true}, {new: true}, {of: id(5), key: "content"}}
	for i, s := range saved {
		got := outcome{s.New, s.DuplicateOf, s.Key}
		if got != want[i] {
			t.Errorf("article %d (%s %q): %+v, want %+v", i, s.Article.SourceID, s.Article.Text, got, want[i])
		}
		if s.New && (s.Article.ID == 0 || s.Article.ContentHash == "") {
			t.Errorf("saved article %q has id %d, hash %q", s.Article.URL, s.Article.ID, s.Article.ContentHash)
		}
	}
	got := fresh(saved)
	again := get(db.SaveArticles(ctx, batch))(t)
	for i, s := range again {
		if s.New || s.DuplicateOf == 0 || s.Key == "" {
			t.Errorf("second save of article %d: %+v, want a duplicate of a stored article", i, s)
		}
	}
	if again[0].DuplicateOf != id(0) || again[0].Key != "url" || again[9].DuplicateOf != id(9) {
		t.Errorf("second save: %+v and %+v, want duplicates of %d and %d by url", again[0], again[9], id(0), id(9))
	}
	all := get(db.ArticlesSince(ctx, time.Time{}))(t)
	if len(all) != len(got) {
		t.Fatalf("store holds %d articles, want %d", len(all), len(got))
	}
	for _, a := range all {
		i := slices.IndexFunc(got, func(g digest.Article) bool { return g.ID == a.ID })
		if i < 0 || got[i] != a {
			t.Errorf("read back %+v, saved %+v", a, got)
		}
	}
}

// testStoredKeys finds stored articles by URL, whatever their source, and
// by GUID within one source, as SaveArticles finds duplicates.
func testStoredKeys(t *testing.T, db engineStore) {
	ctx := t.Context()
	saved := get(db.SaveArticles(ctx, []digest.Article{
		article("s1", "g1", "https://a.example/1", "One.", t0),
		article("s1", "g2", "", "Two, without a link.", t0),
		article("s2", "g3", "https://b.example/3", "Three, from another source.", t0),
		article("s1", "", "", "Four, a file.", t0),
	}))(t)
	id := func(i int) int64 { return saved[i].Article.ID }
	// More keys than one query of store.DB asks for, the stored ones last.
	var urls, guids []string
	for i := range 120 {
		urls = append(urls, fmt.Sprintf("https://none.example/%d", i))
		guids = append(guids, fmt.Sprintf("none-%d", i))
	}
	urls = append(urls, "", "https://a.example/1", "https://b.example/3")
	guids = append(guids, "", "g1", "g2", "g3")
	got := get(db.StoredKeys(ctx, "s1", urls, guids))(t)
	want := digest.StoredKeys{
		ByURL:  map[string]int64{"https://a.example/1": id(0), "https://b.example/3": id(2)},
		ByGUID: map[string]int64{"g1": id(0), "g2": id(1)}, // g3 is s2's
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StoredKeys(s1) = %+v, want %+v", got, want)
	}
	got = get(db.StoredKeys(ctx, "s3", nil, []string{"g1", "g2", ""}))(t)
	if len(got.ByURL) != 0 || len(got.ByGUID) != 0 {
		t.Errorf("StoredKeys(s3) = %+v, want nothing", got)
	}
}

func testArticlesSince(t *testing.T, db engineStore) {
	ctx := t.Context()
	noDate := digest.Article{SourceID: "f", URL: "https://x.example/nodate", Text: "No date given.", FetchedAt: t0.Add(3 * time.Hour), Language: "de"}
	get(db.SaveArticles(ctx, []digest.Article{
		article("s", "3", "https://x.example/3", "third", t0.Add(2*time.Hour)),
		article("s", "1", "https://x.example/1", "first", t0),
		article("s", "2", "https://x.example/2", "second", t0.Add(time.Hour)),
		noDate,
	}))(t)
	got := get(db.ArticlesSince(ctx, t0))(t)
	var texts []string
	for _, a := range got {
		texts = append(texts, a.Text)
	}
	if want := []string{"second", "third", "No date given."}; !reflect.DeepEqual(texts, want) {
		t.Fatalf("since t0: %q, want %q (oldest first, after since)", texts, want)
	}
	if !got[2].Published.Equal(noDate.FetchedAt) {
		t.Errorf("undated article published %v, want its fetch time %v", got[2].Published, noDate.FetchedAt)
	}
	if got[2].Language != "de" || got[0].Language != "" {
		t.Errorf("languages %q and %q read back, want \"de\" and \"\"", got[2].Language, got[0].Language)
	}
}

func testSourceState(t *testing.T, db *store.DB) {
	ctx := t.Context()
	st := get(db.SourceState(ctx, "https://feed.example/rss"))(t)
	if !reflect.DeepEqual(st, digest.SourceState{SourceID: "https://feed.example/rss"}) {
		t.Fatalf("unknown source state = %+v", st)
	}
	want := digest.SourceState{SourceID: "https://feed.example/rss", ETag: `"abc"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT",
		LastSuccess: t0, LastAttempt: t0.Add(time.Minute), LastError: "boom", ConsecutiveFailures: 2, FirstGathered: t0.Add(-time.Hour)}
	check(t, db.SaveSourceState(ctx, want))
	want.ETag, want.ConsecutiveFailures, want.LastError = `"def"`, 0, ""
	check(t, db.SaveSourceState(ctx, want))
	check(t, db.SaveSourceState(ctx, digest.SourceState{SourceID: "/tmp/a.txt"}))
	if got := get(db.SourceState(ctx, want.SourceID))(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("state = %+v, want %+v", got, want)
	}
	all := get(db.SourceStates(ctx))(t)
	if len(all) != 2 || all[0].SourceID != "/tmp/a.txt" || !reflect.DeepEqual(all[1], want) {
		t.Fatalf("states = %+v", all)
	}
}

func testRegisteredSources(t *testing.T, db *store.DB) {
	ctx := t.Context()
	check(t, db.AddSource(ctx, "https://feed.example/rss"))
	db.Now = func() time.Time { return time.Now().Add(time.Second) }
	check(t, db.AddSource(ctx, "/srv/articles"))
	wantErr(t, db.AddSource(ctx, "/srv/articles"), digest.ErrConflict)
	if got := get(db.RegisteredSources(ctx))(t); !reflect.DeepEqual(got, []string{"https://feed.example/rss", "/srv/articles"}) {
		t.Fatalf("registered = %q", got)
	}
	check(t, db.RemoveSource(ctx, "https://feed.example/rss"))
	wantErr(t, db.RemoveSource(ctx, "https://feed.example/rss"), digest.ErrNotFound)
	if got := get(db.RegisteredSources(ctx))(t); !reflect.DeepEqual(got, []string{"/srv/articles"}) {
		t.Fatalf("registered after remove = %q", got)
	}
}

func testSummaries(t *testing.T, db engineStore) {
	ctx := t.Context()
	_, err := db.Summary(ctx, "h1", "v1")
	wantErr(t, err, digest.ErrNotFound)
	first := digest.Summary{ContentHash: "h1", Version: "v1", Backend: "openai", Headline: "H", Text: "First.",
		KeyPoints: []string{"a", "b"}, Countries: []string{"DE"}, Topics: []string{"tariffs"}, Importance: 4,
		Fallback: true, FallbackReason: "429", PromptTokens: 100, CompletionTokens: 20, CreatedAt: t0}
	check(t, db.SaveSummary(ctx, first))
	second := first
	second.Text = "Second."
	check(t, db.SaveSummary(ctx, second))
	if got := get(db.Summary(ctx, "h1", "v1"))(t); !reflect.DeepEqual(got, first) {
		t.Fatalf("summary = %+v, want the first %+v", got, first)
	}
	other := digest.Summary{ContentHash: "h1", Version: "v2", Text: "New version."}
	check(t, db.SaveSummary(ctx, other))
	got := get(db.Summary(ctx, "h1", "v2"))(t)
	if got.Text != "New version." || got.KeyPoints != nil || got.Fallback || got.CreatedAt.IsZero() {
		t.Fatalf("v2 summary = %+v", got)
	}
}

func testSubscribersCRUD(t *testing.T, db *store.DB) {
	ctx := t.Context()
	s := get(db.AddSubscriber(ctx, digest.Subscriber{Email: "ann@example.com", Name: "Ann", Topics: []string{"tariffs", "shipping"},
		TimeZone: "Asia/Tokyo", SendTime: "07:00"}))(t)
	if s.ID == 0 || s.Status != digest.StatusActive || s.CreatedAt.IsZero() || s.UpdatedAt.IsZero() {
		t.Fatalf("added = %+v", s)
	}
	_, err := db.AddSubscriber(ctx, digest.Subscriber{Email: "ann@example.com"})
	wantErr(t, err, digest.ErrConflict)
	if _, err := db.AddSubscriber(ctx, digest.Subscriber{Email: "bob@example.com", Status: "zombie"}); err == nil {
		t.Fatal("added a subscriber with an unknown status")
	}
	if got := get(db.SubscriberByEmail(ctx, "ann@example.com"))(t); !reflect.DeepEqual(got, s) {
		t.Fatalf("by email = %+v, want %+v", got, s)
	}
	_, err = db.SubscriberByEmail(ctx, "nobody@example.com")
	wantErr(t, err, digest.ErrNotFound)
	_, err = db.Subscriber(ctx, s.ID+100)
	wantErr(t, err, digest.ErrNotFound)

	if s.Frequency != digest.FrequencyDaily {
		t.Fatalf("frequency of a new subscriber = %q, want daily", s.Frequency)
	}
	s.Name, s.Topics, s.TimeZone, s.SendTime, s.Status = "Ann B", nil, "Europe/Berlin", "06:30", digest.StatusPaused
	s.Frequency = "Weekly:Friday"
	check(t, db.UpdateSubscriber(ctx, s))
	got := get(db.Subscriber(ctx, s.ID))(t)
	if got.Name != "Ann B" || got.Topics != nil || got.TimeZone != "Europe/Berlin" || got.SendTime != "06:30" || got.Status != digest.StatusPaused {
		t.Fatalf("updated = %+v", got)
	}
	if got.Frequency != "weekly:fri" {
		t.Fatalf("frequency = %q, want weekly:fri", got.Frequency)
	}
	s.Frequency = "fortnightly"
	if err := db.UpdateSubscriber(ctx, s); err == nil || !strings.Contains(err.Error(), "fortnightly") {
		t.Fatalf("update with frequency fortnightly: %v", err)
	}
	wantErr(t, db.UpdateSubscriber(ctx, digest.Subscriber{ID: s.ID + 100, Status: digest.StatusActive}), digest.ErrNotFound)
	check(t, db.SetSubscriberStatus(ctx, s.ID, digest.StatusUnsubscribed))
	if got := get(db.Subscriber(ctx, s.ID))(t); got.Status != digest.StatusUnsubscribed {
		t.Fatalf("status = %s", got.Status)
	}
	if err := db.SetSubscriberStatus(ctx, s.ID, "zombie"); err == nil {
		t.Fatal("set an unknown status")
	}
	wantErr(t, db.SetSubscriberStatus(ctx, s.ID+100, digest.StatusActive), digest.ErrNotFound)
	check(t, db.DeleteSubscriber(ctx, s.ID))
	wantErr(t, db.DeleteSubscriber(ctx, s.ID), digest.ErrNotFound)
	_, err = db.Subscriber(ctx, s.ID)
	wantErr(t, err, digest.ErrNotFound)
}

func testSubscribersPaging(t *testing.T, db engineStore) {
	ctx := t.Context()
	var subs []digest.Subscriber
	for i := range 25 {
		st := digest.StatusActive
		if i%5 == 0 {
			st = digest.StatusUnsubscribed
		}
		subs = append(subs, digest.Subscriber{Email: fmt.Sprintf("r%02d@example.com", i), Status: st})
	}
	ins, upd := get2(t)(db.UpsertSubscribers(ctx, subs))
	if ins != 25 || upd != 0 {
		t.Fatalf("upsert = %d inserted, %d updated", ins, upd)
	}
	var seen []string
	after := int64(0)
	pages := 0
	for {
		page := get(db.Subscribers(ctx, digest.StatusActive, after, 7))(t)
		if len(page) == 0 {
			break
		}
		pages++
		for _, s := range page {
			if s.ID <= after || s.Status != digest.StatusActive {
				t.Fatalf("page after %d holds %+v", after, s)
			}
			after = s.ID
			seen = append(seen, s.Email)
		}
	}
	if len(seen) != 20 || pages != 3 || seen[0] != "r01@example.com" {
		t.Fatalf("paged %d active subscribers in %d pages, first %q", len(seen), pages, seen[0])
	}
	if all := get(db.Subscribers(ctx, "", 0, 0))(t); len(all) != 25 {
		t.Fatalf("all subscribers = %d, want 25", len(all))
	}
}

// get2 unwraps a (int, int, error) result.
func get2(t *testing.T) func(a, b int, err error) (int, int) {
	return func(a, b int, err error) (int, int) {
		t.Helper()
		check(t, err)
		return a, b
	}
}

func testUpsertSubscribers(t *testing.T, db *store.DB) {
	ctx := t.Context()
	get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{
		{Email: "a@example.com", Name: "A"},
		{Email: "b@example.com", Name: "B"},
	}))
	b := get(db.SubscriberByEmail(ctx, "b@example.com"))(t)
	check(t, db.SetSubscriberStatus(ctx, b.ID, digest.StatusUnsubscribed))
	a := get(db.SubscriberByEmail(ctx, "a@example.com"))(t)
	a.Frequency = digest.FrequencyWeekdays
	check(t, db.UpdateSubscriber(ctx, a))
	ins, upd := get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{
		{Email: "a@example.com", Name: "A"}, // no frequency: the stored one stays
		{Email: "b@example.com", Name: "B2", Topics: []string{"shipping"}, TimeZone: "America/New_York", SendTime: "08:15", Status: digest.StatusActive, Frequency: "weekly:mon"},
		{Email: "c@example.com", Name: "C"},
		{Email: "c@example.com", Name: "C again"}, // a repeat inside the batch updates
	}))
	if ins != 1 || upd != 3 {
		t.Fatalf("upsert = %d inserted, %d updated; want 1, 3", ins, upd)
	}
	if got := get(db.SubscriberByEmail(ctx, "a@example.com"))(t); got.Frequency != digest.FrequencyWeekdays {
		t.Fatalf("a list without frequencies changed a reader's frequency to %q", got.Frequency)
	}
	got := get(db.SubscriberByEmail(ctx, "b@example.com"))(t)
	if got.Frequency != "weekly:mon" {
		t.Fatalf("imported frequency = %q", got.Frequency)
	}
	if got.Name != "B2" || !reflect.DeepEqual(got.Topics, []string{"shipping"}) || got.TimeZone != "America/New_York" || got.SendTime != "08:15" {
		t.Fatalf("updated = %+v", got)
	}
	if got.Status != digest.StatusUnsubscribed {
		t.Fatalf("re-import changed status to %s; an unsubscribed reader must stay unsubscribed", got.Status)
	}
	if got.ID != b.ID || !got.CreatedAt.Equal(b.CreatedAt) {
		t.Fatalf("update changed id or created_at: %+v vs %+v", got, b)
	}
	if c := get(db.SubscriberByEmail(ctx, "c@example.com"))(t); c.Name != "C again" {
		t.Fatalf("c = %+v", c)
	}
}

// testUpsertRepeats imports one new email three times in a list: the
// result is that of importing the rows one after another (the first
// row's status, the last name, the last frequency given), which Postgres's
// one merge statement must reproduce.
func testUpsertRepeats(t *testing.T, db engineStore) {
	ctx := t.Context()
	ins, upd := get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{
		{Email: "rep@example.com", Name: "first", Status: digest.StatusPaused, Frequency: "weekly:mon"},
		{Email: "other@example.com", Name: "Other"},
		{Email: "rep@example.com", Name: "second", Frequency: "weekdays", Status: digest.StatusActive},
		{Email: "rep@example.com", Name: "third", TimeZone: "Asia/Tokyo", SendTime: "06:30"},
	}))
	if ins != 2 || upd != 2 {
		t.Fatalf("upsert = %d inserted, %d updated; want 2, 2", ins, upd)
	}
	got := get(db.SubscriberByEmail(ctx, "rep@example.com"))(t)
	if got.Status != digest.StatusPaused || got.Frequency != digest.FrequencyWeekdays || got.Name != "third" ||
		got.TimeZone != "Asia/Tokyo" || got.SendTime != "06:30" {
		t.Fatalf("repeated row = %+v; want status paused, frequency weekdays, name third, Asia/Tokyo 06:30", got)
	}
	if other := get(db.SubscriberByEmail(ctx, "other@example.com"))(t); other.ID <= got.ID {
		t.Fatalf("ids %d (rep), %d (other): new rows must get ids in list order", got.ID, other.ID)
	}
}

// testUpsertAtomic makes the database refuse one row in the middle of a
// batch and checks that nothing of the batch stays.
func testUpsertAtomic(t *testing.T, db *store.DB) {
	ctx := t.Context()
	get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{{Email: "old@example.com", Name: "Old"}}))
	refuseEmail(t, db, "bad@example.com")
	_, _, err := db.UpsertSubscribers(ctx, []digest.Subscriber{
		{Email: "new1@example.com"},
		{Email: "old@example.com", Name: "Changed"},
		{Email: "bad@example.com"},
		{Email: "new2@example.com"},
	})
	if err == nil {
		t.Fatal("upsert with a refused row succeeded")
	}
	all := get(db.Subscribers(ctx, "", 0, 0))(t)
	if len(all) != 1 || all[0].Name != "Old" {
		t.Fatalf("after a failed batch the store holds %+v, want only the old row unchanged", all)
	}
	if _, _, err := db.UpsertSubscribers(ctx, []digest.Subscriber{{Email: "x@example.com"}, {Email: "y@example.com", Status: "zombie"}}); err == nil {
		t.Fatal("upsert with an unknown status succeeded")
	}
	if all := get(db.Subscribers(ctx, "", 0, 0))(t); len(all) != 1 {
		t.Fatalf("a rejected batch left %d rows", len(all))
	}
}

// refuseEmail installs a trigger that makes inserting email fail.
// testUpsertLarge imports more rows than one statement carries, with
// repeats across and inside statements, and a refused row in the last
// statement: the counts are those of row-by-row upserts, and a refused
// row undoes the statements before it.
func testUpsertLarge(t *testing.T, db *store.DB) {
	ctx := t.Context()
	get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{{Email: "r0007@example.com", Name: "Old"}}))
	var subs []digest.Subscriber
	for i := range 1200 {
		subs = append(subs, digest.Subscriber{Email: fmt.Sprintf("r%04d@example.com", i), Name: fmt.Sprintf("R%d", i)})
	}
	subs = append(subs, subs[3], subs[700]) // repeats of a row of the first and of the second statement
	subs[3].Name = "first"
	ins, upd := get2(t)(db.UpsertSubscribers(ctx, subs))
	if ins != 1199 || upd != 3 {
		t.Fatalf("upsert = %d inserted, %d updated; want 1199, 3", ins, upd)
	}
	if got := get(db.SubscriberByEmail(ctx, "r0003@example.com"))(t); got.Name != "R3" {
		t.Fatalf("the later repeat did not win: %+v", got)
	}
	if all := get(db.Subscribers(ctx, "", 0, 0))(t); len(all) != 1200 {
		t.Fatalf("%d rows, want 1200", len(all))
	}
	refuseEmail(t, db, "late-bad@example.com")
	more := []digest.Subscriber{{Email: "r0000@example.com", Name: "Changed"}}
	for i := range 1100 {
		more = append(more, digest.Subscriber{Email: fmt.Sprintf("n%04d@example.com", i)})
	}
	more = append(more, digest.Subscriber{Email: "late-bad@example.com"})
	if _, _, err := db.UpsertSubscribers(ctx, more); err == nil || !strings.Contains(err.Error(), "late-bad@example.com") {
		t.Fatalf("upsert with a refused row in its last statement: %v, want an error naming the rows", err)
	}
	if all := get(db.Subscribers(ctx, "", 0, 0))(t); len(all) != 1200 {
		t.Fatalf("after a failed batch the store holds %d rows, want 1200", len(all))
	}
	if got := get(db.SubscriberByEmail(ctx, "r0000@example.com"))(t); got.Name != "R0" {
		t.Fatalf("a failed batch changed %+v", got)
	}
}

// testDueCandidates checks the planning query: the send-time sieve, the
// anti-join on finished ledger rows, zones and statuses, and paging by
// (ID, date).
func testDueCandidates(t *testing.T, db engineStore) {
	ctx := t.Context()
	subs := []digest.Subscriber{
		{Email: "early@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00"},
		{Email: "late@example.com", TimeZone: "Europe/Berlin", SendTime: "09:30"},     // after Until
		{Email: "odd@example.com", TimeZone: "Europe/Berlin", SendTime: "9:45"},       // not HH:MM: the planner judges
		{Email: "sent@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00"},     // sent today
		{Email: "failed@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00"},   // failed today
		{Email: "pending@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00"},  // pending today: still a candidate
		{Email: "tokyo@example.com", TimeZone: "Asia/Tokyo", SendTime: "06:00"},       // another zone
		{Email: "elsewhere@example.com", TimeZone: "Asia/Kolkata", SendTime: "06:00"}, // a zone not asked about
		{Email: "paused@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00", Status: digest.StatusPaused},
	}
	get2(t)(db.UpsertSubscribers(ctx, subs))
	for _, email := range []string{"sent@example.com", "failed@example.com", "pending@example.com"} {
		sub := get(db.SubscriberByEmail(ctx, email))(t)
		d := ensure(t, db, sub.ID, email, "2026-06-10")
		if email == "pending@example.com" {
			continue
		}
		get(db.ClaimDelivery(ctx, d.ID, t0, time.Minute))(t)
		if email == "sent@example.com" {
			check(t, db.MarkSent(ctx, d.ID, t0, 1))
		} else {
			check(t, db.MarkFailed(ctx, d.ID, t0, "550", true, time.Time{}))
		}
	}
	if zones := get(db.ActiveTimeZones(ctx))(t); !reflect.DeepEqual(zones, []string{"Asia/Kolkata", "Asia/Tokyo", "Europe/Berlin"}) {
		t.Fatalf("active time zones = %v", zones)
	}
	q := digest.DueQuery{Dates: []digest.ZoneDate{
		{TimeZone: "Europe/Berlin", Date: "2026-06-09", Until: "24:00"}, // a catch-up date: everyone
		{TimeZone: "Europe/Berlin", Date: "2026-06-10", Until: "09:00"},
		{TimeZone: "Asia/Tokyo", Date: "2026-06-10", Until: "16:00"},
	}, Limit: 3}
	var got []string
	for pages := 0; ; pages++ {
		page := get(db.DueCandidates(ctx, q))(t)
		for _, c := range page {
			got = append(got, localPart(t, db, c.Subscriber.ID)+" "+c.Date)
			q.AfterID, q.AfterDate = c.Subscriber.ID, c.Date
		}
		if len(page) < q.Limit {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	want := []string{
		"early 2026-06-09", "early 2026-06-10", "late 2026-06-09", "odd 2026-06-09", "odd 2026-06-10",
		"sent 2026-06-09", "failed 2026-06-09", "pending 2026-06-09", "pending 2026-06-10", "tokyo 2026-06-10",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("due candidates:\n got %q\nwant %q", got, want)
	}
}

// testDueCandidatesFrequency: weekdays readers are not candidates at a
// weekend, weekly readers only on their day, and a weekly reader whose
// ISO week has a finished row is not a candidate again that week.
func testDueCandidatesFrequency(t *testing.T, db engineStore) {
	ctx := t.Context()
	subs := []digest.Subscriber{
		{Email: "daily@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00"},
		{Email: "wed@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00", Frequency: "weekly:wed"},
		{Email: "thu@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00", Frequency: "weekly:thu"},
		{Email: "weekdays@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00", Frequency: "weekdays"},
		{Email: "wed-sent@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00", Frequency: "weekly:wed"},
		{Email: "sat@example.com", TimeZone: "Europe/Berlin", SendTime: "06:00", Frequency: "weekly:sat"},
	}
	get2(t)(db.UpsertSubscribers(ctx, subs))
	sent := get(db.SubscriberByEmail(ctx, "wed-sent@example.com"))(t)
	d := ensure(t, db, sent.ID, sent.Email, "2026-W24")
	get(db.ClaimDelivery(ctx, d.ID, t0, time.Minute))(t)
	check(t, db.MarkSent(ctx, d.ID, t0, 1))
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	q := digest.DueQuery{Dates: []digest.ZoneDate{
		digest.NewZoneDate("Europe/Berlin", time.Date(2026, 6, 6, 12, 0, 0, 0, berlin), "24:00"), // Saturday, week 23
		digest.NewZoneDate("Europe/Berlin", time.Date(2026, 6, 10, 8, 0, 0, 0, berlin), "09:00"), // Wednesday, week 24
	}, Limit: 100}
	var got []string
	for _, c := range get(db.DueCandidates(ctx, q))(t) {
		got = append(got, localPart(t, db, c.Subscriber.ID)+" "+c.Date)
	}
	want := []string{"daily 2026-06-06", "daily 2026-06-10", "wed 2026-06-10", "weekdays 2026-06-10", "sat 2026-06-06"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("due candidates:\n got %q\nwant %q", got, want)
	}
}

// localPart is the part before the @ of the address of subscriber id: a
// due candidate need not carry the address (digest.DueCandidate).
func localPart(t *testing.T, db engineStore, id int64) string {
	t.Helper()
	return strings.Split(get(db.Subscriber(t.Context(), id))(t).Email, "@")[0]
}

// testSubscriberKinds lists each distinct (topics, time zone, frequency)
// of the active subscribers once, and none of the others'.
func testSubscriberKinds(t *testing.T, db *store.DB) {
	ctx := t.Context()
	get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{
		{Email: "a@example.com", TimeZone: "UTC", Topics: []string{"steel", "autos"}},
		{Email: "b@example.com", TimeZone: "UTC", Topics: []string{"steel", "autos"}},
		{Email: "c@example.com", TimeZone: "UTC"},
		{Email: "d@example.com", TimeZone: "UTC"},
		{Email: "e@example.com", TimeZone: "Asia/Tokyo"},
		{Email: "f@example.com", TimeZone: "UTC", Frequency: "weekly:mon"},
		{Email: "g@example.com", TimeZone: "UTC", Topics: []string{"grain"}, Status: digest.StatusPaused},
	}))
	var got []string
	for _, k := range get(db.ActiveSubscriberKinds(ctx))(t) {
		got = append(got, fmt.Sprintf("%q %s %s", k.Topics, k.TimeZone, k.Frequency))
	}
	slices.Sort(got)
	want := []string{`["steel" "autos"] UTC daily`, `[] Asia/Tokyo daily`, `[] UTC daily`, `[] UTC weekly:mon`}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("kinds %q, want %q", got, want)
	}
}

// testSubscribersByID reads a batch's subscribers in one call, in ID
// order, whatever their status, leaving out an ID with no subscriber.
func testSubscribersByID(t *testing.T, db *store.DB) {
	ctx := t.Context()
	get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{
		{Email: "a@example.com"}, {Email: "b@example.com", Status: digest.StatusPaused}, {Email: "c@example.com"}}))
	all := get(db.Subscribers(ctx, "", 0, 0))(t)
	if len(all) != 3 {
		t.Fatalf("%d subscribers", len(all))
	}
	got := get(db.SubscribersByID(ctx, []int64{all[2].ID, all[1].ID, all[2].ID + 1000}))(t)
	if len(got) != 2 || got[0].Email != "b@example.com" || got[0].Status != digest.StatusPaused || got[1].Email != "c@example.com" {
		t.Fatalf("SubscribersByID = %+v", got)
	}
	if got := get(db.SubscribersByID(ctx, nil))(t); len(got) != 0 {
		t.Fatalf("no IDs: %+v", got)
	}
}

// testStats: a statement outside a transaction counts once in
// Statements, an import in Transactions only.
func testStats(t *testing.T, db *store.DB) {
	ctx := t.Context()
	s0 := db.Stats()
	get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{{Email: "a@example.com"}, {Email: "b@example.com"}}))
	s1 := db.Stats()
	if s1.Transactions != s0.Transactions+1 || s1.Statements != s0.Statements {
		t.Fatalf("import: stats %+v -> %+v, want one transaction and no statement", s0, s1)
	}
	get(db.DeliveryStates(ctx, []digest.DeliveryKey{{Email: "a@example.com", EditionDate: "2026-06-10"}, {Email: "b@example.com", EditionDate: "2026-06-10"}}))(t)
	if s2 := db.Stats(); s2.Statements != s1.Statements+1 || s2.Transactions != s1.Transactions {
		t.Fatalf("two keys' ledger states: stats %+v -> %+v, want one statement", s1, s2)
	}
}

// testReleaseDeliveries: claims given back are pending and claimable
// again with their attempt not counted; a row recorded meanwhile and a row
// under another lease are left alone.
func testReleaseDeliveries(t *testing.T, db engineStore) {
	ctx := t.Context()
	reqs := []digest.Delivery{
		{Email: "a@example.com", EditionDate: "2026-03-29", MessageID: "a"},
		{Email: "b@example.com", EditionDate: "2026-03-29", MessageID: "b"},
		{Email: "c@example.com", EditionDate: "2026-03-29", MessageID: "c"},
	}
	ds, errs := db.ClaimDeliveries(ctx, reqs, t0, time.Hour)
	for _, err := range errs {
		check(t, err)
	}
	check(t, db.MarkSent(ctx, ds[1].ID, t0, 2))
	other := ensure(t, db, 0, "d@example.com", "2026-03-29")
	otherClaim := get(db.ClaimDelivery(ctx, other.ID, t0, 2*time.Hour))(t)
	until := ds[0].LeaseUntil
	check(t, db.ReleaseDeliveries(ctx, []int64{ds[0].ID, ds[1].ID, ds[2].ID, other.ID}, until))
	for _, c := range []struct {
		id     int64
		status digest.DeliveryStatus
		tries  int
	}{{ds[0].ID, digest.DeliveryPending, 0}, {ds[1].ID, digest.DeliverySent, 1}, {ds[2].ID, digest.DeliveryPending, 0}, {other.ID, digest.DeliverySending, 1}} {
		d := get(db.DeliveryFor(ctx, map[int64]string{ds[0].ID: "a", ds[1].ID: "b", ds[2].ID: "c", other.ID: "d"}[c.id]+"@example.com", "2026-03-29"))(t)
		if d.Status != c.status || d.Attempts != c.tries {
			t.Errorf("row %d after release: %s, %d attempts; want %s, %d", c.id, d.Status, d.Attempts, c.status, c.tries)
		}
	}
	if got := get(db.DeliveryFor(ctx, "d@example.com", "2026-03-29"))(t); !got.LeaseUntil.Equal(otherClaim.LeaseUntil) {
		t.Errorf("another lease was changed: %v, want %v", got.LeaseUntil, otherClaim.LeaseUntil)
	}
	again := get(db.ClaimDelivery(ctx, ds[0].ID, t0, time.Hour))(t)
	if again.Attempts != 1 {
		t.Errorf("claimed again after release: %d attempts, want 1", again.Attempts)
	}
}

func refuseEmail(t *testing.T, db *store.DB, email string) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER refuse_email BEFORE INSERT ON subscribers
		WHEN NEW.email = '` + email + `' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`}
	if db.Dialect() == store.Postgres {
		stmts = []string{
			`CREATE FUNCTION refuse_email() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN IF NEW.email = '` + email + `' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER refuse_email BEFORE INSERT ON subscribers FOR EACH ROW EXECUTE FUNCTION refuse_email()`,
		}
	}
	for _, s := range stmts {
		if _, err := db.SQL().ExecContext(t.Context(), s); err != nil {
			t.Fatalf("install trigger: %v", err)
		}
	}
}

func ensure(t *testing.T, db engineStore, sub int64, email, date string) digest.Delivery {
	t.Helper()
	return get(db.EnsureDelivery(t.Context(), digest.Delivery{SubscriberID: sub, Email: email, EditionDate: date,
		MessageID: "digest." + date + "@example.com"}))(t)
}

func testEnsureDelivery(t *testing.T, db engineStore) {
	ctx := t.Context()
	s := get(db.AddSubscriber(ctx, digest.Subscriber{Email: "ann@example.com"}))(t)
	var wg sync.WaitGroup
	ids := make([]int64, 20)
	errs := make([]error, 20)
	for i := range ids {
		wg.Go(func() {
			d, err := db.EnsureDelivery(ctx, digest.Delivery{SubscriberID: s.ID, Email: s.Email, EditionDate: "2026-03-29", MessageID: "m1"})
			ids[i], errs[i] = d.ID, err
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] || ids[0] == 0 {
			t.Fatalf("ensure %d: id %d (first %d), error %v", i, ids[i], ids[0], errs[i])
		}
	}
	d := get(db.Delivery(ctx, ids[0]))(t)
	if d.SubscriberID != s.ID || d.Email != s.Email || d.MessageID != "m1" || d.Status != digest.DeliveryPending ||
		d.Attempts != 0 || d.Generation != 0 || !d.LeaseUntil.IsZero() || !d.SentAt.IsZero() {
		t.Fatalf("ensured = %+v", d)
	}
	adhoc := ensure(t, db, 0, "me@example.com", "2026-03-29")
	if adhoc.SubscriberID != 0 || adhoc.ID == d.ID {
		t.Fatalf("ad-hoc row = %+v", adhoc)
	}
	if got := get(db.DeliveryFor(ctx, "me@example.com", "2026-03-29"))(t); got.ID != adhoc.ID {
		t.Fatalf("DeliveryFor = %+v", got)
	}
	_, err := db.DeliveryFor(ctx, "me@example.com", "2026-03-30")
	wantErr(t, err, digest.ErrNotFound)
	_, err = db.Delivery(ctx, 999999)
	wantErr(t, err, digest.ErrNotFound)
}

// testClaimRace has many workers claim one row at once: exactly one wins.
func testClaimRace(t *testing.T, db engineStore) {
	ctx := t.Context()
	for round := range 5 {
		d := ensure(t, db, 0, "race@example.com", fmt.Sprintf("2026-03-%02d", round+1))
		var wins, leased atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				_, err := db.ClaimDelivery(ctx, d.ID, t0, time.Minute)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, digest.ErrLeased):
					leased.Add(1)
				default:
					t.Errorf("claim: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || leased.Load() != 15 {
			t.Fatalf("round %d: %d claims won, %d leased; want 1 and 15", round, wins.Load(), leased.Load())
		}
		if got := get(db.Delivery(ctx, d.ID))(t); got.Attempts != 1 || got.Status != digest.DeliverySending {
			t.Fatalf("after the race: %+v", got)
		}
	}
}

// testLedgerBatch: DeliveryStates answers as DeliveryFor and LastSent do
// for each key, and ClaimDeliveries claims as ClaimDelivery does, making
// the missing rows already claimed.
func testLedgerBatch(t *testing.T, db engineStore) {
	ctx := t.Context()
	sentAt := t0.Add(-24 * time.Hour)
	old := ensure(t, db, 0, "ann@example.com", "2026-03-28")
	get(db.ClaimDelivery(ctx, old.ID, sentAt, time.Minute))(t)
	check(t, db.MarkSent(ctx, old.ID, sentAt, 3))
	pending := ensure(t, db, 0, "ann@example.com", "2026-03-29")
	leased := ensure(t, db, 0, "cy@example.com", "2026-03-29")
	get(db.ClaimDelivery(ctx, leased.ID, t0, time.Hour))(t)

	keys := []digest.DeliveryKey{
		{Email: "ann@example.com", EditionDate: "2026-03-29"},
		{Email: "bo@example.com", EditionDate: "2026-03-29"},
		{Email: "ann@example.com", EditionDate: "2026-03-28"},
		{Email: "cy@example.com", EditionDate: "2026-03-29"},
	}
	states := get(db.DeliveryStates(ctx, keys))(t)
	want := []digest.DeliveryState{
		{ID: pending.ID, Status: digest.DeliveryPending, LastSent: sentAt},
		{},
		{ID: old.ID, Status: digest.DeliverySent, LastSent: sentAt},
		{ID: leased.ID, Status: digest.DeliverySending},
	}
	for i := range want {
		if states[i].ID != want[i].ID || states[i].Status != want[i].Status || !states[i].LastSent.Equal(want[i].LastSent) {
			t.Errorf("state %d = %+v, want %+v", i, states[i], want[i])
		}
	}

	now := t0.Add(time.Minute)
	reqs := []digest.Delivery{
		{ID: pending.ID},
		{SubscriberID: 0, Email: "bo@example.com", EditionDate: "2026-03-29", MessageID: "m.bo"},
		{ID: old.ID},
		{ID: leased.ID},
		{Email: "ann@example.com", EditionDate: "2026-03-28", MessageID: "m.ann"}, // exists, sent
		{Email: "bo@example.com", EditionDate: "2026-03-29", MessageID: "m.bo"},   // asked twice
	}
	ds, errs := db.ClaimDeliveries(ctx, reqs, now, time.Minute)
	for i, d := range ds[:2] {
		if errs[i] != nil || d.Status != digest.DeliverySending || d.Attempts != 1 || !d.LeaseUntil.Equal(now.Add(time.Minute)) {
			t.Errorf("claim %d = %+v, %v; want sending, one attempt, leased a minute", i, d, errs[i])
		}
	}
	if ds[1].ID == 0 || ds[1].MessageID != "m.bo" || ds[1].Email != "bo@example.com" || !ds[1].CreatedAt.Equal(now) {
		t.Errorf("new row = %+v", ds[1])
	}
	wantErr(t, errs[2], digest.ErrAlreadySent)
	wantErr(t, errs[3], digest.ErrLeased)
	wantErr(t, errs[4], digest.ErrAlreadySent)
	wantErr(t, errs[5], digest.ErrLeased)
	if got := get(db.DeliveryFor(ctx, "bo@example.com", "2026-03-29"))(t); got.ID != ds[1].ID || got.Status != digest.DeliverySending {
		t.Errorf("stored new row = %+v", got)
	}
	check(t, db.MarkSent(ctx, ds[1].ID, now, 2))
	if _, errs := db.ClaimDeliveries(ctx, reqs, now, 0); errs[0] == nil {
		t.Error("a claim without a lease succeeded")
	}
}

// testClaimDeliveriesRace: workers claiming the same new rows at once in
// batches each get a disjoint share, and every row is claimed once.
func testClaimDeliveriesRace(t *testing.T, db engineStore) {
	ctx := t.Context()
	const rows, workers = 50, 6
	var wins, lost atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			reqs := make([]digest.Delivery, rows)
			for i := range reqs {
				// Each worker in its own order: the store must not deadlock.
				j := (i + w*7) % rows
				reqs[i] = digest.Delivery{Email: fmt.Sprintf("r%02d@example.com", j), EditionDate: "2026-03-29", MessageID: fmt.Sprint(j)}
			}
			_, errs := db.ClaimDeliveries(ctx, reqs, t0, time.Minute)
			for _, err := range errs {
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, digest.ErrLeased):
					lost.Add(1)
				default:
					t.Errorf("claim: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if wins.Load() != rows || lost.Load() != rows*(workers-1) {
		t.Fatalf("%d claims won, %d lost; want %d and %d", wins.Load(), lost.Load(), rows, rows*(workers-1))
	}
}

func testLedgerLifecycle(t *testing.T, db engineStore) {
	ctx := t.Context()
	d := ensure(t, db, 0, "ann@example.com", "2026-03-29")
	c := get(db.ClaimDelivery(ctx, d.ID, t0, time.Minute))(t)
	if c.Status != digest.DeliverySending || c.Attempts != 1 || !c.LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claimed = %+v", c)
	}
	_, err := db.ClaimDelivery(ctx, d.ID, t0.Add(59*time.Second), time.Minute)
	wantErr(t, err, digest.ErrLeased)
	// The worker died; its lease runs out and another takes over.
	c = get(db.ClaimDelivery(ctx, d.ID, t0.Add(61*time.Second), time.Minute))(t)
	if c.Attempts != 2 {
		t.Fatalf("re-claim after expiry: attempts %d, want 2", c.Attempts)
	}
	sentAt := t0.Add(90 * time.Second)
	check(t, db.MarkSent(ctx, d.ID, sentAt, 7))
	got := get(db.Delivery(ctx, d.ID))(t)
	if got.Status != digest.DeliverySent || !got.SentAt.Equal(sentAt) || got.Stories != 7 || !got.LeaseUntil.IsZero() {
		t.Fatalf("sent = %+v", got)
	}
	_, err = db.ClaimDelivery(ctx, d.ID, t0.Add(time.Hour), time.Minute)
	wantErr(t, err, digest.ErrAlreadySent)
	wantErr(t, db.MarkSent(ctx, d.ID, sentAt, 7), store.ErrNotSending)
	if last := get(db.LastSent(ctx, "ann@example.com"))(t); !last.Equal(sentAt) {
		t.Fatalf("LastSent = %v, want %v", last, sentAt)
	}
	if last := get(db.LastSent(ctx, "nobody@example.com"))(t); !last.IsZero() {
		t.Fatalf("LastSent of a stranger = %v", last)
	}
	// --force: the row is pending again with a new generation.
	r := get(db.ResetDelivery(ctx, d.ID, t0.Add(2*time.Hour)))(t)
	if r.Status != digest.DeliveryPending || r.Generation != 1 || !r.SentAt.IsZero() || r.Attempts != 0 {
		t.Fatalf("reset = %+v", r)
	}
	if again := get(db.ResetDelivery(ctx, d.ID, t0.Add(2*time.Hour)))(t); again.Generation != 1 {
		t.Fatalf("resetting a pending row bumped the generation to %d", again.Generation)
	}
	get(db.ClaimDelivery(ctx, d.ID, t0.Add(2*time.Hour), time.Minute))(t)
	_, err = db.ResetDelivery(ctx, d.ID, t0.Add(2*time.Hour))
	wantErr(t, err, digest.ErrLeased)
	check(t, db.MarkSkipped(ctx, d.ID, t0.Add(2*time.Hour), "no stories"))
	if got := get(db.Delivery(ctx, d.ID))(t); got.Status != digest.DeliverySkipped || got.LastError != "no stories" || !got.LeaseUntil.IsZero() {
		t.Fatalf("skipped = %+v", got)
	}
	_, err = db.ClaimDelivery(ctx, 999999, t0, time.Minute)
	wantErr(t, err, digest.ErrNotFound)
	// What needs SQL: the doctor's checks, and a row broken by hand.
	sqlDB, ok := db.(*store.DB)
	if !ok {
		return
	}
	if problems := get(sqlDB.Check(ctx, t0.Add(3*time.Hour)))(t); len(problems) != 0 {
		t.Fatalf("the lifecycle left problems: %+v", problems)
	}
	// A sending row without a lease (broken by hand) can be taken over.
	broken := ensure(t, db, 0, "ann@example.com", "2026-03-30")
	if _, err := sqlDB.SQL().ExecContext(ctx, fmt.Sprintf("UPDATE deliveries SET status = 'sending' WHERE id = %d", broken.ID)); err != nil {
		t.Fatal(err)
	}
	if c := get(db.ClaimDelivery(ctx, broken.ID, t0, time.Minute))(t); c.LeaseUntil.IsZero() {
		t.Fatalf("took over a lease-less row without a lease: %+v", c)
	}
}

func testLedgerRetry(t *testing.T, db engineStore) {
	ctx := t.Context()
	d := ensure(t, db, 0, "ann@example.com", "2026-03-29")
	get(db.ClaimDelivery(ctx, d.ID, t0, time.Minute))(t)
	retryAt := t0.Add(10 * time.Minute)
	check(t, db.MarkFailed(ctx, d.ID, t0, "451 try later", false, retryAt))
	got := get(db.Delivery(ctx, d.ID))(t)
	if got.Status != digest.DeliveryPending || !got.NextAttempt.Equal(retryAt) || got.LastError != "451 try later" || !got.LeaseUntil.IsZero() {
		t.Fatalf("deferred = %+v", got)
	}
	_, err := db.ClaimDelivery(ctx, d.ID, retryAt.Add(-time.Second), time.Minute)
	wantErr(t, err, digest.ErrLeased) // not due
	c := get(db.ClaimDelivery(ctx, d.ID, retryAt, time.Minute))(t)
	if c.Attempts != 2 {
		t.Fatalf("attempts = %d, want 2", c.Attempts)
	}
	check(t, db.MarkFailed(ctx, d.ID, retryAt, "550 no such user", true, time.Time{}))
	_, err = db.ClaimDelivery(ctx, d.ID, retryAt.Add(time.Hour), time.Minute)
	wantErr(t, err, digest.ErrAlreadySent)
	d2 := ensure(t, db, 0, "ann@example.com", "2026-03-30")
	get(db.ClaimDelivery(ctx, d2.ID, t0, time.Minute))(t)
	check(t, db.MarkFailed(ctx, d2.ID, t0, "550 no such user", true, time.Time{}))
	if n := get(db.PermanentFailures(ctx, "ann@example.com"))(t); n != 2 {
		t.Fatalf("permanent failures = %d, want 2", n)
	}
	if n := get(db.PermanentFailures(ctx, "bob@example.com"))(t); n != 0 {
		t.Fatalf("permanent failures of bob = %d", n)
	}
}

func testMarkRequiresSending(t *testing.T, db engineStore) {
	ctx := t.Context()
	d := ensure(t, db, 0, "ann@example.com", "2026-03-29")
	wantErr(t, db.MarkSent(ctx, d.ID, t0, 1), store.ErrNotSending)
	wantErr(t, db.MarkSkipped(ctx, d.ID, t0, "x"), store.ErrNotSending)
	wantErr(t, db.MarkFailed(ctx, d.ID, t0, "x", true, time.Time{}), store.ErrNotSending)
	wantErr(t, db.MarkFailed(ctx, d.ID, t0, "x", false, t0), store.ErrNotSending)
	wantErr(t, db.MarkSent(ctx, 999999, t0, 1), digest.ErrNotFound)
	if got := get(db.Delivery(ctx, d.ID))(t); got.Status != digest.DeliveryPending || got.LastError != "" {
		t.Fatalf("a refused mark changed the row: %+v", got)
	}
	if _, err := db.ClaimDelivery(ctx, d.ID, t0, 0); err == nil {
		t.Fatal("claimed with a zero lease")
	}
}

func testSubscriberDeleted(t *testing.T, db *store.DB) {
	ctx := t.Context()
	s := get(db.AddSubscriber(ctx, digest.Subscriber{Email: "ann@example.com"}))(t)
	d := ensure(t, db, s.ID, s.Email, "2026-03-29")
	check(t, db.DeleteSubscriber(ctx, s.ID))
	got := get(db.Delivery(ctx, d.ID))(t)
	if got.SubscriberID != 0 || got.Email != "ann@example.com" {
		t.Fatalf("ledger row after delete = %+v; want the email kept and no subscriber id", got)
	}
	if problems := get(db.Check(ctx, t0))(t); len(problems) != 0 {
		t.Fatalf("problems after delete: %+v", problems)
	}
}

func testDeliveriesList(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var ids []int64
	for i := range 5 {
		ids = append(ids, ensure(t, db, 0, fmt.Sprintf("r%d@example.com", i), "2026-03-29").ID)
	}
	get(db.ClaimDelivery(ctx, ids[1], t0, time.Minute))(t)
	check(t, db.MarkSent(ctx, ids[1], t0, 3))
	all := get(db.Deliveries(ctx, "", 3))(t)
	if len(all) != 3 || all[0].ID != ids[4] || all[2].ID != ids[2] {
		t.Fatalf("newest 3 = %+v", all)
	}
	sent := get(db.Deliveries(ctx, digest.DeliverySent, 0))(t)
	if len(sent) != 1 || sent[0].ID != ids[1] {
		t.Fatalf("sent = %+v", sent)
	}
	counts := get(db.DeliveryCounts(ctx))(t)
	if want := map[digest.DeliveryStatus]int{digest.DeliveryPending: 4, digest.DeliverySent: 1}; !reflect.DeepEqual(counts, want) {
		t.Fatalf("counts = %v, want %v", counts, want)
	}
}

func testSettings(t *testing.T, db *store.DB) {
	ctx := t.Context()
	_, err := db.Setting(ctx, "secret")
	wantErr(t, err, digest.ErrNotFound)
	vals := make([]string, 10)
	var wg sync.WaitGroup
	for i := range vals {
		wg.Go(func() {
			v, err := db.SetSettingIfAbsent(ctx, "secret", fmt.Sprintf("value-%d", i))
			if err != nil {
				t.Error(err)
			}
			vals[i] = v
		})
	}
	wg.Wait()
	for _, v := range vals {
		if v != vals[0] || v == "" {
			t.Fatalf("concurrent SetSettingIfAbsent returned %q", vals)
		}
	}
	if v := get(db.Setting(ctx, "secret"))(t); v != vals[0] {
		t.Fatalf("setting = %q, want %q", v, vals[0])
	}
}

func testRuns(t *testing.T, db *store.DB) {
	ctx := t.Context()
	_, err := db.Run(ctx, 1)
	wantErr(t, err, digest.ErrNotFound)
	rep := digest.Report{
		Sources:            []digest.SourceReport{{ID: "https://feed.example/rss", Name: "Feed", Articles: 3, New: 2, Duration: 1500 * time.Millisecond}},
		ArticlesFetched:    3,
		SummariesByBackend: map[string]int{"extractive": 2},
		CostUSD:            0.0125,
		Stages:             []digest.StageTiming{{Stage: "gather", Duration: time.Second}},
		Errors:             []string{"one broken feed"},
		Meta:               map[string]any{"dry_run": true},
	}
	r := digest.RunRecord{Kind: "now", StartedAt: t0, FinishedAt: t0.Add(time.Minute), Status: "partial", Report: rep}
	id1 := get(db.SaveRun(ctx, r))(t)
	r.Kind = "gather"
	id2 := get(db.SaveRun(ctx, r))(t)
	got := get(db.Run(ctx, id1))(t)
	r.ID, r.Kind = id1, "now"
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("run = %+v\nwant  %+v", got, r)
	}
	runs := get(db.Runs(ctx, 10))(t)
	if len(runs) != 2 || runs[0].ID != id2 || runs[1].ID != id1 {
		t.Fatalf("runs = %+v", runs)
	}
}

// testRunArticles saves a run's account of articles with the run, reads it
// back in order (the report itself does not carry it), and prunes the
// accounts of runs older than the retention when a newer run is saved.
func testRunArticles(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var lines []digest.ArticleFate
	for i := range 1100 { // three chunks of run_account
		lines = append(lines, digest.ArticleFate{ArticleID: int64(i + 1), Source: "Outlet", Title: fmt.Sprintf("Story %d", i),
			Published: t0, Fate: digest.FateAlsoReported, Story: "k", StoryTitle: "Lead \x00 title",
			Join: &digest.Join{Via: digest.JoinSameEvent, With: 0, Score: 0.31, Detail: "title and lead 0.40"}})
	}
	lines[0].Fate, lines[1].Fate, lines[1].ArticleID, lines[1].Of, lines[1].Key = digest.FateLead, digest.FateDuplicate, 0, 1, digest.DuplicateURL
	rep := digest.Report{ArticlesRead: len(lines), Fates: map[string]int{digest.FateLead: 1, digest.FateDuplicate: 1, digest.FateAlsoReported: 1098}, Articles: lines}
	old := get(db.SaveRun(ctx, digest.RunRecord{Kind: "now", StartedAt: t0, Report: rep}))(t)
	got := get(db.RunArticles(ctx, old))(t)
	if len(got) != len(lines) || got[1].Fate != digest.FateDuplicate || got[1].Of != 1 || got[1099].Title != "Story 1099" || got[500].Title != "Story 500" ||
		got[2].Join == nil || got[2].Join.Score != 0.31 || got[0].StoryTitle != "Lead \x00 title" {
		t.Fatalf("read back %d lines: %+v ... %+v", len(got), got[:3], got[len(got)-1])
	}
	for i := range got { // the chunks are encoded side by side, read back in order
		if got[i].Title != lines[i].Title {
			t.Fatalf("line %d read back as %q, want %q", i, got[i].Title, lines[i].Title)
		}
	}
	if r := get(db.Run(ctx, old))(t); r.Report.ArticlesRead != 1100 || r.Report.Fates[digest.FateAlsoReported] != 1098 || r.Report.Articles != nil {
		t.Fatalf("report read %d, fates %v, %d lines inline", r.Report.ArticlesRead, r.Report.Fates, len(r.Report.Articles))
	}
	if none := get(db.RunArticles(ctx, old+1000))(t); len(none) != 0 {
		t.Fatalf("unknown run has %d lines", len(none))
	}
	// Compressed: these lines are ~330 bytes of JSON each.
	var chunks, size int
	if err := db.SQL().QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*), SUM(LENGTH(lines)) FROM run_account WHERE run_id = %d", old)).Scan(&chunks, &size); err != nil {
		t.Fatal(err)
	}
	if chunks != 3 || size > 40*len(lines) {
		t.Errorf("account stored in %d chunks of %d bytes in all (%.0f a line), want 3 and at most 40 a line", chunks, size, float64(size)/float64(len(lines)))
	}
	// A run saved before run_account, with a row an article, is read
	// from run_articles.
	legacy := get(db.SaveRun(ctx, digest.RunRecord{Kind: "now", StartedAt: t0}))(t)
	if _, err := db.SQL().ExecContext(ctx, fmt.Sprintf(`INSERT INTO run_articles (run_id, seq, article_id, fate, line) VALUES (%d, 0, 7, 'lead', '{"title":"Legacy","fate":"lead"}'), (%[1]d, 1, 8, 'merged', '{"title":"Second","fate":"merged"}')`, legacy)); err != nil {
		t.Fatal(err)
	}
	if got := get(db.RunArticles(ctx, legacy))(t); len(got) != 2 || got[0].Title != "Legacy" || got[1].Fate != digest.FateMerged {
		t.Fatalf("legacy account read %+v", got)
	}
	recent := get(db.SaveRun(ctx, digest.RunRecord{Kind: "now", StartedAt: t0.Add(store.RunArticlesRetention - time.Hour), Report: rep}))(t)
	if n := len(get(db.RunArticles(ctx, old))(t)); n != len(lines) {
		t.Fatalf("account pruned within the retention: %d lines left", n)
	}
	get(db.SaveRun(ctx, digest.RunRecord{Kind: "now", StartedAt: t0.Add(store.RunArticlesRetention + time.Hour)}))(t)
	if n := len(get(db.RunArticles(ctx, old))(t)); n != 0 {
		t.Fatalf("account older than the retention kept: %d lines", n)
	}
	if n := len(get(db.RunArticles(ctx, legacy))(t)); n != 0 {
		t.Fatalf("legacy account older than the retention kept: %d lines", n)
	}
	if n := len(get(db.RunArticles(ctx, recent))(t)); n != len(lines) {
		t.Fatalf("recent account pruned: %d lines", n)
	}
	if _, err := db.Run(ctx, old); err != nil {
		t.Fatalf("the pruned run itself: %v", err)
	}
}

func testEditions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	_, err := db.Edition(ctx, "2026-03-29")
	wantErr(t, err, digest.ErrNotFound)
	e := digest.ArchivedEdition{Date: "2026-03-29", Subject: "Trade digest", HTML: "<p>x</p>", Text: "x", Stories: 3, CreatedAt: t0}
	check(t, db.SaveEdition(ctx, e))
	e.Subject, e.Stories = "Trade digest (corrected)", 4
	check(t, db.SaveEdition(ctx, e))
	check(t, db.SaveEdition(ctx, digest.ArchivedEdition{Date: "2026-03-30", Subject: "Next", CreatedAt: t0}))
	if got := get(db.Edition(ctx, "2026-03-29"))(t); !reflect.DeepEqual(got, e) {
		t.Fatalf("edition = %+v, want %+v", got, e)
	}
	list := get(db.Editions(ctx, 5))(t)
	if len(list) != 2 || list[0].Date != "2026-03-30" {
		t.Fatalf("editions = %+v", list)
	}

	// The stories round-trip, hostile text and all; replacing the
	// edition replaces them.
	e.Items = []digest.ArchivedStory{
		{Headline: "Steel <script>alert(1)</script> & \"quotas\"", Summary: "EU raises duty.", KeyPoints: []string{"40% duty", "Quotas cut 18%"},
			URL: "https://wire.example/steel", Outlets: []digest.ArchivedOutlet{{Name: "Wire", URL: "https://wire.example/steel"}, {Name: "Local file"}},
			Topics: []string{"steel"}},
		{Headline: "Port fees cut"},
	}
	check(t, db.SaveEdition(ctx, e))
	if got := get(db.Edition(ctx, "2026-03-29"))(t); !reflect.DeepEqual(got, e) {
		t.Fatalf("edition with items = %+v, want %+v", got, e)
	}
	e.Items = e.Items[1:]
	check(t, db.SaveEdition(ctx, e))
	if got := get(db.Editions(ctx, 5))(t)[1]; !reflect.DeepEqual(got, e) {
		t.Fatalf("listed edition = %+v, want %+v", got, e)
	}

	// A row written as before the items column existed reads with none.
	if _, err := db.SQL().ExecContext(ctx,
		"INSERT INTO editions (edition_date, subject, html, body, stories, created_at) VALUES ('2026-03-01', 'Old', '<p>old</p>', 'old', 2, '2026-03-01T06:00:00.000000Z')"); err != nil {
		t.Fatal(err)
	}
	if old := get(db.Edition(ctx, "2026-03-01"))(t); old.Items != nil || old.Subject != "Old" {
		t.Fatalf("edition from before the items = %+v", old)
	}
}

// testTimesUTC stores a time in another zone with nanoseconds and reads it
// back in UTC with microsecond precision, on every kind of column.
func testTimesUTC(t *testing.T, db engineStore) {
	ctx := t.Context()
	tokyo := time.FixedZone("JST", 9*3600)
	in := time.Date(2026, 3, 29, 15, 30, 0, 123456789, tokyo)
	want := in.UTC().Truncate(time.Microsecond)
	check(t, db.SaveSourceState(ctx, digest.SourceState{SourceID: "s", LastSuccess: in}))
	st := get(db.SourceState(ctx, "s"))(t)
	if st.LastSuccess != want || st.LastSuccess.Location() != time.UTC {
		t.Fatalf("read %v (%v), want %v in UTC", st.LastSuccess, st.LastSuccess.Location(), want)
	}
	// Ordering must follow the instant, not the text: an earlier instant in
	// a zone east of UTC has a later wall clock.
	get(db.SaveArticles(ctx, []digest.Article{
		article("s", "a", "https://t.example/a", "later", time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC)),
		article("s", "b", "https://t.example/b", "earlier", time.Date(2026, 3, 29, 18, 0, 0, 0, tokyo)), // 09:00 UTC
	}))(t)
	got := get(db.ArticlesSince(ctx, time.Date(2026, 3, 29, 8, 59, 59, 999999000, time.UTC)))(t)
	if len(got) != 2 || got[0].Text != "earlier" {
		t.Fatalf("order by instant: %+v", got)
	}
}

func testMigrateAgain(t *testing.T, db *store.DB) {
	ctx := t.Context()
	check(t, db.Migrate(ctx))
	cur, latest, err := db.MigrationStatus(ctx)
	check(t, err)
	if cur != latest || latest < 1 {
		t.Fatalf("migration status %d of %d", cur, latest)
	}
	check(t, db.Ping(ctx))
	// A database from a newer binary is refused, not silently used.
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', '2030-01-01T00:00:00.000000Z')"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, db.Migrate(ctx), store.ErrSchemaNewer)
	if cur, latest, err := db.MigrationStatus(ctx); err != nil || cur != 9999 || latest == 9999 {
		t.Fatalf("status after a newer migration: %d of %d, %v", cur, latest, err)
	}
}

// testConcurrentWriters has many goroutines write through one store at
// once; on SQLite none may see SQLITE_BUSY.
func testConcurrentWriters(t *testing.T, db *store.DB) {
	ctx := t.Context()
	errs := concurrentWrites(ctx, []*store.DB{db}, 8, 25)
	for _, err := range errs {
		t.Error(err)
	}
	if d := get(db.Deliveries(ctx, digest.DeliverySent, 0))(t); len(d) != 8*25 {
		t.Fatalf("%d deliveries sent, want %d", len(d), 8*25)
	}
}

// concurrentWrites runs workers goroutines, spread over dbs, each doing n
// rounds of article saves, a delivery's full cycle and a run record, and
// returns the errors.
func concurrentWrites(ctx context.Context, dbs []*store.DB, workers, n int) []error {
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	var wg sync.WaitGroup
	for w := range workers {
		db := dbs[w%len(dbs)]
		wg.Go(func() {
			for i := range n {
				key := fmt.Sprintf("w%d-%d", w, i)
				if _, err := db.SaveArticles(ctx, []digest.Article{
					article("s", key, "https://c.example/"+key, "text "+key, t0),
					article("s", key+"x", "https://c.example/"+key+"x", "text "+key+"x", t0),
				}); err != nil {
					fail(err)
					continue
				}
				d, err := db.EnsureDelivery(ctx, digest.Delivery{Email: key + "@example.com", EditionDate: "2026-03-29"})
				if err == nil {
					_, err = db.ClaimDelivery(ctx, d.ID, t0, time.Minute)
				}
				if err == nil {
					err = db.MarkSent(ctx, d.ID, t0, 1)
				}
				if err == nil {
					_, err = db.SaveRun(ctx, digest.RunRecord{Kind: key, StartedAt: t0})
				}
				if err != nil {
					fail(err)
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// TestDB_SaveArticlesCrossed has writers save overlapping batches in
// opposite orders at once (two replicas gathering syndicated copies): on
// Postgres this deadlocks inside the database, and the store must retry
// rather than fail; every article must be stored once.
func TestDB_SaveArticlesCrossed(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			db := o.Open(t)
			ctx := t.Context()
			for round := range 20 {
				var batch []digest.Article
				for i := range 30 {
					key := fmt.Sprintf("%d-%d", round, i)
					batch = append(batch, article("s", "", "https://x.example/"+key, "text "+key, t0))
				}
				reversed := slices.Clone(batch)
				slices.Reverse(reversed)
				var wg sync.WaitGroup
				var stored atomic.Int32
				for w := range 4 {
					wg.Go(func() {
						b := batch
						if w%2 == 1 {
							b = reversed
						}
						got, err := db.SaveArticles(ctx, b)
						if err != nil {
							t.Errorf("round %d: %v", round, err)
						}
						stored.Add(int32(len(fresh(got))))
					})
				}
				wg.Wait()
				if stored.Load() != 30 {
					t.Fatalf("round %d: %d articles reported new, want 30", round, stored.Load())
				}
			}
		})
	}
}

// TestDB_SaveArticlesShared: concurrent SaveArticles calls (a gather's
// sources coming in together) may share a transaction; each caller gets
// what became of its own articles, in its own order, and of an article
// every caller carries one is stored and the others are told which
// article they repeat.
func TestDB_SaveArticlesShared(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			db := o.Open(t)
			const callers, per = 16, 20
			results := make([][]digest.Saved, callers)
			var wg sync.WaitGroup
			for c := range callers {
				wg.Go(func() {
					src := fmt.Sprintf("s%d", c)
					var batch []digest.Article
					for i := range per {
						batch = append(batch, article(src, fmt.Sprintf("g%d", i), fmt.Sprintf("https://x.example/%d/%d", c, i), fmt.Sprintf("text %d %d", c, i), t0))
					}
					batch = append(batch, article(src, "shared", "https://x.example/shared", "shared text", t0))
					got, err := db.SaveArticles(t.Context(), batch)
					if err != nil {
						t.Errorf("caller %d: %v", c, err)
					}
					results[c] = got
				})
			}
			wg.Wait()
			var sharedID int64
			stored := 0
			for c, got := range results {
				if len(got) != per+1 {
					t.Fatalf("caller %d: %d results for %d articles", c, len(got), per+1)
				}
				for i, s := range got[:per] {
					if want := fmt.Sprintf("https://x.example/%d/%d", c, i); s.Article.URL != want || !s.New || s.Article.ID == 0 {
						t.Errorf("caller %d, article %d: %q (new %v, id %d), want %q stored", c, i, s.Article.URL, s.New, s.Article.ID, want)
					}
				}
				if s := got[per]; s.New {
					stored++
					sharedID = s.Article.ID
				}
			}
			if stored != 1 {
				t.Fatalf("the shared article was stored %d times, want once", stored)
			}
			for c, got := range results {
				if s := got[per]; !s.New && (s.DuplicateOf != sharedID || s.Key != digest.DuplicateURL) {
					t.Errorf("caller %d: shared article a duplicate of %d by %q, want of %d by url", c, s.DuplicateOf, s.Key, sharedID)
				}
			}
			got, err := db.ArticlesSince(t.Context(), time.Time{})
			check(t, err)
			if len(got) != callers*per+1 {
				t.Errorf("%d articles stored, want %d", len(got), callers*per+1)
			}
		})
	}
}

// TestDB_SaveArticlesDeadlockRetried builds batches whose URL and content
// hash orders cross, so no insert order can keep Postgres from a deadlock;
// the aborted transaction must be retried and see the other's rows.
func TestDB_SaveArticlesDeadlockRetried(t *testing.T) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			// Two replicas, each a store of its own on one database: one
			// store's concurrent calls share a transaction (SaveArticles),
			// so only replicas can meet in a deadlock.
			var logs testutil.SyncBuffer
			dsn := dsns(t, dialect)
			replica := func() *store.DB {
				db, err := store.Open(t.Context(), dsn, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
				check(t, err)
				t.Cleanup(func() { db.Close() })
				return db
			}
			db, other := replica(), replica()
			check(t, db.Migrate(t.Context()))
			if dialect == store.Postgres {
				// Hold each batch before its second row, so that both hold
				// one URL and then want the other's (a BEFORE trigger runs
				// between the rows of one multi-row INSERT).
				for _, q := range []string{
					`CREATE FUNCTION pause_first() RETURNS trigger LANGUAGE plpgsql AS $$
					BEGIN IF NEW.title LIKE 'second%' THEN PERFORM pg_sleep(0.3); END IF; RETURN NEW; END $$`,
					`CREATE TRIGGER pause_first BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION pause_first()`,
				} {
					if _, err := db.SQL().ExecContext(t.Context(), q); err != nil {
						t.Fatal(err)
					}
				}
			}
			for round := range 2 {
				u := fmt.Sprintf("https://x.example/%d/u", round)
				v := fmt.Sprintf("https://x.example/%d/v", round)
				// Identity keys sort first < second in each batch: each batch
				// takes its first URL first, and the other batch's first URL
				// second.
				a := orderedPair(round, "a", u, v)
				b := orderedPair(round, "b", v, u)
				var wg sync.WaitGroup
				var stored atomic.Int32
				for i, batch := range [][]digest.Article{a, b} {
					on := []*store.DB{db, other}[i]
					wg.Go(func() {
						got, err := on.SaveArticles(t.Context(), batch)
						if err != nil {
							t.Errorf("round %d: %v", round, err)
						}
						stored.Add(int32(len(fresh(got))))
					})
				}
				wg.Wait()
				if n := stored.Load(); n != 2 {
					t.Fatalf("round %d: %d articles new, want 2 (one batch wins both URLs)", round, n)
				}
			}
			retried := strings.Count(logs.String(), "retrying transaction")
			t.Logf("transactions retried: %d", retried)
			if dialect == store.Postgres && retried == 0 {
				t.Fatal("no deadlock was retried; the test did not provoke one")
			}
		})
	}
}

// orderedPair returns two articles at URLs first and second whose identity
// keys sort in that order (the store inserts in identity-key order).
func orderedPair(round int, tag, first, second string) []digest.Article {
	for n := 0; ; n++ {
		p := []digest.Article{
			{URL: first, Title: "first", Text: long(fmt.Sprintf("%s %d %d one", tag, round, n)), Published: t0},
			{URL: second, Title: "second", Text: long(fmt.Sprintf("%s %d %d two", tag, round, n)), Published: t0},
		}
		if digest.IdentityKey(p[0]) < digest.IdentityKey(p[1]) {
			return p
		}
	}
}

// testHostileText stores text with NUL bytes and invalid UTF-8, which
// Postgres refuses in TEXT, and reads it back alike on both databases.
func testHostileText(t *testing.T, db engineStore) {
	ctx := t.Context()
	bad := "Steel\x00 tariffs \xff\xfe rise"
	want := "Steel tariffs \uFFFD rise"
	got := fresh(get(db.SaveArticles(ctx, []digest.Article{{SourceID: "s", URL: "https://h.example/1", Title: bad, Text: bad, Published: t0}}))(t))
	if len(got) != 1 || got[0].Title != want {
		t.Fatalf("saved %+v", got)
	}
	read := get(db.ArticlesSince(ctx, time.Time{}))(t)
	if len(read) != 1 || read[0].Text != want || read[0].Title != want {
		t.Fatalf("read back %q", read[0].Text)
	}
	check(t, db.SaveSummary(ctx, digest.Summary{ContentHash: "h", Version: "v", Text: bad, KeyPoints: []string{bad}}))
	s := get(db.Summary(ctx, "h", "v"))(t)
	if s.Text != want || len(s.KeyPoints) != 1 || s.KeyPoints[0] == "" {
		t.Fatalf("summary %q %q", s.Text, s.KeyPoints)
	}
	d := ensure(t, db, 0, "ann@example.com", "2026-03-29")
	get(db.ClaimDelivery(ctx, d.ID, t0, time.Minute))(t)
	check(t, db.MarkFailed(ctx, d.ID, t0, "550 "+bad, true, time.Time{}))
	if got := get(db.Delivery(ctx, d.ID))(t); got.LastError != "550 "+want {
		t.Fatalf("last error %q", got.LastError)
	}
	id := get(db.SaveRun(ctx, digest.RunRecord{Kind: "now", Report: digest.Report{Errors: []string{bad}}}))(t)
	if r := get(db.Run(ctx, id))(t); len(r.Report.Errors) != 1 || r.Report.Errors[0] == "" {
		t.Fatalf("run report errors %q", r.Report.Errors)
	}
}

// testHostileSubscriberName stores names with a NUL and invalid UTF-8 (a
// CSV import passes them) through every write path: Postgres would refuse
// them, and an import that works on SQLite must work there too.
func testHostileSubscriberName(t *testing.T, db *store.DB) {
	ctx := t.Context()
	bad := "Ann\x00 B\xff"
	want := "Ann B\uFFFD"
	a := get(db.AddSubscriber(ctx, digest.Subscriber{Email: "ann@example.com", Name: bad}))(t)
	if a.Name != want {
		t.Fatalf("added name %q, want %q", a.Name, want)
	}
	get2(t)(db.UpsertSubscribers(ctx, []digest.Subscriber{{Email: "ann@example.com", Name: bad + "!"}, {Email: "bob@example.com", Name: bad}}))
	if s := get(db.SubscriberByEmail(ctx, "ann@example.com"))(t); s.Name != want+"!" {
		t.Fatalf("upserted name %q", s.Name)
	}
	if s := get(db.SubscriberByEmail(ctx, "bob@example.com"))(t); s.Name != want {
		t.Fatalf("inserted name %q", s.Name)
	}
	a.Name = bad + "?"
	check(t, db.UpdateSubscriber(ctx, a))
	if s := get(db.Subscriber(ctx, a.ID))(t); s.Name != want+"?" {
		t.Fatalf("updated name %q", s.Name)
	}
}

// testArticlesLargeBatch saves more articles than one INSERT carries, with
// repeats across the chunks and keyless articles, and checks that every new
// one comes back once, in input order, with its own id.
func testArticlesLargeBatch(t *testing.T, db engineStore) {
	ctx := t.Context()
	var batch []digest.Article
	for i := range 250 {
		k := i
		if i >= 200 {
			k = i - 200 // a repeat of an earlier URL, GUID and text
		}
		batch = append(batch, article("s", fmt.Sprint(k), fmt.Sprintf("https://l.example/%d", k), fmt.Sprintf("text %d", k), t0))
	}
	for range 3 {
		// No URL, GUID, title or text: nothing identifies them, so none
		// is a repeat of another.
		batch = append(batch, digest.Article{SourceID: "s", Published: t0})
	}
	got := fresh(get(db.SaveArticles(ctx, batch))(t))
	if len(got) != 203 {
		t.Fatalf("saved %d, want 203", len(got))
	}
	ids := map[int64]bool{}
	for i, a := range got {
		if a.ID == 0 || ids[a.ID] {
			t.Fatalf("article %d has id %d (repeated or zero)", i, a.ID)
		}
		ids[a.ID] = true
		if i < 200 && a.URL != fmt.Sprintf("https://l.example/%d", i) {
			t.Fatalf("article %d is %q: not in input order", i, a.URL)
		}
	}
	if all := get(db.ArticlesSince(ctx, time.Time{}))(t); len(all) != 203 {
		t.Fatalf("store holds %d", len(all))
	}
}
