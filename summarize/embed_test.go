package summarize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
	"github.com/tradedigest/tradedigest/internal/testutil"
	"github.com/tradedigest/tradedigest/summarize/openaitest"
)

func newTestEmbedder(t *testing.T, change func(*EmbedderConfig)) (*Embedder, *openaitest.Server, *testutil.SyncBuffer) {
	t.Helper()
	srv := openaitest.New(t)
	cfg := EmbedderConfig{APIKey: testKey, BaseURL: srv.URL, RetryBase: time.Millisecond, RetryMax: time.Second}
	if change != nil {
		change(&cfg)
	}
	logs := &testutil.SyncBuffer{}
	e, err := NewEmbedder(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return e, srv, logs
}

func TestEmbedder_OrderAndBatching(t *testing.T) {
	e, srv, _ := newTestEmbedder(t, func(c *EmbedderConfig) { c.BatchSize = 4 })
	var texts []string
	for i := range 11 {
		texts = append(texts, fmt.Sprintf("Article %d about tariff number %d on steel", i, i*7))
	}
	texts[5] = "  " // blank: not sent, nil vector
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("got %d vectors for %d texts", len(vecs), len(texts))
	}
	for i, v := range vecs {
		if i == 5 {
			if v != nil {
				t.Errorf("blank text got a vector")
			}
			continue
		}
		if want := openaitest.Vector(texts[i], nil); !slices.Equal(v, want) {
			t.Errorf("vector %d is not the embedding of text %d", i, i)
		}
	}
	reqs := srv.Requests()
	var sizes []int
	var sent []string
	for _, r := range reqs {
		sizes = append(sizes, len(r.Inputs))
		sent = append(sent, r.Inputs...)
		if r.Path != "/v1/embeddings" || r.Model != "text-embedding-3-small" || r.Authorization != "Bearer "+testKey {
			t.Errorf("request %s model %q auth %q", r.Path, r.Model, r.Authorization)
		}
	}
	if !slices.Equal(sizes, []int{4, 4, 2}) {
		t.Errorf("batch sizes %v, want [4 4 2]", sizes)
	}
	if want := slices.Delete(slices.Clone(texts), 5, 6); !slices.Equal(sent, want) {
		t.Errorf("sent %q\nwant %q", sent, want)
	}
}

func TestEmbedder_Retry(t *testing.T) {
	e, srv, logs := newTestEmbedder(t, nil)
	srv.SetRetryAfter("0.01")
	srv.Queue(openaitest.RateLimited, openaitest.ServerError, openaitest.Unavailable)
	vecs, err := e.Embed(context.Background(), []string{"Steel tariff", "Coffee exports"})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Count() != 4 || len(vecs) != 2 || vecs[1] == nil {
		t.Errorf("%d requests, %d vectors; want 4 and 2", srv.Count(), len(vecs))
	}
	if strings.Contains(logs.String(), testKey) {
		t.Error("key in logs")
	}
}

func TestEmbedder_GivesUp(t *testing.T) {
	e, srv, _ := newTestEmbedder(t, func(c *EmbedderConfig) { c.MaxRetries = 2 })
	srv.SetFault(openaitest.ServerError)
	_, err := e.Embed(context.Background(), []string{"a text", "another text"})
	if err == nil || !strings.Contains(err.Error(), "embed texts 1..2 of 2") || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if srv.Count() != 3 {
		t.Errorf("%d requests, want 3", srv.Count())
	}

	// A Retry-After beyond RetryMax is honoured by not waiting: the call
	// ends at once rather than hammering the server.
	srv.Reset()
	srv.SetFault(openaitest.RateLimited)
	srv.SetRetryAfter("120")
	_, err = e.Embed(context.Background(), []string{"a text"})
	if err == nil || !strings.Contains(err.Error(), "retry after more than") || srv.Count() != 1 {
		t.Fatalf("err = %v after %d requests", err, srv.Count())
	}
}

func TestEmbedder_Unauthorized(t *testing.T) {
	e, srv, logs := newTestEmbedder(t, nil)
	srv.RequireKey("sk-the-right-one-000000")
	_, err := e.Embed(context.Background(), []string{"Steel tariff"})
	if !errors.Is(err, errUnauthorized) {
		t.Fatalf("err = %v, want unauthorized", err)
	}
	// The fake echoes the presented key in its 401 message, as some
	// servers do.
	if strings.Contains(err.Error(), testKey) || strings.Contains(logs.String(), testKey) {
		t.Errorf("key leaked: %v", err)
	}
	if srv.Count() != 1 {
		t.Errorf("%d requests, want 1 (no retry on 401)", srv.Count())
	}
}

func TestEmbedder_BrokenBody(t *testing.T) {
	e, srv, _ := newTestEmbedder(t, nil)
	srv.SetFault(openaitest.BrokenBody)
	if _, err := e.Embed(context.Background(), []string{"x y"}); !errors.Is(err, errInvalidReply) {
		t.Fatalf("err = %v, want invalid reply", err)
	}
}

func TestEmbedder_Cut(t *testing.T) {
	e, srv, _ := newTestEmbedder(t, func(c *EmbedderConfig) { c.MaxInputTokens = 50 })
	long := strings.Repeat("Tariffs on steel rose again this week. ", 100)
	if _, err := e.Embed(context.Background(), []string{long}); err != nil {
		t.Fatal(err)
	}
	sent := srv.Requests()[0].Inputs[0]
	if n, _ := e.codec.Count(sent); n > 50 || !strings.HasPrefix(long, sent) || len(sent) < 100 {
		t.Errorf("sent %d tokens (%d bytes), want a prefix of at most 50 tokens", n, len(sent))
	}
}

func TestEmbedder_Azure(t *testing.T) {
	e, srv, _ := newTestEmbedder(t, func(c *EmbedderConfig) {
		c.Azure, c.BaseURL, c.Model = true, strings.TrimSuffix(c.BaseURL, "/v1"), "embed-deploy"
	})
	if _, err := e.Embed(context.Background(), []string{"Steel tariff"}); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Deployment != "embed-deploy" || r.APIVersion != "2024-10-21" || r.Authorization != "api-key "+testKey {
		t.Errorf("azure request %+v", r)
	}
}

func TestNewEmbedder_Config(t *testing.T) {
	if _, err := NewEmbedder(EmbedderConfig{}, nil); err == nil || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Errorf("no key, no base URL: err = %v", err)
	}
	if _, err := NewEmbedder(EmbedderConfig{Azure: true, APIKey: "k"}, nil); err == nil {
		t.Error("azure without base URL accepted")
	}
	e, err := NewEmbedder(EmbedderConfig{BaseURL: "http://localhost:11434/v1"}, nil)
	if err != nil || e.Model() != "text-embedding-3-small" || e.cfg.BatchSize != 96 {
		t.Errorf("local server without key: %v, %+v", err, e)
	}
}

// TestEmbedder_Clustering shows embeddings joining two reports of one
// event that share only one name and few words, which the clusterer's
// word-based signals alone keep apart when they need two shared entities
// (set here; the default needs one, and joins these two on words alone).
// The fake's synonyms stand in for what a real embedding model knows.
func TestEmbedder_Clustering(t *testing.T) {
	e, srv, _ := newTestEmbedder(t, nil)
	srv.Synonyms(map[string]string{
		"levies": "tariff", "duties": "tariff", "raises": "increase", "lifts": "increase",
		"imported": "import", "foreign": "import", "metal": "steel", "coils": "sheet",
		"higher": "increase", "charges": "tariff", "purchases": "import", "ministry": "government",
		"officials": "government", "mills": "steel", "producers": "steel",
	})
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	articles := []digest.Article{
		{URL: "https://a.example/1", Title: "Vietnam raises levies on imported steel coils", Published: at,
			Text: "The ministry in Vietnam said levies on imported steel coils will go up next month. Mills welcomed the step."},
		{URL: "https://b.example/2", Title: "Higher duties for foreign metal sheet in Vietnam", Published: at.Add(3 * time.Hour),
			Text: "Officials in Vietnam said higher charges on foreign metal sheet purchases start next month. Producers had asked for them."},
		{URL: "https://c.example/3", Title: "Vietnam coffee exports reach a record", Published: at.Add(time.Hour),
			Text: "Coffee growers in Vietnam shipped more beans than ever this season. Prices eased in October."},
	}
	plain, err := cluster.New(cluster.Config{MinSharedEntities: 2}).Cluster(context.Background(), articles)
	if err != nil {
		t.Fatal(err)
	}
	withEmb, err := cluster.New(cluster.Config{MinSharedEntities: 2, Embedder: e}).Cluster(context.Background(), articles)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || len(reqs[0].Inputs) != 3 {
		t.Fatalf("%d embeddings requests; want 1 with 3 texts", len(reqs))
	}
	in := reqs[0].Inputs
	cos := func(i, j int) float64 { return embeddingCosine(e, in[i], in[j]) }
	t.Logf("cosine steel/steel %.3f, steel/coffee %.3f, %.3f (threshold %.2f)",
		cos(0, 1), cos(0, 2), cos(1, 2), cluster.DefaultConfig().EmbeddingThreshold)
	if len(plain) != 3 {
		t.Errorf("without embeddings: %d stories, want 3 (the test no longer needs embeddings)", len(plain))
	}
	if len(withEmb) != 2 || len(withEmb[0].Articles) != 2 || withEmb[1].Articles[0].URL != articles[2].URL {
		t.Errorf("with embeddings: %d stories, want the two steel reports joined and coffee alone", len(withEmb))
	}
}

// embeddingCosine is the cosine of the server's embeddings of a and b.
func embeddingCosine(e *Embedder, a, b string) float64 {
	vs, err := e.Embed(context.Background(), []string{a, b})
	if err != nil {
		return math.NaN()
	}
	var dot, na, nb float64
	for i := range vs[0] {
		dot += float64(vs[0][i]) * float64(vs[1][i])
		na += float64(vs[0][i]) * float64(vs[0][i])
		nb += float64(vs[1][i]) * float64(vs[1][i])
	}
	return dot / math.Sqrt(na*nb)
}

func TestEmbedder_Cancel(t *testing.T) {
	e, srv, _ := newTestEmbedder(t, nil)
	srv.SetFault(openaitest.Hang)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := e.Embed(ctx, []string{"Steel tariff"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	if srv.Count() != 1 {
		t.Errorf("%d requests after the deadline, want 1", srv.Count())
	}
}
