package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/feed"
)

// sourceEntry is one SRC to open, with its settings.
type sourceEntry struct {
	src      string
	settings digest.SourceSettings
	config   bool // listed in the config file (or DIGEST_SOURCES)
	stored   bool // added with `digest sources add`
}

// sourceEntries returns the configured sources followed by those added
// with `digest sources add`, without repeats, each with its settings: the
// config file's where it sets them, else the store's.
func (a *app) sourceEntries(ctx context.Context) ([]sourceEntry, error) {
	reg, err := a.db.RegisteredSourceList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	var out []sourceEntry
	index := map[string]int{}
	add := func(e sourceEntry) {
		k := sourceKey(e.src)
		if i, ok := index[k]; ok {
			old := &out[i]
			old.settings = old.settings.Merge(e.settings)
			old.config, old.stored = old.config || e.config, old.stored || e.stored
			return
		}
		index[k] = len(out)
		out = append(out, e)
	}
	for _, s := range a.cfg.Sources {
		add(sourceEntry{src: s.URL, settings: s.Settings, config: true})
	}
	for _, r := range reg {
		add(sourceEntry{src: r.Source, settings: r.Settings, stored: true})
	}
	return out, nil
}

// entriesFor returns the entries of sources named on the command line,
// with the settings the config or the store has for them.
func (a *app) entriesFor(ctx context.Context, srcs []string) ([]sourceEntry, error) {
	known, err := a.sourceEntries(ctx)
	if err != nil {
		return nil, err
	}
	byKey := map[string]sourceEntry{}
	for _, e := range known {
		byKey[sourceKey(e.src)] = e
	}
	out := make([]sourceEntry, 0, len(srcs))
	for _, s := range srcs {
		e, ok := byKey[sourceKey(s)]
		if !ok {
			e = sourceEntry{}
		}
		e.src = s
		out = append(out, e)
	}
	return out, nil
}

// entriesOrAll returns the entries of the sources named on the command
// line, or every known source when none is.
func (a *app) entriesOrAll(ctx context.Context, named []string) ([]sourceEntry, error) {
	if len(named) > 0 {
		return a.entriesFor(ctx, named)
	}
	return a.sourceEntries(ctx)
}

// sourceKey is what makes two spellings of one source the same: URLs with
// the scheme and host lower-cased, default ports and fragments dropped;
// paths absolute and clean.
func sourceKey(src string) string {
	src = strings.TrimSpace(src)
	if u, err := url.Parse(src); err == nil && (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) {
		u.Scheme = strings.ToLower(u.Scheme)
		u.Host = strings.ToLower(u.Host)
		if (u.Scheme == "http" && u.Port() == "80") || (u.Scheme == "https" && u.Port() == "443") {
			u.Host = u.Hostname()
		}
		u.Fragment, u.RawFragment = "", ""
		if u.Path == "" {
			u.Path = "/"
		}
		return u.String()
	}
	if abs, err := filepath.Abs(src); err == nil {
		return abs
	}
	return filepath.Clean(src)
}

// openSources expands each entry into sources. An entry that cannot be
// opened is reported and skipped; the run goes on with the rest. A feed
// reached twice (given directly and listed in an OPML file, or in two
// lists) is fetched once, with the settings of its direct entry when it
// has one. Each list is recorded as read, and each feed's list as its
// parent, before it returns.
func (a *app) openSources(ctx context.Context, entries []sourceEntry, rep *digest.Report) []digest.Source {
	out, record := a.openSourcesLater(ctx, entries, rep)
	record(ctx)
	return out
}

// openSourcesLater is openSources with the recording of lists and parents
// left to the function it returns, which `digest now` runs beside its
// gather (digest.RunOptions.Beside): the gather reads neither, and the
// store is idle while the first requests are on the wire.
func (a *app) openSourcesLater(ctx context.Context, entries []sourceEntry, rep *digest.Report) ([]digest.Source, func(context.Context)) {
	fo := a.feedOptions()
	var lists []string
	var out []digest.Source
	index := map[string]int{} // source key → position in out
	direct := map[string]bool{}
	parents := map[string]string{}
	dups := 0
	for _, e := range entries {
		got, err := feed.Open(ctx, e.src, fo.WithSettings(e.settings))
		if err != nil {
			a.recordOpenFailure(ctx, e.src, err)
			msg := fmt.Sprintf("source %s: %v", e.src, err)
			rep.Errors = append(rep.Errors, msg)
			rep.Sources = append(rep.Sources, digest.SourceReport{ID: e.src, Name: e.src, Error: err.Error()})
			a.log.Warn("cannot open source", "source", e.src, "error", err)
			continue
		}
		list := listID(e.src, got)
		if list != "" {
			lists = append(lists, list)
		}
		for _, s := range got {
			k := sourceKey(s.ID())
			i, seen := index[k]
			switch {
			case seen && list != "":
				dups++
			case seen:
				dups++
				if !direct[k] {
					out[i] = s // the direct entry's settings win
					direct[k] = true
					delete(parents, s.ID())
				}
			default:
				index[k] = len(out)
				out = append(out, s)
				if list != "" {
					parents[s.ID()] = list
				} else {
					direct[k] = true
				}
			}
		}
	}
	if dups > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d %s reached twice (directly and through a list, or through two lists): fetched once",
			dups, map[bool]string{true: "feed", false: "feeds"}[dups == 1]))
	}
	return out, func(ctx context.Context) {
		for _, id := range lists {
			a.recordListRead(ctx, id)
		}
		if err := a.db.SaveSourceParents(ctx, parents); err != nil {
			a.log.Error("save source parents", "error", err)
		}
	}
}

// recordOpenFailure counts a source that could not even be opened (a
// missing file, an unreadable OPML list) in its health, like a failed fetch.
func (a *app) recordOpenFailure(ctx context.Context, src string, openErr error) {
	id, err := normaliseSource(src)
	if err != nil {
		id = src
	}
	st, err := a.db.SourceState(ctx, id)
	if err != nil {
		return
	}
	st.SourceID = id
	st.LastAttempt = a.engine.Now()
	st.LastError = openErr.Error()
	st.ConsecutiveFailures++
	if err := a.db.SaveSourceState(ctx, st); err != nil {
		a.log.Error("save source state", "source", id, "error", err)
	}
}

// listID returns the ID of src when it is a subscription list (an OPML
// file or URL, which expands to feeds with their own IDs and health), or ""
// when src is itself a feed, file or directory.
func listID(src string, got []digest.Source) string {
	id, err := normaliseSource(src)
	if err != nil {
		return ""
	}
	for _, g := range got {
		if sourceKey(g.ID()) == sourceKey(id) {
			return "" // the source is itself a feed, file or directory
		}
	}
	return id
}

// recordListRead marks the subscription list id as read now, so that its
// own row in `digest sources list` tells when it was last read instead of
// "never".
func (a *app) recordListRead(ctx context.Context, id string) {
	st, err := a.db.SourceState(ctx, id)
	if err != nil {
		return
	}
	now := a.engine.Now()
	st.SourceID, st.LastAttempt, st.LastSuccess, st.LastError, st.ConsecutiveFailures = id, now, now, "", 0
	if err := a.db.SaveSourceState(ctx, st); err != nil {
		a.log.Error("save source state", "source", id, "error", err)
	}
}

// sourceWeights answers the ranker's per-source weight lookups from the
// sources' settings (config and store) and the lists feeds were reached
// through, re-read at most once a minute so that every replica of `digest
// serve` sees a change made with `digest sources set`.
type sourceWeights struct {
	a   *app
	ttl time.Duration

	mu     sync.Mutex
	loaded time.Time
	byKey  map[string]float64
	parent map[string]string
}

func newSourceWeights(a *app) *sourceWeights { return &sourceWeights{a: a, ttl: time.Minute} }

// weight returns the weight of a source, or its list's.
func (w *sourceWeights) weight(sourceID string) (float64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now := time.Now(); w.byKey == nil || now.Sub(w.loaded) > w.ttl {
		if err := w.load(); err != nil {
			w.a.log.Warn("read source weights", "error", err)
		}
		w.loaded = now
	}
	if x, ok := w.byKey[sourceKey(sourceID)]; ok {
		return x, true
	}
	if p, ok := w.parent[sourceID]; ok {
		x, ok := w.byKey[sourceKey(p)]
		return x, ok
	}
	return 0, false
}

func (w *sourceWeights) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	entries, err := w.a.sourceEntries(ctx)
	if err != nil {
		return err
	}
	parents, err := w.a.db.SourceParents(ctx)
	if err != nil {
		return err
	}
	byKey := map[string]float64{}
	for _, e := range entries {
		if e.settings.Weight > 0 {
			byKey[sourceKey(e.src)] = e.settings.Weight
		}
	}
	w.byKey, w.parent = byKey, parents
	return nil
}

// errConfigSource is returned when a source set in the config file is
// changed from the command line.
var errConfigSource = errors.New("the source is in the config file: change its settings there")
