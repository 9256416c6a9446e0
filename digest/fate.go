package digest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/internal/keysort"
)

// What became of an article a run read. Every article a run reads ends in
// exactly one of them: fetched from a source (new, or already stored), or
// read from the store as part of the run's window.
const (
	// FateLead: the lead article of a story.
	FateLead = "lead"
	// FateAlsoReported: in a story as another outlet's report.
	FateAlsoReported = "also_reported"
	// FateMerged: in a story that another article of its own outlet
	// leads or already holds; listed in the story as "also from".
	FateMerged = "merged"
	// FateDuplicate: the same article as a stored one (by URL, GUID or
	// title and text); not stored again.
	FateDuplicate = "duplicate"
	// FateOffTopic: in a story below the relevance threshold.
	FateOffTopic = "off_topic"
	// FateOutsideWindow: published before the run's window (or before a
	// new source's first-gather window).
	FateOutsideWindow = "outside_window"
	// FateOutOfScope: stored from a source the run was not limited to.
	FateOutOfScope = "out_of_scope"
	// FateStored: new and stored, but the run made no stories (a gather
	// alone); a later run puts it in a story.
	FateStored = "stored"
	// FateNotStored: the store refused the source's articles; the error
	// is in the report.
	FateNotStored = "not_stored"
)

// Fates lists the fates in the order reports show them.
var Fates = []string{FateLead, FateAlsoReported, FateMerged, FateDuplicate, FateOffTopic,
	FateOutsideWindow, FateOutOfScope, FateStored, FateNotStored}

// ArticleFate is one line of a run's account of the articles it read.
type ArticleFate struct {
	ArticleID int64     `json:"article_id,omitempty"` // store id; 0 when not stored
	Source    string    `json:"source"`               // outlet name, else source ID
	Title     string    `json:"title"`
	URL       string    `json:"url,omitempty"`
	Published time.Time `json:"published"`
	Fate      string    `json:"fate"`
	// Story is the key of the article's story and StoryTitle its lead's
	// title (lead, also_reported, merged, off_topic).
	Story      string `json:"story,omitempty"`
	StoryTitle string `json:"story_title,omitempty"`
	// Of is the stored article this one repeats (duplicate) or the story
	// member it was joined to (also_reported, merged); Key is the identity
	// a duplicate shares (DuplicateURL, DuplicateGUID, DuplicateContent).
	Of  int64  `json:"of,omitempty"`
	Key string `json:"key,omitempty"`
	// Join is the evidence that put the article in its story.
	Join *Join `json:"join,omitempty"`
	// Relevance and Threshold of an off-topic story.
	Relevance float64 `json:"relevance,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
	// Detail says why, in words.
	Detail string `json:"detail"`
}

// fateOf starts an account line for a.
func fateOf(a Article, fate, detail string) ArticleFate {
	return ArticleFate{ArticleID: a.ID, Source: cmp.Or(a.SourceName, a.SourceID), Title: a.Title, URL: a.URL,
		Published: a.Published, Fate: fate, Detail: detail}
}

// settleLater removes the account's open lines (see finishAccount) of
// the given window articles, whose lines the story stage gives anyway
// (finishAccount adds a line for every article of its fates that the
// account lacks): a window's worth of lines, with their titles and URLs,
// need not be held while the window is clustered. The function returned
// puts them back, made from the articles, for a run whose story stage
// fails.
func (r *Report) settleLater(articles []Article) (undo func()) {
	ids := make([]int64, len(articles))
	for i, a := range articles {
		ids[i] = a.ID
	}
	slices.Sort(ids)
	settled := func(l ArticleFate) bool {
		if l.ArticleID == 0 || (l.Fate != "" && l.Fate != FateStored) {
			return false
		}
		_, ok := slices.BinarySearch(ids, l.ArticleID)
		return ok
	}
	var removed []int64
	for _, l := range r.Articles {
		if settled(l) {
			removed = append(removed, l.ArticleID)
		}
	}
	if len(removed) == 0 {
		return func() {}
	}
	// A new slice at its size (a re-gather's duplicates' lines, held
	// while the window is clustered): the old one's backing array, grown
	// by the gather's appends, is let go of.
	kept := make([]ArticleFate, 0, len(r.Articles)-len(removed))
	for _, l := range r.Articles {
		if !settled(l) {
			kept = append(kept, l)
		}
	}
	r.Articles = kept
	return func() {
		slices.Sort(removed)
		for _, a := range articles {
			if _, ok := slices.BinarySearch(removed, a.ID); ok {
				r.Articles = append(r.Articles, fateOf(a, FateStored, storedNoStories))
			}
		}
	}
}

// spellDuplicates sets the detail of the duplicates' lines, which the
// gather leaves empty (see gatherOne): Gather and Run call it on the
// report they hand back.
func (r *Report) spellDuplicates() {
	for i := range r.Articles {
		if l := &r.Articles[i]; l.Fate == FateDuplicate && l.Detail == "" {
			l.Detail = duplicateDetail(l.Of, l.Key)
		}
	}
}

// storedNoStories is the detail of a new article's line in the account of
// a run that made no stories.
const storedNoStories = "stored; this run made no stories"

// finishAccount settles the lines the gather left open (new articles whose fate
// the story stage decides) against the story stage's fates by article ID,
// adds the window's other articles, and sets the report's totals. fates is
// nil when the run made no stories.
func (r *Report) finishAccount(fates *fateSet, noStories string) {
	seen := make(map[int64]bool, len(fates.all()))
	for i := range r.Articles {
		l := &r.Articles[i]
		if l.ArticleID != 0 {
			seen[l.ArticleID] = true
		}
		if l.Fate != "" && l.Fate != FateStored {
			continue
		}
		if f, ok := fates.get(l.ArticleID); ok {
			*l = f
			continue
		}
		if fates == nil {
			l.Fate, l.Detail = FateStored, noStories
			continue
		}
		l.Fate, l.Detail = FateOutsideWindow, "published before the run's window"
	}
	// The window's other articles' lines are added to a slice made at its
	// size: grown by appending, a window's worth of lines was copied at
	// every growth, the old copies held until a collection (this was the
	// peak of a re-run at 800 feeds, beside the re-gather's duplicates).
	more := 0
	for _, f := range fates.all() {
		if !seen[f.ArticleID] {
			more++
		}
	}
	r.Articles = slices.Grow(r.Articles, more)
	for _, f := range fates.all() {
		if !seen[f.ArticleID] {
			r.Articles = append(r.Articles, f)
		}
	}
	// By fate, story, outlet, title and ID. The lines' indexes are sorted,
	// not the lines of ~200 bytes (keysort), and each line's place among
	// Fates is found once rather than at every comparison
	// (BenchmarkFinishAccount).
	lines := r.Articles
	fate := make([]int, len(lines))
	for i := range lines {
		fate[i] = slices.Index(Fates, lines[i].Fate)
	}
	keysort.Stable(lines, func(i, j int) int {
		a, b := &lines[i], &lines[j]
		return cmp.Or(cmp.Compare(fate[i], fate[j]), strings.Compare(a.StoryTitle, b.StoryTitle),
			strings.Compare(a.Source, b.Source), strings.Compare(a.Title, b.Title), cmp.Compare(a.ArticleID, b.ArticleID))
	})
	r.ArticlesRead = len(r.Articles)
	r.Fates = map[string]int{}
	for _, l := range r.Articles {
		r.Fates[l.Fate]++
	}
	if err := r.CheckAccount(); err != nil {
		r.Errors = append(r.Errors, err.Error())
	}
}

// CheckAccount reports an account that breaks its rules: a line without a
// fate, an article listed twice, or counts that do not add up to
// ArticlesRead. The engine checks every account it makes; tests call it too.
func (r *Report) CheckAccount() error {
	seen := map[int64]bool{}
	counts := map[string]int{}
	for i, l := range r.Articles {
		if !slices.Contains(Fates, l.Fate) {
			return fmt.Errorf("account line %d (%q): no fate", i, l.Title)
		}
		if l.ArticleID != 0 {
			if seen[l.ArticleID] {
				return fmt.Errorf("account: article %d (%q) listed twice", l.ArticleID, l.Title)
			}
			seen[l.ArticleID] = true
		}
		counts[l.Fate]++
	}
	total := 0
	for f, n := range r.Fates {
		if counts[f] != n {
			return fmt.Errorf("account: %d %s lines, report counts %d", counts[f], f, n)
		}
		total += n
	}
	if total != r.ArticlesRead || len(r.Articles) != r.ArticlesRead {
		return fmt.Errorf("account: %d lines and %d counted for %d articles read", len(r.Articles), total, r.ArticlesRead)
	}
	return nil
}

// fateSet is the story stage's account (fatesOf): a line per article ID,
// sorted by it.
type fateSet struct {
	lines []ArticleFate
}

// newFateSet returns the set of lines, in place: of the lines of one
// article ID, the last one given is kept.
func newFateSet(lines []ArticleFate) *fateSet {
	// Stable: the last given of an ID is the last of its run. The indexes
	// are sorted, not the lines (keysort).
	keysort.Stable(lines, func(i, j int) int { return cmp.Compare(lines[i].ArticleID, lines[j].ArticleID) })
	out := lines[:0]
	for i, l := range lines {
		if i+1 < len(lines) && lines[i+1].ArticleID == l.ArticleID {
			continue
		}
		out = append(out, l)
	}
	return &fateSet{lines: out}
}

// get returns the line of article id; false when there is none (or no
// set).
func (s *fateSet) get(id int64) (ArticleFate, bool) {
	lines := s.all()
	k, ok := slices.BinarySearchFunc(lines, id, func(f ArticleFate, id int64) int { return cmp.Compare(f.ArticleID, id) })
	if !ok {
		return ArticleFate{}, false
	}
	return lines[k], true
}

// all returns the lines, by article ID; none for no set.
func (s *fateSet) all() []ArticleFate {
	if s == nil {
		return nil
	}
	return s.lines
}

// fatesOf returns the fates of the articles the story stage read: those in
// kept stories, in dropped (off-topic) stories and left out of scope, by
// article ID. The lines are a slice made at its size, sorted: a map of
// the lines held a window's worth of them (~200 bytes each) in its
// tables, grown by doubling.
func fatesOf(kept, dropped []Story, outOfScope []Article, relevance func(Story) (float64, float64)) *fateSet {
	n := len(outOfScope)
	for _, sts := range [][]Story{kept, dropped} {
		for _, st := range sts {
			n += len(st.Articles)
		}
	}
	lines := make([]ArticleFate, 0, n)
	add := func(f ArticleFate) { lines = append(lines, f) }
	for _, st := range kept {
		for _, f := range storyFates(st) {
			add(f)
		}
	}
	for _, st := range dropped {
		rel, thr := 0.0, 0.0
		if relevance != nil {
			rel, thr = relevance(st)
		}
		for _, f := range storyFates(st) {
			f.Fate, f.Relevance, f.Threshold = FateOffTopic, rel, thr
			f.Detail = fmt.Sprintf("story relevance %.3f below the threshold %.3f", rel, thr)
			add(f)
		}
	}
	for _, a := range outOfScope {
		add(fateOf(a, FateOutOfScope, "stored from a source this run was not limited to"))
	}
	return newFateSet(lines)
}

// storyFates returns the fate of each article of a kept story: the lead;
// an article from an outlet that the story already holds (the lead's, or
// an earlier member's) is merged; the others are also reported.
func storyFates(st Story) []ArticleFate {
	lead := st.Lead()
	out := make([]ArticleFate, 0, len(st.Articles))
	seen := map[string]bool{}
	for k, a := range st.Articles {
		outlet := strings.ToLower(cmp.Or(a.SourceName, a.SourceID))
		f := fateOf(a, FateAlsoReported, "")
		f.Story, f.StoryTitle = st.Key, lead.Title
		var j *Join
		if k < len(st.Joins) {
			jj := st.Joins[k]
			j = &jj
		}
		switch {
		case k == 0:
			f.Fate, f.Detail = FateLead, "leads its story"
		case seen[outlet]:
			f.Fate = FateMerged
			f.Detail = fmt.Sprintf("merged into the story led by %q (also from %s)", lead.Title, cmp.Or(a.SourceName, a.SourceID))
		default:
			f.Detail = fmt.Sprintf("another outlet's report of the story led by %q", lead.Title)
		}
		if k > 0 && j != nil {
			f.Join = j
			if j.With >= 0 && j.With < len(st.Articles) {
				f.Of = st.Articles[j.With].ID
			}
			if j.Detail != "" {
				f.Detail += fmt.Sprintf(": %s, score %.3f; %s", j.Via, j.Score, j.Detail)
			}
		}
		seen[outlet] = true
		out = append(out, f)
	}
	return out
}
