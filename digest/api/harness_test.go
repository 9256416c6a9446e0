package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/api"
	"github.com/tradedigest/tradedigest/digest/queue"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/roster"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

const testToken = "admin-token-0123456789abcdef0123456789"

// harness is the API behind a real loopback listener, on a real store and
// a real (not started) job queue.
type harness struct {
	t    testing.TB
	db   *store.DB
	ts   *httptest.Server
	logs *testutil.SyncBuffer
}

// backends are the stores every test runs on.
var backends = []struct {
	name string
	open func(tb testing.TB) *store.DB
}{
	{store.SQLite, func(tb testing.TB) *store.DB {
		return openDB(tb, filepath.Join(tb.TempDir(), "digest.db"))
	}},
	{store.Postgres, func(tb testing.TB) *store.DB {
		return openDB(tb, storetest.NewSchema(tb, storetest.PostgresDSN(tb)))
	}},
}

func openDB(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// forEachStore runs f as a subtest on SQLite and on Postgres (skipped
// without DIGEST_TEST_POSTGRES_DSN).
func forEachStore(t *testing.T, f func(t *testing.T, h *harness)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db := b.open(t)
			f(t, newHarness(t, db))
		})
	}
}

func rosterOptions() roster.Options {
	topics := rank.DefaultTopics()
	return roster.Options{
		Topics:    rank.TopicNames(topics),
		Canonical: func(t string) (string, bool) { return rank.CanonicalTopic(topics, t) },
	}
}

func newHarness(t testing.TB, db *store.DB) *harness {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	q := newQueue(t, db)
	a, err := api.New(api.Config{
		Token: testToken, Store: db, Roster: rosterOptions(),
		Sources: &storeSources{db: db}, Jobs: queueJobs{q},
		MaxBodyBytes: 4 << 10, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(ts.Close)
	return &harness{t: t, db: db, ts: ts, logs: logs}
}

func newQueue(t testing.TB, db *store.DB) *queue.Queue {
	t.Helper()
	q, err := queue.New(queue.Config{NoStartupJobs: true}, queue.Deps{Engine: &digest.Engine{Store: db}, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	if err := q.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return q
}

// queueJobs adapts the queue to the API, as cmd/digest does.
type queueJobs struct{ q *queue.Queue }

func (j queueJobs) Enqueue(ctx context.Context, kind string) (api.Job, error) {
	info, err := j.q.Trigger(ctx, kind)
	return api.Job(info), err
}

func (j queueJobs) Job(ctx context.Context, id int64) (api.Job, error) {
	info, err := j.q.Job(ctx, id)
	return api.Job(info), err
}

// storeSources is a hand-written Sources over the real store: added
// sources are the store's registered ones, health is the stored state,
// and a check records one fetch of each (no network).
type storeSources struct{ db *store.DB }

func (s *storeSources) List(ctx context.Context) ([]api.SourceHealth, error) {
	reg, err := s.db.RegisteredSources(ctx)
	if err != nil {
		return nil, err
	}
	var out []api.SourceHealth
	for _, src := range reg {
		st, err := s.db.SourceState(ctx, src)
		if err != nil {
			return nil, err
		}
		out = append(out, api.SourceHealth{Source: src, LastSuccess: st.LastSuccess, LastAttempt: st.LastAttempt,
			ConsecutiveFailures: st.ConsecutiveFailures, LastError: st.LastError})
	}
	return out, nil
}

func (s *storeSources) Add(ctx context.Context, src string) (string, error) {
	if !strings.HasPrefix(src, "https://") {
		return "", fmt.Errorf("source %s: want an https URL: %w", src, api.ErrInvalid)
	}
	return src, s.db.AddSource(ctx, src)
}

func (s *storeSources) Remove(ctx context.Context, src string) error {
	return s.db.RemoveSource(ctx, src)
}

func (s *storeSources) Check(ctx context.Context) ([]api.SourceHealth, error) {
	reg, err := s.db.RegisteredSources(ctx)
	if err != nil {
		return nil, err
	}
	for _, src := range reg {
		now := time.Now().UTC()
		if err := s.db.SaveSourceState(ctx, digest.SourceState{SourceID: src, LastAttempt: now, LastSuccess: now}); err != nil {
			return nil, err
		}
	}
	return s.List(ctx)
}

// response is one answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiError decodes an error body.
func (r response) apiError(t testing.TB) api.Error {
	t.Helper()
	var e api.Error
	r.json(t, &e)
	if e.Message == "" {
		t.Fatalf("error body without a message: %s", r.body)
	}
	return e
}

func (h *harness) doToken(token, method, path, ctype string, body io.Reader) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.ts.URL+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (h *harness) do(method, path string, body any) response {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	return h.doToken(testToken, method, path, "application/json", r)
}

func (h *harness) csv(path, body string) response {
	h.t.Helper()
	return h.doToken(testToken, http.MethodPost, path, "text/csv", strings.NewReader(body))
}

func want(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}
