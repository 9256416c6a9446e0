package digest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"runtime/trace"
	"slices"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/internal/parallel"
)

// ErrKeptChanged is returned by KeepingClusterer.ClusterKept when an
// article's kept features are gone or differ when they are read again
// (KeptReader): the window must be read afresh.
var ErrKeptChanged = errors.New("kept features changed while the window was clustered")

// window returns the stories of the articles published after since (in
// scope when scope is set; the others are returned apart), clustered but
// not ranked. With a FeatureStore and a KeepingClusterer it reads no text
// but those of the articles whose features were not kept when they were
// gathered (keepFeatures), clusters the new articles against the stories
// of the last run, and returns the stories without texts: ranking and
// summarising read their leads' texts a batch at a time (withLeadTexts).
// keep saves the stories it makes as the ones the next run starts from (a
// run over the whole edition window, not a scoped or weekly one, whose
// stories would not be the window's): the features it read afresh and
// those stories are saved by the afterReads it returns (nil when there is
// nothing left to save: a window of more than saveBeside entries is saved
// before it returns), which the caller starts when its own reads are done
// (see clustered).
//
// The clusterer reads the kept features twice, a batch at a time
// (KeptReader), rather than hold a window's worth; when they change after
// the window was listed or in between (another process keeping other
// features), the window is read again and its features held. The
// stories' articles come without their details (ArticleDetail) but for
// their leads'.
func (e *Engine) window(ctx context.Context, since time.Time, scope *Scope, rep *Report, keep bool) ([]Story, []Article, *afterReads, error) {
	notes := len(rep.Notes)
	stories, outOfScope, save, err := e.readWindow(ctx, since, scope, rep, keep, true)
	if errors.Is(err, ErrKeptChanged) {
		e.log().Warn("cluster the window again, holding its features", "error", err)
		rep.Notes = rep.Notes[:notes] // the scope's note comes again
		stories, outOfScope, save, err = e.readWindow(ctx, since, scope, rep, keep, false)
	}
	return stories, outOfScope, save, err
}

// readWindow is window, the features read twice when reread.
func (e *Engine) readWindow(ctx context.Context, since time.Time, scope *Scope, rep *Report, keep, reread bool) ([]Story, []Article, *afterReads, error) {
	fs, okStore := e.Store.(FeatureStore)
	kc, okCluster := e.Clusterer.(KeepingClusterer)
	if !okStore || !okCluster {
		articles, err := e.Store.ArticlesSince(ctx, since)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("load articles: %w", err)
		}
		var outOfScope []Article
		if scope != nil {
			articles, outOfScope = scope.filter(articles, rep)
		}
		undo := rep.settleLater(articles)
		stories, err := e.Clusterer.Cluster(ctx, articles)
		if err != nil {
			undo()
			return nil, nil, nil, fmt.Errorf("cluster articles: %w", err)
		}
		return stories, outOfScope, nil, nil
	}
	r := trace.StartRegion(ctx, "cluster: window")
	rows, err := fs.KeptArticlesSince(ctx, since)
	r.End()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load articles: %w", err)
	}
	articles := make([]Article, len(rows))
	features := make([][]byte, len(rows))
	prior := make([]int64, len(rows))
	for i, r := range rows {
		articles[i], features[i], prior[i] = r.Article, r.Head, r.Story
	}
	var outOfScope []Article
	if scope != nil {
		// A scope tells articles apart by their content hashes too.
		if err := e.readDetails(ctx, fs, each(articles, nil)); err != nil {
			return nil, nil, nil, err
		}
		var in []Article
		in, outOfScope = scope.filter(articles, rep)
		ids := make(map[int64]bool, len(in))
		for _, a := range in {
			ids[a.ID] = true
		}
		n := 0
		for i := range articles {
			if ids[articles[i].ID] {
				articles[n], features[n], prior[n] = articles[i], features[i], prior[i]
				n++
			}
		}
		articles, features, prior = articles[:n], features[:n], prior[:n]
	}
	var again KeptReader
	if reread {
		again = fs.KeptFeatures
	} else {
		// The features held, read at once.
		var ids []int64
		for i := range articles {
			if features[i] != nil {
				ids = append(ids, articles[i].ID)
			}
		}
		all, err := fs.KeptFeatures(ctx, ids)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("load articles: %w", err)
		}
		for i := range articles {
			features[i] = all[articles[i].ID]
		}
	}
	if again != nil {
		if err := e.refreshKept(ctx, fs, kc, articles, features, prior); err != nil {
			// The clusterer reads the ones left stale from their texts.
			e.log().Warn("keep clustering features afresh", "error", err)
		}
	}
	var unread []int64
	isUnread := map[int64]bool{}
	for i := range articles {
		if !kc.KeptCurrent(features[i]) {
			unread, isUnread[articles[i].ID] = append(unread, articles[i].ID), true
		}
	}
	// The features of those are read from their texts (and their identity
	// from their GUIDs too).
	texts, err := fs.ArticleTexts(ctx, unread)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load articles: %w", err)
	}
	for i := range articles {
		if text, ok := texts[articles[i].ID]; ok {
			articles[i].Text = text
		}
	}
	if len(unread) > 0 && scope == nil {
		if err := e.readDetails(ctx, fs, each(articles, func(a *Article) bool { return isUnread[a.ID] })); err != nil {
			return nil, nil, nil, err
		}
	}
	undo := rep.settleLater(articles)
	stories, fresh, err := kc.ClusterKept(ctx, articles, features, prior, again)
	if err != nil {
		undo()
		return nil, nil, nil, fmt.Errorf("cluster articles: %w", err)
	}
	r = trace.StartRegion(ctx, "cluster: leads")
	err = e.leadDetails(ctx, fs, stories)
	r.End()
	if err != nil {
		undo()
		return nil, nil, nil, err
	}
	var save []KeptArticle
	for i, f := range fresh {
		if f != nil {
			save = append(save, KeptArticle{Article: Article{ID: articles[i].ID}, Features: f, Story: prior[i]})
		}
	}
	if keep {
		save = storyChanges(stories, articles, prior, save)
	}
	kept := e.keepAfterReads(ctx, fs, save)
	if len(save) > saveBeside {
		// Saved now, and let go of: see saveBeside.
		kept.wait()
		kept = nil
	}
	if len(texts) > 0 {
		for _, st := range stories {
			for k := range st.Articles {
				st.Articles[k].Text = "" // read again where needed (withLeadTexts)
			}
		}
	}
	return stories, outOfScope, kept, nil
}

// afterReads is a write of the cluster stage that goes on beside the
// rest of the stage: keeping what the clustering found (fresh features,
// changed stories). Nothing else in the stage reads it (the stories are in
// hand, and the ranking reads the assessments the gather kept), so it is
// started once the stage has read what it needs from the store (a SQLite
// store has one connection, which the write would hold), and waited for
// before the stage ends, a failed one too: nothing after the stage meets
// a window half kept. Its methods do nothing on a nil afterReads.
type afterReads struct {
	once sync.Once
	run  func()
	done chan struct{}
}

// keepAfterReads returns the afterReads that keeps save, nil when save
// is empty; a failure is logged, as the kept features and stories are a
// cache.
func (e *Engine) keepAfterReads(ctx context.Context, fs FeatureStore, save []KeptArticle) *afterReads {
	if len(save) == 0 {
		return nil
	}
	return &afterReads{done: make(chan struct{}), run: func() {
		if err := fs.SaveKept(ctx, save); err != nil {
			// The features are a cache: the next run reads the texts again.
			e.log().Warn("keep clustering features", "articles", len(save), "error", err)
		}
	}}
}

// start starts the write, once.
func (a *afterReads) start() {
	if a == nil {
		return
	}
	a.once.Do(func() {
		go func() {
			defer close(a.done)
			a.run()
		}()
	})
}

// wait starts the write if it was not, and returns once it is done.
func (a *afterReads) wait() {
	if a == nil {
		return
	}
	a.start()
	<-a.done
}

// saveBeside is the most entries (kept features and stories) of a window
// that readWindow leaves to be saved beside the ranking and the account
// (see clustered): a larger window's are saved before them, as holding
// its entries (a KeptArticle is 248 bytes: 9.9 MB at 40,000) and the
// save's own work beside the account raised a first run's peak RSS at
// 800 feeds from 133.4 to 156.3 MB (`FEEDS=800 scripts/bench-first-run.sh
// 1 5cacdfa 1bf06d3`, builds of those commits), over the 150 MB it must
// stay within; the 200-feed farm's 10,000 stay under it. (A variable for
// tests.)
var saveBeside = 16384

// refreshBatch is how many articles' texts refreshKept reads at once; a
// window with no more stale features than this is left to the clusterer.
const refreshBatch = 512

// refreshKept encodes afresh, a batch at a time, the kept features of the
// window's articles (by index) that are not current, keeps them with the
// story kept for each (prior), and sets their heads in features. A window
// whose features all went stale at once (a release that changes their
// encoding) is then clustered as any other: the clusterer alone would
// read the texts of every stale article at once (a first run after such
// an upgrade peaked at ~325 MB at 800 feeds, against ~150 MB). A few stale
// features (no more than refreshBatch) are left to the clusterer, which
// reads them from their texts as before; so is any it could not read.
func (e *Engine) refreshKept(ctx context.Context, fs FeatureStore, kc KeepingClusterer, articles []Article, features [][]byte, prior []int64) error {
	var stale []int
	for i := range articles {
		if !kc.KeptCurrent(features[i]) {
			stale = append(stale, i)
		}
	}
	if len(stale) <= refreshBatch {
		return nil
	}
	for batch := range slices.Chunk(stale, refreshBatch) {
		ids := make([]int64, len(batch))
		for k, i := range batch {
			ids[k] = articles[i].ID
		}
		texts, err := fs.ArticleTexts(ctx, ids)
		if err != nil {
			return fmt.Errorf("load articles: %w", err)
		}
		// Copies: the window's articles stay without texts and details.
		arts := make([]Article, 0, len(batch))
		at := make([]int, 0, len(batch))
		for _, i := range batch {
			if text, ok := texts[articles[i].ID]; ok {
				a := articles[i]
				a.Text = text
				arts, at = append(arts, a), append(at, i)
			}
		}
		if err := e.readDetails(ctx, fs, each(arts, nil)); err != nil {
			return err
		}
		kept := make([]KeptArticle, len(arts))
		parallel.Each(len(arts), func(_, k int) {
			kept[k] = KeptArticle{Article: Article{ID: arts[k].ID}, Features: kc.EncodeFeatures(arts[k]), Story: prior[at[k]]}
		})
		if err := fs.SaveKept(ctx, kept); err != nil {
			return fmt.Errorf("keep %d articles' features: %w", len(kept), err)
		}
		for k, i := range at {
			// A copy of the head: a slice of the encoding would hold
			// all of it.
			features[i] = slices.Clone(kept[k].Features[:min(KeptHead, len(kept[k].Features))])
		}
	}
	return nil
}

// detailBatch is how many articles' details readDetails reads at once.
const detailBatch = 2048

// readDetails sets the details (ArticleDetail) of the articles, read
// detailBatch at a time.
func (e *Engine) readDetails(ctx context.Context, fs FeatureStore, articles iter.Seq[*Article]) error {
	var at []*Article
	flush := func() error {
		ids := make([]int64, len(at))
		for k, a := range at {
			ids[k] = a.ID
		}
		details, err := fs.ArticleDetails(ctx, ids)
		if err != nil {
			return fmt.Errorf("load article details: %w", err)
		}
		for _, a := range at {
			details[a.ID].set(a)
		}
		at = at[:0]
		return nil
	}
	for a := range articles {
		if at = append(at, a); len(at) == detailBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(at) == 0 {
		return nil
	}
	return flush()
}

// leadDetails sets the details of the stories' leads, which the window's
// articles came without (FeatureStore.KeptArticlesSince), and keys each
// story by its lead's content hash, as the clusterer does when the lead
// has one (Story.Key). Only the leads' are read: the content hash keys
// the lead's summary too, and the other articles' details reach no
// output.
//
// The leads are read in the order of their IDs: a first run's are nearly
// every article of the window, and read in the stories' order each batch
// was scattered over the whole articles table, whose pages SQLite then
// read again for every batch (its page cache holds 2 MB); in ID order each
// batch reads its own stretch of the table.
func (e *Engine) leadDetails(ctx context.Context, fs FeatureStore, stories []Story) error {
	var leads []*Article
	for i := range stories {
		if lead := &stories[i].Articles[0]; lead.ContentHash == "" {
			leads = append(leads, lead)
		}
	}
	slices.SortFunc(leads, func(a, b *Article) int { return cmp.Compare(a.ID, b.ID) })
	if err := e.readDetails(ctx, fs, slices.Values(leads)); err != nil {
		return err
	}
	for i := range stories {
		if h := stories[i].Articles[0].ContentHash; h != "" {
			stories[i].Key = h
		}
	}
	return nil
}

// each yields the articles for which want holds (nil: all).
func each(articles []Article, want func(*Article) bool) iter.Seq[*Article] {
	return func(yield func(*Article) bool) {
		for i := range articles {
			if (want == nil || want(&articles[i])) && !yield(&articles[i]) {
				return
			}
		}
	}
}

// keepFeatures keeps the clustering features of the articles a gather
// stored (KeepingClusterer.EncodeFeatures) while their texts are in hand,
// so that no run holds the texts of the window to cluster them. A failure
// is logged: the features are a cache, and the run that finds none reads
// the texts.
func (e *Engine) keepFeatures(ctx context.Context, saved []Saved, log *slog.Logger) {
	fs, okStore := e.Store.(FeatureStore)
	kc, okCluster := e.Clusterer.(KeepingClusterer)
	if !okStore || !okCluster {
		return
	}
	var news []Article
	var kept []KeptArticle
	for _, s := range saved {
		if s.New {
			news = append(news, s.Article)
			kept = append(kept, KeptArticle{Article: Article{ID: s.Article.ID}, Features: kc.EncodeFeatures(s.Article)})
		}
	}
	e.assessKept(news, kept)
	if err := fs.SaveKept(ctx, kept); err != nil {
		log.Warn("keep clustering features", "articles", len(kept), "error", err)
	}
}

// assessKept sets the assessment of each of the new articles on its
// entry of kept (by index), when the ranker assesses articles and the
// store keeps assessments. The texts are in hand here: the ranking
// (rankAssessed) then reads the kept assessments of the window's leads
// instead of reading each lead's text back and assessing it once the
// window is clustered, a batch after another, the store and the
// processors taking turns. An article that leads no story is assessed for
// nothing (a few microseconds: BenchmarkAssess); the ranking assesses any lead it
// finds no assessment for (one whose features could not be kept, or
// gathered before this was kept).
func (e *Engine) assessKept(news []Article, kept []KeptArticle) {
	ar, okRanker := e.Ranker.(AssessingRanker)
	_, okStore := e.Store.(AssessmentStore)
	if !okRanker || !okStore || len(kept) == 0 {
		return
	}
	version := ar.AssessmentVersion()
	if version == "" {
		return
	}
	leads := make([]Story, len(news))
	for i, a := range news {
		leads[i] = Story{Articles: []Article{a}}
	}
	for i, a := range ar.AssessLeads(leads) {
		kept[i].Assessed = &KeptAssessment{Version: version, Assessment: a}
	}
}

// storyChanges adds to save the articles whose story (the smallest article
// ID of it) is not the one kept for them (prior, by index of articles),
// and sets it on those save has.
func storyChanges(stories []Story, articles []Article, prior []int64, save []KeptArticle) []KeptArticle {
	kept := make(map[int64]int64, len(articles))
	for i, a := range articles {
		kept[a.ID] = prior[i]
	}
	saving := make(map[int64]int, len(save))
	for i, k := range save {
		saving[k.Article.ID] = i
	}
	label := func(st Story) int64 {
		l := st.Articles[0].ID
		for _, a := range st.Articles {
			l = min(l, a.ID)
		}
		return l
	}
	// Counted first: a first run changes the story of every article of
	// the window, and appending them one by one copied a window's worth
	// of entries again and again, the run's peak of memory (the window's
	// clustering features not yet collected).
	n := 0
	for _, st := range stories {
		l := label(st)
		for _, a := range st.Articles {
			if _, ok := saving[a.ID]; !ok && kept[a.ID] != l {
				n++
			}
		}
	}
	save = slices.Grow(save, n)
	for _, st := range stories {
		l := label(st)
		for _, a := range st.Articles {
			if i, ok := saving[a.ID]; ok {
				save[i].Story = l
			} else if kept[a.ID] != l {
				save = append(save, KeptArticle{Article: Article{ID: a.ID}, Story: l})
			}
		}
	}
	return save
}

// textBatch is how many stories' lead texts ranking and summarising hold
// at once when the store reads texts by ID (FeatureStore). A first run
// on 200 feeds has ~10,000 stories, nearly one per article: holding every
// lead's text at once is ~70 MB, and twice that in heap before the
// collector runs.
const textBatch = 256

// withLeadTexts calls fn with the stories a batch at a time (textBatch, in
// order), each lead's text read from the store when it has none, and
// drops the texts it read after fn unless keep (may be nil) says to keep
// the story's. The stories' Articles are shared with what fn keeps of
// them, so a dropped text is gone from those too. Without a FeatureStore
// the texts were loaded with the articles: fn gets all the stories at
// once.
func (e *Engine) withLeadTexts(ctx context.Context, stories []Story, fn func(batch []Story) error, keep func(Story) bool) error {
	fs, ok := e.Store.(FeatureStore)
	if !ok {
		return fn(stories)
	}
	for start := 0; start < len(stories); start += textBatch {
		batch := stories[start:min(start+textBatch, len(stories))]
		var ids []int64
		read := make([]bool, len(batch))
		for i, st := range batch {
			if a := st.Articles[0]; a.Text == "" {
				ids, read[i] = append(ids, a.ID), true
			}
		}
		texts, err := fs.ArticleTexts(ctx, ids)
		if err != nil {
			return fmt.Errorf("load lead texts: %w", err)
		}
		for i := range batch {
			if read[i] {
				batch[i].Articles[0].Text = texts[batch[i].Articles[0].ID]
			}
		}
		if err := fn(batch); err != nil {
			return err
		}
		for i := range batch {
			if read[i] && (keep == nil || !keep(batch[i])) {
				batch[i].Articles[0].Text = ""
			}
		}
	}
	return nil
}
