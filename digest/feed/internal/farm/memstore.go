package farm

import (
	"context"
	"sync"

	"github.com/tradedigest/tradedigest/digest"
)

// MemStore keeps source state and articles in memory: the part of
// digest.Store that (*digest.Engine).Gather uses, so a benchmark measures
// fetching and parsing rather than a database. Any other Store method
// panics (the embedded interface is nil).
type MemStore struct {
	digest.Store

	mu       sync.Mutex
	states   map[string]digest.SourceState
	articles int
	seen     map[string]int64 // key → article ID
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{states: map[string]digest.SourceState{}, seen: map[string]int64{}}
}

// SourceState returns the saved state, or a zero one.
func (m *MemStore) SourceState(_ context.Context, id string) (digest.SourceState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.states[id]
	st.SourceID = id
	return st, nil
}

// SaveSourceState stores st.
func (m *MemStore) SaveSourceState(_ context.Context, st digest.SourceState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[st.SourceID] = st
	return nil
}

// SaveArticles keeps articles not seen before by URL or content hash.
func (m *MemStore) SaveArticles(_ context.Context, as []digest.Article) ([]digest.Saved, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]digest.Saved, len(as))
	for i, a := range as {
		key := a.URL
		if key == "" {
			key = a.ContentHash
		}
		out[i].Article = a
		if id, ok := m.seen[key]; ok {
			out[i].DuplicateOf, out[i].Key = id, digest.DuplicateURL
			if a.URL == "" {
				out[i].Key = digest.DuplicateContent
			}
			continue
		}
		m.articles++
		m.seen[key] = int64(m.articles)
		out[i].Article.ID = int64(m.articles)
		out[i].New = true
	}
	return out, nil
}

// Articles returns how many articles are stored.
func (m *MemStore) Articles() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.articles
}
