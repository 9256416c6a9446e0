package summarize

import (
	"context"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// StubVersion is the Version of Stub.
const StubVersion = "stub-v1"

// Stub is a deterministic summariser for tests: the headline is the title
// and the text is the article's first sentence. It never fails and makes no
// network call.
type Stub struct{}

var (
	_ digest.Summarizer = Stub{}
	_ digest.LeadWriter = Stub{}
)

// Version returns StubVersion.
func (Stub) Version() string { return StubVersion }

// Summarize returns the first sentence of req.Text (the title when the text
// has none) under the title as headline.
func (Stub) Summarize(ctx context.Context, req digest.SummaryRequest) (digest.Summary, error) {
	if err := ctx.Err(); err != nil {
		return digest.Summary{}, err
	}
	text := strings.TrimSpace(req.Title)
	if ss := nlp.Sentences(req.Text); len(ss) > 0 {
		text = ss[0]
	}
	return digest.Summary{
		ContentHash: hashOf(req),
		Version:     StubVersion,
		Backend:     "stub",
		Headline:    strings.TrimSpace(req.Title),
		Text:        text,
	}, nil
}

// WriteLead returns a deterministic opening naming up to three headlines
// (the summary headline, else the lead article's title), so tests can
// exercise the digest lead without an LLM.
func (Stub) WriteLead(ctx context.Context, stories []digest.Story) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var heads []string
	for _, s := range stories[:min(len(stories), 3)] {
		h := s.Summary.Headline
		if h == "" {
			h = s.Lead().Title
		}
		if h = strings.TrimSpace(h); h != "" {
			heads = append(heads, h)
		}
	}
	if len(heads) == 0 {
		return "", nil
	}
	return "Today: " + strings.Join(heads, "; ") + ".", nil
}
