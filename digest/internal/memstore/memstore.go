// Package memstore is an in-memory digest.EngineStore for the engine's unit
// tests: the ledger's lease and outcome rules, the article identities, the
// summary cache and the planning query with the semantics of store.DB, but
// no SQL, no files and no migrations, so a test of what the engine decides
// runs in microseconds and says nothing about a database.
//
// It is honest by test: digest/store's contract suite runs the cases whose
// calls it has on it as well as on SQLite and Postgres (TestDB_Contract,
// "memory"), so it cannot drift from the real stores. Tests of SQL
// behaviour (outages, the doctor's checks, several processes on one
// database) stay on storetest.
//
// It lives under digest/internal so that both the engine's external tests
// (package digest_test) and digest/store's contract suite can import it;
// package digest itself cannot (memstore imports digest).
package memstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// Store is the in-memory store. The zero value is not ready: use New.
type Store struct {
	// Now is the clock for the times the store fills in itself (a new
	// row's created time); time.Now when nil.
	Now func() time.Time

	mu         sync.Mutex
	articles   []digest.Article // ID i+1 at index i
	byURL      map[string]int64
	byGUID     map[[2]string]int64 // source, GUID
	byIdent    map[string]int64
	sources    map[string]digest.SourceState
	summaries  map[[2]string]digest.Summary // content hash, version
	subs       []digest.Subscriber          // in ID order; deleted ones are not kept
	nextSub    int64
	deliveries []digest.Delivery   // ID i+1 at index i
	ledgerKey  map[[2]string]int64 // email, edition key
	runs       []digest.RunRecord  // ID i+1 at index i
	editions   map[string]digest.ArchivedEdition
}

var _ digest.EngineStore = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		byURL: map[string]int64{}, byGUID: map[[2]string]int64{}, byIdent: map[string]int64{},
		sources: map[string]digest.SourceState{}, summaries: map[[2]string]digest.Summary{},
		ledgerKey: map[[2]string]int64{}, editions: map[string]digest.ArchivedEdition{},
	}
}

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// orNow returns t, or now when t is zero (a row's default time).
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t
}

// stamp is a time as the databases keep it: UTC, to the microsecond
// (Postgres's resolution).
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// list is a list as the databases give it back: through JSON (which
// replaces invalid UTF-8), an empty one as nil.
func list(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	var out []string
	b, _ := json.Marshal(v) // a []string always marshals
	_ = json.Unmarshal(b, &out)
	return out
}

// SaveArticles stores the articles not already known by canonical URL,
// GUID within their source, or identity key, and returns what became of
// each, in input order; repeats inside the batch count as known, the first
// one winning. New IDs go in the order store.DB gives them (by identity
// key, then URL), so that ties in ArticlesSince break alike.
func (s *Store) SaveArticles(_ context.Context, articles []digest.Article) ([]digest.Saved, error) {
	if len(articles) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]digest.Saved, len(articles))
	idents := make([]string, len(articles))
	for i, a := range articles {
		out[i].Article = a.ForStorage(now)
		idents[i] = digest.IdentityKey(out[i].Article)
	}
	// first[i] is the index of the earlier article of the batch that
	// article i repeats, or i.
	first := make([]int, len(articles))
	seen := map[string]int{}
	var firsts []int
	for i, a := range articles {
		a = out[i].Article
		keys := s.keys(a, idents[i])
		first[i] = i
		for _, k := range keys {
			if j, ok := seen[k.batch]; ok {
				first[i], out[i].Key = j, k.name
				break
			}
		}
		if first[i] != i {
			continue
		}
		for _, k := range keys {
			seen[k.batch] = i
		}
		firsts = append(firsts, i)
	}
	slices.SortStableFunc(firsts, func(x, y int) int {
		return cmp.Or(strings.Compare(idents[x], idents[y]), strings.Compare(out[x].Article.URL, out[y].Article.URL))
	})
	for _, i := range firsts {
		a := &out[i].Article
		// The stored article a key points at, URL first, as store.DB
		// reports it.
		for _, k := range s.keys(*a, idents[i]) {
			if id, ok := k.stored(); ok {
				out[i].DuplicateOf, out[i].Key = id, k.name
				break
			}
		}
		if out[i].DuplicateOf != 0 {
			continue
		}
		a.Published, a.FetchedAt = stamp(a.Published), stamp(a.FetchedAt)
		a.ID = int64(len(s.articles) + 1)
		out[i].New = true
		s.articles = append(s.articles, *a)
		if a.URL != "" {
			s.byURL[a.URL] = a.ID
		}
		if a.GUID != "" {
			s.byGUID[[2]string{a.SourceID, a.GUID}] = a.ID
		}
		if idents[i] != "" {
			s.byIdent[idents[i]] = a.ID
		}
	}
	for i := range out {
		if j := first[i]; j != i {
			out[i].DuplicateOf = cmp.Or(out[j].Article.ID, out[j].DuplicateOf)
		}
	}
	return out, nil
}

// StoredKeys returns the stored articles under the given URLs (of any
// source) and GUIDs of sourceID, as store.DB does.
func (s *Store) StoredKeys(_ context.Context, sourceID string, urls, guids []string) (digest.StoredKeys, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := digest.StoredKeys{ByURL: map[string]int64{}, ByGUID: map[string]int64{}}
	for _, u := range urls {
		if id, ok := s.byURL[u]; ok && u != "" {
			out.ByURL[u] = id
		}
	}
	for _, g := range guids {
		if id, ok := s.byGUID[[2]string{sourceID, g}]; ok && g != "" {
			out.ByGUID[g] = id
		}
	}
	return out, nil
}

// articleKey is one of the keys an article is known by.
type articleKey struct {
	name   string // digest.DuplicateURL, DuplicateGUID or DuplicateContent
	batch  string // the key inside one batch
	stored func() (int64, bool)
}

// keys returns an article's non-empty keys, URL first.
func (s *Store) keys(a digest.Article, ident string) []articleKey {
	var ks []articleKey
	if a.URL != "" {
		ks = append(ks, articleKey{digest.DuplicateURL, "u\x00" + a.URL, func() (int64, bool) { id, ok := s.byURL[a.URL]; return id, ok }})
	}
	if a.GUID != "" {
		g := [2]string{a.SourceID, a.GUID}
		ks = append(ks, articleKey{digest.DuplicateGUID, "g\x00" + g[0] + "\x00" + g[1], func() (int64, bool) { id, ok := s.byGUID[g]; return id, ok }})
	}
	if ident != "" {
		ks = append(ks, articleKey{digest.DuplicateContent, "i\x00" + ident, func() (int64, bool) { id, ok := s.byIdent[ident]; return id, ok }})
	}
	return ks
}

// ArticlesSince returns the articles published after since (all when since
// is zero), oldest first, ties by ID.
func (s *Store) ArticlesSince(_ context.Context, since time.Time) ([]digest.Article, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []digest.Article
	for _, a := range s.articles {
		if since.IsZero() || a.Published.After(since) {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b digest.Article) int {
		return cmp.Or(a.Published.Compare(b.Published), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// SourceState returns the state of a source; a zero state with SourceID
// set when the source is unknown.
func (s *Store) SourceState(_ context.Context, sourceID string) (digest.SourceState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.sources[sourceID]; ok {
		return st, nil
	}
	return digest.SourceState{SourceID: sourceID}, nil
}

// SaveSourceState replaces the state of st.SourceID.
func (s *Store) SaveSourceState(_ context.Context, st digest.SourceState) error {
	if st.SourceID == "" {
		return errors.New("save source state: empty source id")
	}
	st.ETag, st.LastModified, st.LastError = digest.StorableText(st.ETag), digest.StorableText(st.LastModified), digest.StorableText(st.LastError)
	st.LastSuccess, st.LastAttempt, st.FirstGathered = stamp(st.LastSuccess), stamp(st.LastAttempt), stamp(st.FirstGathered)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[st.SourceID] = st
	return nil
}

// Summary returns the cached summary, or digest.ErrNotFound.
func (s *Store) Summary(_ context.Context, contentHash, version string) (digest.Summary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum, ok := s.summaries[[2]string{contentHash, version}]
	if !ok {
		return digest.Summary{}, fmt.Errorf("read summary: %w", digest.ErrNotFound)
	}
	sum.KeyPoints, sum.Countries, sum.Topics = list(sum.KeyPoints), list(sum.Countries), list(sum.Topics)
	return sum, nil
}

// SaveSummary caches sum; the first one saved for (ContentHash, Version)
// is kept.
func (s *Store) SaveSummary(_ context.Context, sum digest.Summary) error {
	if sum.ContentHash == "" || sum.Version == "" {
		return errors.New("save summary: content hash and version are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{sum.ContentHash, sum.Version}
	if _, ok := s.summaries[k]; ok {
		return nil
	}
	sum.CreatedAt = stamp(s.orNow(sum.CreatedAt))
	sum.Headline, sum.Text, sum.FallbackReason = digest.StorableText(sum.Headline), digest.StorableText(sum.Text), digest.StorableText(sum.FallbackReason)
	sum.KeyPoints, sum.Countries, sum.Topics = list(sum.KeyPoints), list(sum.Countries), list(sum.Topics)
	s.summaries[k] = sum
	return nil
}
