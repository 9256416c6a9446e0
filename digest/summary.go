package digest

import (
	"context"
	"errors"
	"fmt"
)

// SummaryRequestFor is what a story's summary is made from: its lead
// article, and the outlets that reported it.
func SummaryRequestFor(st Story) SummaryRequest {
	lead := st.Lead()
	req := SummaryRequest{Title: lead.Title, Text: lead.Text, URL: lead.URL, ContentHash: lead.ContentHash, Language: lead.Language}
	if req.ContentHash == "" {
		req.ContentHash = ContentHash(req.Text)
	}
	for _, a := range st.Articles {
		req.Sources = append(req.Sources, a.SourceName)
	}
	return req
}

// summaryFor returns the summary of the story's lead text (see Summary).
func (e *Engine) summaryFor(ctx context.Context, sum Summarizer, version string, st Story) (Summary, bool, error) {
	return e.summary(ctx, sum, version, SummaryRequestFor(st))
}

// SummariesToMake returns the requests for the summaries the edition's
// stories (RankedStories) still lack in the cache, and the summariser
// version they are to be made for. Scheduled gathers queue them so that
// the summaries are ready before send time; rep gets what RankedStories
// reports. A story already summarised is not counted as a cache hit: no
// summary is served here.
//
// Unlike Run (runStories) it asks for every kept story, not only those an
// edition can hold: serve's deliver jobs compose from EditionStories,
// which summarises every kept story of the window, so a story left out
// here would be summarised at send time, inside a deliver job, instead.
func (e *Engine) SummariesToMake(ctx context.Context, rep *Report) (string, []SummaryRequest, error) {
	stories, err := e.RankedStories(ctx, rep)
	if err != nil {
		return "", nil, err
	}
	// The version names backend, model and prompt; a run scope is not
	// needed to read it.
	version := e.Summarizer.Version()
	var missing []Story
	for _, st := range stories {
		req := SummaryRequestFor(st)
		if _, err := e.Store.Summary(ctx, req.ContentHash, version); err == nil {
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return "", nil, fmt.Errorf("read summary cache: %w", err)
		}
		missing = append(missing, st)
	}
	// The requests carry their texts: only the missing summaries' are read.
	reqs := make([]SummaryRequest, 0, len(missing))
	err = e.withLeadTexts(ctx, missing, func(batch []Story) error {
		for _, st := range batch {
			reqs = append(reqs, SummaryRequestFor(st))
		}
		return nil
	}, nil)
	if err != nil {
		return "", nil, err
	}
	return version, reqs, nil
}

// Summary returns the cached summary of req for sum's version, or makes and
// caches one; cached reports a cache hit. A fallback the LLM could not be
// asked for (RetryLater) is cached under its own (extractive) version, so a
// later run asks again; any other summary is cached under sum's version.
// Scheduled summarise jobs and Stories share it, so both cache alike.
func (e *Engine) Summary(ctx context.Context, sum Summarizer, req SummaryRequest) (Summary, bool, error) {
	return e.summary(ctx, sum, sum.Version(), req)
}

func (e *Engine) summary(ctx context.Context, sum Summarizer, version string, req SummaryRequest) (Summary, bool, error) {
	if req.ContentHash == "" {
		req.ContentHash = ContentHash(req.Text)
	}
	r, first, err := e.summaries.do(ctx, req.ContentHash+"\x00"+version, func(ctx context.Context) (summaryResult, error) {
		s, cached, err := e.makeSummary(ctx, sum, version, req)
		return summaryResult{s, cached}, err
	})
	if err != nil {
		return Summary{}, false, err
	}
	// Of the callers that shared one call, only the first to receive a new
	// summary reports it as new; the others report a cache hit, so each new
	// summary is counted once.
	return r.s, r.cached || !first, nil
}

// makeSummary reads the cache, or summarises and caches.
func (e *Engine) makeSummary(ctx context.Context, sum Summarizer, version string, req SummaryRequest) (Summary, bool, error) {
	hash := req.ContentHash
	if s, err := e.Store.Summary(ctx, hash, version); err == nil {
		return s, true, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Summary{}, false, fmt.Errorf("read summary cache: %w", err)
	}
	s, err := sum.Summarize(ctx, req)
	if err != nil {
		return Summary{}, false, fmt.Errorf("summarise %q: %w", req.Title, err)
	}
	s.ContentHash = hash
	if s.Version == "" || (s.Fallback && !s.RetryLater) {
		s.Version = version
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = e.now()
	}
	if err := e.Store.SaveSummary(ctx, s); err != nil {
		return Summary{}, false, fmt.Errorf("save summary: %w", err)
	}
	return s, false, nil
}

// summaryResult is what one shared summary call returns.
type summaryResult struct {
	s      Summary
	cached bool
}
