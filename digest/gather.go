package digest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"runtime/trace"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Gather fetches every source with bounded concurrency, stores new articles
// and updates each source's state. A failing source is recorded in the
// report and in its state; the others go on. Gather returns an error only
// when the context ends.
func (e *Engine) Gather(ctx context.Context, sources []Source, rep *Report) error {
	err := e.gather(ctx, sources, e.Config.RecencyWindow, nil, rep)
	rep.spellDuplicates()
	return err
}

// gather is Gather with the first-gather recency window given; onNew (may
// be nil) is called once, when a source first yields new articles.
func (e *Engine) gather(ctx context.Context, sources []Source, window time.Duration, onNew func(), rep *Report) error {
	start := time.Now()
	defer func() { rep.Stages = append(rep.Stages, StageTiming{"gather", time.Since(start)}) }()
	defer trace.StartRegion(ctx, "gather").End()
	e.stage("gather", len(sources))
	rec := &recorder{rep: rep}
	failedHosts := map[string]bool{}
	states := e.sourceStates(ctx, sources)
	sources = byHost(sources)
	var newOnce sync.Once
	var g errgroup.Group
	limit := max(1, e.Config.GatherConcurrency)
	g.SetLimit(limit)
	after := newSettler(limit)
	for _, src := range sources {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			sr, lines := e.gatherOne(ctx, src, window, states, after.later)
			if sr.New > 0 && onNew != nil {
				newOnce.Do(onNew)
			}
			rec.do(func(rep *Report) {
				rep.Sources = append(rep.Sources, sr)
				rep.Articles = append(rep.Articles, lines...)
				rep.ArticlesFetched += sr.Articles
				rep.ArticlesNew += sr.New
				rep.FetchesSkipped += sr.FetchesSkipped
				for _, h := range sr.failedHosts {
					failedHosts[h] = true
				}
				if sr.Error != "" {
					rep.Errors = append(rep.Errors, fmt.Sprintf("source %s: %s", sr.ID, sr.Error))
				}
			})
			e.step("gather")
			return nil // a failing source is in the report
		})
	}
	_ = g.Wait()
	after.wait()
	if len(failedHosts) > 0 {
		rep.HostsFailed += len(failedHosts)
		rep.Notes = append(rep.Notes, hostsNote(failedHosts, rep.FetchesSkipped))
	}
	sort.Slice(rep.Sources, func(i, j int) bool { return rep.Sources[i].ID < rep.Sources[j].ID })
	// New articles are stored; the story stage, when the run has one,
	// tells what became of them.
	rep.finishAccount(nil, storedNoStories)
	return ctx.Err()
}

// GatherWorkers returns how many sources to gather at once when requests
// HTTP requests may run at once: one worker for each request, and more for
// the sources between requests. A worker parses its feed and stores its
// articles (on the processors and on the store's one connection) after
// its request has given back its slot, so with no more workers than
// request slots every worker that is parsing leaves a slot idle, and the
// network waits for the processors. Four more a processor (at most 32)
// keep the requests going: a first run of 200 feeds on 8 hosts (2
// requests a host, 50 ms latency) took a median 1.695 s with 16 workers,
// 1.590 s with 24, on two processors (`scripts/bench-first-run.sh 8 OLD
// NEW`, builds of ab370b4 and baebf79); at 800 feeds the peak RSS stayed
// 133.2 / 132.4 MB and the time within the noise of two rounds
// (`FEEDS=800 scripts/bench-first-run.sh 2 OLD NEW`: 9.16 / 9.67 s).
func GatherWorkers(requests int) int {
	return max(1, requests) + min(4*runtime.GOMAXPROCS(0), 32)
}

// settler runs the writes that end each source's gather (see gatherOne)
// on goroutines of their own, so that a gather worker goes on to its next
// source instead of queueing for the store a second and third time: on
// SQLite's one connection a first run's workers spent a third of their
// time waiting for those writes, with the processors half idle. At most
// limit such writes wait at once (each holds its articles' texts), and a
// worker that would add one more waits for a slot.
type settler struct {
	wg    sync.WaitGroup
	slots chan struct{}
}

// newSettler returns a settler with limit slots.
func newSettler(limit int) *settler {
	return &settler{slots: make(chan struct{}, limit)}
}

// later runs fn on a goroutine of its own once a slot is free.
func (s *settler) later(fn func()) {
	s.slots <- struct{}{}
	s.wg.Go(func() {
		defer func() { <-s.slots }()
		fn()
	})
}

// wait returns when every fn given to later has returned.
func (s *settler) wait() { s.wg.Wait() }

// byHost returns sources in the order the gather takes them: one of each
// host in turn (hosts in the order they first appear, each host's sources
// in their order). The fetcher lets only a few requests at a time reach
// one host, so a list that names one site's feeds one after the other
// would have every gather worker queue on that host while the others sat
// idle (a farm's second run of 200 feeds on 8 hosts took 2.83 s listed by
// host, 0.68 s interleaved: BY_HOST=1 scripts/bench-rss2email.sh). A source whose ID is not an http(s) URL (a
// file or directory) makes no request and is a host of its own.
func byHost(sources []Source) []Source {
	var hosts []string
	groups := map[string][]Source{}
	for _, src := range sources {
		h := src.ID()
		if u, err := url.Parse(h); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			h = "host " + strings.ToLower(u.Hostname()) // as the fetcher's per-host limit counts
		}
		if _, seen := groups[h]; !seen {
			hosts = append(hosts, h)
		}
		groups[h] = append(groups[h], src)
	}
	if len(hosts) == len(sources) {
		return sources // a host each: nothing to interleave
	}
	out := make([]Source, 0, len(sources))
	for round := 0; len(out) < len(sources); round++ {
		for _, h := range hosts {
			if g := groups[h]; round < len(g) {
				out = append(out, g[round])
			}
		}
	}
	return out
}

// sourceStateLister is the store's listing of every source's state, when
// it has one (store.DB does).
type sourceStateLister interface {
	// SourceStates returns the state of every known source.
	SourceStates(ctx context.Context) ([]SourceState, error)
}

// sourceStates reads the state of every known source in one query, when
// the run has more than one source and the store can list them: a map
// in which a missing source is a new one. On SQLite the store has a single
// connection, so 200 reads of one state each would queue behind the
// gather's writes (and the first commit's sync of a new WAL) while their
// sources' requests wait to be sent. nil means each source reads its own.
func (e *Engine) sourceStates(ctx context.Context, sources []Source) map[string]SourceState {
	l, ok := e.Store.(sourceStateLister)
	if !ok || len(sources) < 2 {
		return nil
	}
	all, err := l.SourceStates(ctx)
	if err != nil {
		e.log().Warn("list source states; each source reads its own", "error", err)
		return nil
	}
	states := make(map[string]SourceState, len(all))
	for _, st := range all {
		states[st.SourceID] = st
	}
	return states
}

// gatherOne fetches one source and stores its new articles. It returns the
// source's report and an account line for each article the source
// yielded: final for those not stored (duplicates, outside the recency
// window, refused by the store), open (no Fate) for the new ones, whose
// story the run decides later. states holds the sources' states read
// beforehand (sourceStates); when nil, the source's state is read here.
// The writes that end a successful gather and that nothing in it waits
// for (the new articles' clustering features, the source's state) are
// handed to later, which runs them after the articles are stored.
func (e *Engine) gatherOne(ctx context.Context, src Source, window time.Duration, states map[string]SourceState, later func(func())) (sr SourceReport, lines []ArticleFate) {
	sr = SourceReport{ID: src.ID(), Name: src.Name()}
	t0 := time.Now()
	// sr is the named result, so the deferred assignment reaches the caller.
	defer func() { sr.Duration = time.Since(t0) }()
	log := e.log().With("source", src.ID())

	prev := states[src.ID()]
	if states == nil {
		var err error
		if prev, err = e.Store.SourceState(ctx, src.ID()); err != nil {
			sr.Error = fmt.Sprintf("read source state: %v", err)
			return sr, nil
		}
	}
	prev.SourceID = src.ID()
	now := e.now()
	res, err := e.fetch(ctx, src, prev)
	sr.Bytes = res.Bytes
	sr.failedHosts, sr.HostsFailed, sr.FetchesSkipped = res.HostsFailed, len(res.HostsFailed), res.Skipped
	if err != nil {
		// A failed fetch changes only the health fields: validators and
		// FirstGathered stay, so nothing is re-sent or re-flooded later.
		st := prev
		st.LastAttempt = now
		st.LastError = err.Error()
		st.ConsecutiveFailures++
		sr.Error = err.Error()
		sr.Failures = st.ConsecutiveFailures
		if serr := e.Store.SaveSourceState(ctx, st); serr != nil {
			log.Error("save source state", "error", serr)
		}
		lvl := slog.LevelInfo
		if st.ConsecutiveFailures >= max(1, e.Config.FailingSourceWarn) {
			lvl = slog.LevelWarn
		}
		log.Log(ctx, lvl, "source failed", "error", err, "consecutive_failures", st.ConsecutiveFailures)
		return sr, nil
	}
	for _, w := range res.Warnings {
		log.Info("source warning", "warning", w)
	}
	sr.NotModified = res.NotModified
	articles := res.Articles
	sr.Articles = len(articles)
	// known[i] marks articles[i] as a stored one's duplicate that the
	// source did not read in full (nil when none is).
	known := knownAt(res.Known, len(articles))
	if window > 0 {
		// Only recent items are kept: on a new source's first gather so that
		// its backlog does not flood the next digest, and on every later one
		// so that an old item the first gather left out is not stored (and
		// reported new) by the second.
		cut := now.Add(-window)
		kept, keptKnown := articles[:0], known[:0]
		for i, a := range articles {
			if a.Published.IsZero() || a.Published.After(cut) {
				kept = append(kept, a)
				if known != nil {
					keptKnown = append(keptKnown, known[i])
				}
				continue
			}
			a.SourceName = cmp.Or(a.SourceName, src.Name(), src.ID())
			lines = append(lines, fateOf(a, FateOutsideWindow,
				fmt.Sprintf("published before the recency window (%s)", window)))
		}
		sr.Old = len(articles) - len(kept)
		articles, known = kept, keptKnown
	}
	for i := range articles {
		a := &articles[i]
		if a.SourceID == "" {
			a.SourceID = src.ID()
		}
		if a.SourceName == "" {
			a.SourceName = src.Name()
		}
		if a.FetchedAt.IsZero() {
			a.FetchedAt = now
		}
		if a.Published.IsZero() {
			a.Published = now
		}
		if a.ContentHash == "" && (known == nil || known[i].Of == 0) {
			a.ContentHash = ContentHash(a.Text)
		}
	}
	toSave := articles
	if known != nil {
		toSave = make([]Article, 0, len(articles))
		for i, a := range articles {
			if known[i].Of == 0 {
				toSave = append(toSave, a)
			}
		}
	}
	saved, err := e.Store.SaveArticles(ctx, toSave)
	if err != nil {
		sr.Error = fmt.Sprintf("save articles: %v", err)
		for _, a := range articles {
			lines = append(lines, fateOf(a, FateNotStored, sr.Error))
		}
		return sr, lines
	}
	stored := saved
	// The lines in the articles' order, as when every one was saved.
	for i, a := range articles {
		var s Saved
		if known != nil && known[i].Of != 0 {
			s = Saved{Article: a.ForStorage(now), DuplicateOf: known[i].Of, Key: known[i].Key}
			sr.Known++
		} else {
			s, saved = saved[0], saved[1:]
		}
		if s.New {
			sr.New++
			lines = append(lines, fateOf(s.Article, "", "")) // settled by the story stage
			continue
		}
		// The detail is spelt out when the report is handed back
		// (spellDuplicates): a re-gather's lines are mostly duplicates
		// (tens of thousands at 800 feeds), held while the window is
		// clustered, and Of and Key say it all meanwhile.
		l := fateOf(s.Article, FateDuplicate, "")
		l.Of, l.Key = s.DuplicateOf, s.Key
		lines = append(lines, l)
	}
	st := res.State
	st.SourceID = src.ID()
	if st.ETag == "" && st.LastModified == "" && res.NotModified {
		st.ETag, st.LastModified = prev.ETag, prev.LastModified
	}
	st.FirstGathered = prev.FirstGathered
	if st.FirstGathered.IsZero() {
		st.FirstGathered = now
	}
	st.LastAttempt, st.LastSuccess = now, now
	st.LastError, st.ConsecutiveFailures = "", 0
	// The state (the feed's validators above all) is saved only once its
	// articles are: a run that stopped in between fetches them again.
	later(func() {
		e.keepFeatures(ctx, stored, log)
		if err := e.Store.SaveSourceState(ctx, st); err != nil {
			log.Error("save source state", "error", err)
		}
	})
	log.Debug("source gathered", "articles", sr.Articles, "new", sr.New, "not_modified", sr.NotModified)
	return sr, lines
}

// keyFetcher is a source that can leave out the costly reading of the
// items the store holds already (feed.Feed): it asks lookup about its
// items' URLs and GUIDs before it reads their texts, and marks those
// found in FetchResult.Known.
type keyFetcher interface {
	FetchKnown(ctx context.Context, prev SourceState, lookup KeyLookup) (FetchResult, error)
}

// keyFinder is the store's lookup of stored articles by URL and GUID
// (store.DB has it). Its error leaves the source to read every item.
type keyFinder interface {
	StoredKeys(ctx context.Context, sourceID string, urls, guids []string) (StoredKeys, error)
}

// fetch fetches src, with a lookup of its stored items when the source
// and the store both have their part of it and the source has been
// gathered before (a first gather's items are all new, or rarely another
// source's). A scoped run's sources (scopedSource) have no part: the
// scope records the content hash of every article its sources yield.
func (e *Engine) fetch(ctx context.Context, src Source, prev SourceState) (FetchResult, error) {
	kf, okSource := src.(keyFetcher)
	finder, okStore := e.Store.(keyFinder)
	if !okSource || !okStore || prev.FirstGathered.IsZero() {
		return src.Fetch(ctx, prev)
	}
	id := src.ID()
	return kf.FetchKnown(ctx, prev, func(ctx context.Context, urls, guids []string) (StoredKeys, error) {
		return finder.StoredKeys(ctx, id, urls, guids)
	})
}

// knownAt returns marks by article index: known[i].Of is 0 unless
// article i is a stored one's duplicate. nil when none is.
func knownAt(marks []KnownArticle, n int) []KnownArticle {
	if len(marks) == 0 {
		return nil
	}
	known := make([]KnownArticle, n)
	for _, m := range marks {
		if m.Index >= 0 && m.Index < n && m.Of != 0 {
			known[m.Index] = m
		}
	}
	return known
}

// duplicateDetail is the detail of a duplicate's line in the account: the
// stored article it repeats and the identity they share.
func duplicateDetail(of int64, key string) string {
	return fmt.Sprintf("the same article as stored article %d (same %s)", of, duplicateKeyName(key))
}

// duplicateKeyName says which identity two articles share, for people.
func duplicateKeyName(key string) string {
	switch key {
	case DuplicateURL:
		return "canonical URL"
	case DuplicateGUID:
		return "GUID in the same feed"
	case DuplicateContent:
		return "title and text"
	}
	return "identity"
}

// Stories clusters the articles published after since into stories, drops
// those the ranker finds irrelevant and summarises the rest (from the cache

// hostsNote says which hosts failed in a gather and what that spared.
func hostsNote(hosts map[string]bool, skipped int) string {
	names := make([]string, 0, len(hosts))
	for h := range hosts {
		names = append(names, h)
	}
	sort.Strings(names)
	const shown = 5
	list := strings.Join(names[:min(shown, len(names))], ", ")
	if len(names) > shown {
		list += fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return fmt.Sprintf("%d %s failed to resolve, connect or agree on TLS (%s); %d later %s to them not sent in this run",
		len(names), pluralWord(len(names), "host", "hosts"), list, skipped, pluralWord(skipped, "request", "requests"))
}
