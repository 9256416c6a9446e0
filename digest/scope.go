package digest

import (
	"context"
	"fmt"
	"sync"
)

// Scope limits a run to some sources: its stories are made only of the
// articles those sources yielded in the run, or that the store keeps from
// them. Without a scope, a run draws on every stored article in its window,
// whichever run gathered it.
//
// The articles a source yields are matched by URL and content hash as well
// as by source, because the store keeps an article once: a file read before
// as part of its directory is stored under the directory, and still belongs
// to a run that names the file alone.
type Scope struct {
	ids map[string]bool

	mu     sync.Mutex
	urls   map[string]bool
	hashes map[string]bool
}

// NewScope returns a scope over sources and the sources to gather in its
// place, which record what they yield.
func NewScope(sources []Source) (*Scope, []Source) {
	s := &Scope{ids: make(map[string]bool, len(sources)), urls: map[string]bool{}, hashes: map[string]bool{}}
	wrapped := make([]Source, len(sources))
	for i, src := range sources {
		s.ids[src.ID()] = true
		wrapped[i] = scopedSource{Source: src, scope: s}
	}
	return s, wrapped
}

// Contains reports whether a belongs to the scope; a nil scope contains
// everything.
func (s *Scope) Contains(a Article) bool {
	if s == nil || s.ids[a.SourceID] {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return (a.URL != "" && s.urls[a.URL]) || (a.ContentHash != "" && s.hashes[a.ContentHash])
}

func (s *Scope) record(articles []Article) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range articles {
		if a.URL != "" {
			s.urls[a.URL] = true
		}
		h := a.ContentHash
		if h == "" {
			h = ContentHash(a.Text)
		}
		s.hashes[h] = true
	}
}

// scopedSource records the articles its source yields.
type scopedSource struct {
	Source
	scope *Scope
}

func (s scopedSource) Fetch(ctx context.Context, prev SourceState) (FetchResult, error) {
	res, err := s.Source.Fetch(ctx, prev)
	s.scope.record(res.Articles)
	return res, err
}

// filter returns the articles in scope and those left out, and notes in
// rep how many it left out.
func (s *Scope) filter(articles []Article, rep *Report) (kept, out []Article) {
	kept = articles[:0:0]
	for _, a := range articles {
		if s.Contains(a) {
			kept = append(kept, a)
		} else {
			out = append(out, a)
		}
	}
	if n := len(out); n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("only the given sources: %d stored %s from other sources left out of this edition",
			n, pluralWord(n, "article", "articles")))
	}
	return kept, out
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
