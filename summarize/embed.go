package summarize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/tiktoken-go/tokenizer"
	tkcodec "github.com/tiktoken-go/tokenizer/codec"

	"github.com/tradedigest/tradedigest/digest/cluster"
)

// EmbedderConfig configures the embeddings client. Zero fields take the
// defaults documented here (see DefaultEmbedderConfig).
type EmbedderConfig struct {
	// APIKey, BaseURL, Azure and APIVersion mean what they mean in
	// OpenAIConfig; the key is never logged nor returned in an error.
	APIKey     string
	BaseURL    string
	Azure      bool
	APIVersion string // default "2024-10-21"
	// Model is the embedding model (the deployment name on Azure).
	// Default "text-embedding-3-small".
	Model string
	// Timeout bounds one HTTP request. Default 60s.
	Timeout time.Duration
	// BatchSize is how many texts go in one request. Default 96 (OpenAI
	// accepts up to 2048, local servers often far fewer).
	BatchSize int
	// MaxInputTokens cuts each text to this many tokens (cl100k_base, as
	// the summariser counts). Default 512: the clusterer sends a title and
	// two sentences, and embedding models accept 8191 at most.
	MaxInputTokens int
	// MaxRetries is how many times one request is retried on 429, 5xx and
	// network errors. Default 3; negative means none.
	MaxRetries int
	// RetryBase is the first backoff, doubled per retry with jitter, capped
	// at RetryMax; a Retry-After above RetryMax ends the retries. Defaults
	// 500ms and 10s: clustering waits for this, so it gives up sooner than
	// the summariser and clusters without embeddings.
	RetryBase, RetryMax time.Duration
}

// DefaultEmbedderConfig returns the defaults documented on EmbedderConfig.
func DefaultEmbedderConfig() EmbedderConfig {
	return EmbedderConfig{
		APIVersion:     "2024-10-21",
		Model:          "text-embedding-3-small",
		Timeout:        60 * time.Second,
		BatchSize:      96,
		MaxInputTokens: 512,
		MaxRetries:     3,
		RetryBase:      500 * time.Millisecond,
		RetryMax:       10 * time.Second,
	}
}

func (c EmbedderConfig) withDefaults() EmbedderConfig {
	d := DefaultEmbedderConfig()
	if c.APIVersion == "" {
		c.APIVersion = d.APIVersion
	}
	if c.Model == "" {
		c.Model = d.Model
	}
	c.Timeout = cmpPositive(c.Timeout, d.Timeout)
	c.BatchSize = cmpPositive(c.BatchSize, d.BatchSize)
	c.MaxInputTokens = cmpPositive(c.MaxInputTokens, d.MaxInputTokens)
	c.RetryBase = cmpPositive(c.RetryBase, d.RetryBase)
	c.RetryMax = cmpPositive(c.RetryMax, d.RetryMax)
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = d.MaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	return c
}

func cmpPositive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Embedder turns texts into vectors with an OpenAI-compatible /embeddings
// endpoint. It implements cluster.Embedder and is safe for concurrent use.
type Embedder struct {
	cfg    EmbedderConfig
	client *openai.Client
	codec  tokenizer.Codec
	log    *slog.Logger
}

var _ cluster.Embedder = (*Embedder)(nil)

// NewEmbedder returns an Embedder; zero fields of cfg take their defaults.
func NewEmbedder(cfg EmbedderConfig, log *slog.Logger) (*Embedder, error) {
	cfg = cfg.withDefaults()
	switch {
	case cfg.Azure && cfg.BaseURL == "":
		return nil, errors.New("embedder config: azure needs base_url (the resource endpoint)")
	case cfg.APIKey == "" && (cfg.BaseURL == "" || cfg.Azure):
		return nil, errors.New("embedder config: no API key: set OPENAI_API_KEY or OPENAI_API_KEY_FILE (or a base_url for a local server)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Requests go one at a time, so one idle connection suffices.
	client := newClient(cfg.APIKey, cfg.BaseURL, cfg.Azure, cfg.APIVersion, cfg.Timeout, 1)
	return &Embedder{cfg: cfg, client: client, codec: tkcodec.NewCl100kBase(), log: log}, nil
}

// Model returns the embedding model in use.
func (e *Embedder) Model() string { return e.cfg.Model }

// Embed returns one vector per text, in input order, sending BatchSize
// texts per request one request at a time. Blank texts get a nil vector
// (the API rejects empty input; the clusterer ignores vectors it cannot
// compare). Any failed batch fails the whole call: the clusterer then
// goes on without embeddings.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var idx []int // positions in texts of the current batch
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		vecs, err := e.embedBatch(ctx, batch)
		if err != nil {
			return fmt.Errorf("embed texts %d..%d of %d: %w", idx[0]+1, idx[len(idx)-1]+1, len(texts), err)
		}
		for k, v := range vecs {
			out[idx[k]] = v
		}
		idx, batch = idx[:0], batch[:0]
		return nil
	}
	for i, t := range texts {
		t = e.cut(clean(t))
		if t == "" {
			continue
		}
		idx, batch = append(idx, i), append(batch, t)
		if len(batch) == e.cfg.BatchSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// embedBatch makes one embeddings request with retries and returns the
// vectors in the order of texts.
func (e *Embedder) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	req := openai.EmbeddingRequest{Input: texts, Model: openai.EmbeddingModel(e.cfg.Model)}
	for retry := 0; ; retry++ {
		ci := &callInfo{}
		resp, err := e.client.CreateEmbeddings(context.WithValue(ctx, callInfoKey{}, ci), req)
		if err == nil {
			return ordered(resp.Data, len(texts))
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := redactKey(e.cfg.APIKey, err.Error())
		status := statusOf(err)
		if err := final(status, err, msg); err != nil {
			return nil, err
		}
		if retry >= e.cfg.MaxRetries {
			return nil, fmt.Errorf("embeddings gave up after %d attempts: %s", retry+1, msg)
		}
		d, ok := backoff(e.cfg.RetryBase, e.cfg.RetryMax, retry, ci.header)
		if !ok {
			return nil, fmt.Errorf("embeddings asked to retry after more than %s: %s", e.cfg.RetryMax, msg)
		}
		e.log.Debug("embeddings call failed; retrying", "status", status, "wait", d, "error", msg)
		if err := sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// ordered places each returned embedding at its index: the API may
// return them in any order.
func ordered(data []openai.Embedding, n int) ([][]float32, error) {
	if len(data) != n {
		return nil, fmt.Errorf("%w: %d embeddings for %d texts", errInvalidReply, len(data), n)
	}
	out := make([][]float32, n)
	for _, d := range data {
		if d.Index < 0 || d.Index >= n || out[d.Index] != nil {
			return nil, fmt.Errorf("%w: embedding index %d out of range or repeated", errInvalidReply, d.Index)
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}

// cut shortens t to MaxInputTokens tokens.
func (e *Embedder) cut(t string) string {
	if len(t) <= e.cfg.MaxInputTokens { // a token is at least one byte
		return t
	}
	ids, _, err := e.codec.Encode(t)
	if err != nil || len(ids) <= e.cfg.MaxInputTokens {
		return t
	}
	s, err := e.codec.Decode(ids[:e.cfg.MaxInputTokens])
	if err != nil {
		return t[:e.cfg.MaxInputTokens]
	}
	return s
}
