package digest

import (
	"context"
	"fmt"
	"iter"
	"runtime/trace"
	"slices"
	"strings"
	"time"
)

// A run summarises only the stories that reach something it makes: an
// edition of one of its recipients, the archive's page or the lead. An
// edition holds at most Config.MaxStories of the thousands of stories a
// large window has, so summarising them all cost a first run most of its
// summarising time (and, with an LLM, its tokens) for stories nobody gets.

// leadStories is how many of the top stories the lead is written from.
const leadStories = 8

// maxSummaryRounds bounds the rounds of runStories. Why the rounds end: a
// story's score depends on its own summary alone, so after a round only
// the stories it summarised move, and a later round has work only where
// they left a place in an edition to a story not yet summarised (or took
// a topic match from one); the summarised set grows at every round that
// goes on and is bounded by the stories, so the loop ends. Why bounded
// further: each round after the first only repairs the last one's moves,
// a few stories at most, and a run should not chase an LLM whose every
// summary reorders the top; the last round does not rank again, so
// stopping there is safe (see runStories).
const maxSummaryRounds = 4

// runReaders are the readers of one Run, as far as which of its stories
// they can be given: the distinct topic sets of its recipients, each with
// the lower bound of its editions, and how many top stories the archive
// and the lead take.
type runReaders struct {
	groups []readerGroup
	// known holds the topic keys of groups when the recipients are the
	// subscriber list, read again when the run delivers: a subscriber
	// whose topics are not among them joined or changed during the run
	// (see deliverChunk). Nil when the recipients are fixed (ad hoc, dry
	// run).
	known   map[string]bool
	archive int
	lead    int
}

// readerGroup is the recipients of one topic set.
type readerGroup struct {
	topics []string
	since  time.Time
	// later says the edition's lower bound may be any time from since on,
	// up to now: a subscriber's is their last digest when that is later
	// (Compose), which only the ledger knows, a row per subscriber.
	later bool
}

// topicKey names a topic set whatever its order and case (matchesTopics
// compares topics without case).
func topicKey(topics []string) string {
	if len(topics) == 0 {
		return ""
	}
	k := make([]string, len(topics))
	for i, t := range topics {
		k[i] = strings.ToLower(t)
	}
	slices.Sort(k)
	return strings.Join(slices.Compact(k), "\x00")
}

// readersOf returns the readers of a run with opts whose window starts at
// since, summarising with sum: the dry run's one reader, else the ad-hoc
// recipients, else every active subscriber with a daily edition today
// (weekly editions draw on WeekStories, which summarises its own), plus
// the archive and the lead when the run makes them. One group per
// distinct topic set: the memory is that of the topic sets, not of the
// subscribers, whose kinds are read in one statement when the store can
// (subscriberKinds).
func (e *Engine) readersOf(ctx context.Context, sum Summarizer, opts RunOptions, since time.Time) (*runReaders, error) {
	rd := &runReaders{}
	if _, ok := sum.(LeadWriter); ok && e.Config.Lead {
		rd.lead = leadStories
	}
	if opts.DryRun || len(opts.To) > 0 {
		// One edition of the run's window for an address without topics
		// (dryRun; adHoc), the same for every ad-hoc recipient.
		rd.groups = []readerGroup{{since: since}}
		if !opts.DryRun {
			rd.archive = e.archived()
		}
		return rd, nil
	}
	rd.archive = e.archived()
	rd.known = map[string]bool{}
	now := e.now()
	floor := now.Add(-e.lookback())
	for sub, err := range e.subscriberKinds(ctx) {
		if err != nil {
			return nil, err
		}
		freq, err := ParseFrequency(string(sub.Frequency))
		if err != nil {
			continue // deliverAll reports it
		}
		key, sends := freq.EditionOn(now.In(sub.Location()))
		if !sends || IsWeekKey(key) {
			continue
		}
		tk := topicKey(sub.Topics)
		if rd.known[tk] {
			continue
		}
		rd.known[tk] = true
		rd.groups = append(rd.groups, readerGroup{topics: sub.Topics, since: floor, later: true})
	}
	return rd, nil
}

// subscriberKinds yields the active subscribers as far as topics, time
// zone and frequency go: the store's distinct ones (SubscriberKinds),
// else every subscriber. Reading 100,000 subscribers cost about a second
// under load, as much as reading them again to deliver.
func (e *Engine) subscriberKinds(ctx context.Context) iter.Seq2[Subscriber, error] {
	sk, ok := e.Store.(SubscriberKinds)
	if !ok {
		return AllSubscribers(ctx, e.Store, StatusActive)
	}
	return func(yield func(Subscriber, error) bool) {
		kinds, err := sk.ActiveSubscriberKinds(ctx)
		if err != nil {
			yield(Subscriber{}, err)
			return
		}
		for _, k := range kinds {
			if !yield(k, nil) {
				return
			}
		}
	}
}

// archived is how many top stories Archive stores, 0 when the renderer
// makes no public page.
func (e *Engine) archived() int {
	if _, ok := e.Renderer.(PublicRenderer); !ok {
		return 0
	}
	return max(1, e.Config.MaxStories)
}

// needed reports, by place in stories (ranked, best first), whether some
// reader can be given the story, composed as Compose does with at most
// limit stories per edition (0: no limit); every story for nil readers.
func (rd *runReaders) needed(stories []Story, limit int) []bool {
	need := make([]bool, len(stories))
	if rd == nil {
		for i := range need {
			need[i] = true
		}
		return need
	}
	for i := range min(max(rd.archive, rd.lead), len(stories)) {
		need[i] = true
	}
	var newest []time.Time
	for _, g := range rd.groups {
		newest = g.mark(stories, limit, need, newest[:0])
	}
	return need
}

// mark sets need for the stories g's editions can hold, and returns buf
// for reuse.
//
// With a fixed lower bound the edition is the first limit stories that
// match the topics and are newer than it. With a bound that may be any
// time t from since on (later), a story s is in the edition for t only
// if it is newer than t and fewer than limit stories before it are: every
// story before s at least as new as s is newer than t too, so s can be in
// some edition only if fewer than limit stories before it (matching,
// newer than since) are at least as new as s. Those are the ones marked:
// a superset of every edition the bound allows, found in one pass that
// keeps the limit newest times seen (buf, ascending).
func (g readerGroup) mark(stories []Story, limit int, need []bool, buf []time.Time) []time.Time {
	n := 0
	for i, st := range stories {
		if !matchesTopics(st, g.topics) || !newerThan(st, g.since) {
			continue
		}
		switch {
		case limit <= 0:
			need[i] = true
		case !g.later:
			need[i] = true
			if n++; n == limit {
				return buf
			}
		default:
			t := newestPublished(st)
			if len(buf) == limit {
				if !buf[0].Before(t) {
					continue // limit stories before it are at least as new
				}
				buf = buf[1:]
			}
			need[i] = true
			at, _ := slices.BinarySearchFunc(buf, t, time.Time.Compare)
			buf = slices.Insert(buf, at, t)
		}
	}
	return buf
}

// newestPublished is the publication time of st's newest article, which
// newerThan compares.
func newestPublished(st Story) time.Time {
	var t time.Time
	for _, a := range st.Articles {
		if a.Published.After(t) {
			t = a.Published
		}
	}
	return t
}

// runStories is stories for Run: the window's stories clustered and
// ranked, with only those its readers can be given summarised (see
// needed), in rank order, and ranked again with their summaries (which
// may carry topics and importance). A new order can bring up stories not
// yet summarised: they are summarised in turn, for up to maxSummaryRounds
// rounds. The last round does not rank again, so the order every edition
// is composed from is one under which each story it can give a reader
// has its summary; that round's summaries can only add their own stories
// to topic matches. The readers are returned for deliverAll.
func (e *Engine) runStories(ctx context.Context, sum Summarizer, opts RunOptions, since time.Time, scope *Scope, rep *Report) ([]Story, *runReaders, error) {
	// The stories of the whole window are kept for the next run to start
	// from; a scoped run's are not the window's.
	stories, err := e.clustered(ctx, since, scope, rep, scope == nil)
	if err != nil || len(stories) == 0 {
		return stories, nil, err
	}
	return e.summarizeNeeded(ctx, sum, stories, rep, func() (*runReaders, error) {
		// An edition can hold every story when there is no limit or no
		// more stories than it: then all are summarised, as before, and
		// nobody's topics need reading.
		if e.Config.MaxStories > 0 && len(stories) > e.Config.MaxStories {
			return e.readersOf(ctx, sum, opts, since)
		}
		return nil, nil
	})
}

// summarizeNeeded summarises the ranked stories that the readers returned
// by readers can be given (every story for nil readers) in rounds, as
// runStories says, and returns them ranked again with their summaries, and
// the readers. Reading the readers counts in the summarise stage.
func (e *Engine) summarizeNeeded(ctx context.Context, sum Summarizer, stories []Story, rep *Report, readers func() (*runReaders, error)) ([]Story, *runReaders, error) {
	start := time.Now()
	defer func() { rep.Stages = append(rep.Stages, StageTiming{"summarise", time.Since(start)}) }()
	defer trace.StartRegion(ctx, "summarise").End()
	rd, err := readers()
	if err != nil {
		return nil, nil, err
	}
	// Rerank returns the stories in a new order, as copies sharing their
	// Articles: the lead article's address names a story in any order
	// (keys may repeat).
	done := map[*Article]bool{}
	for round := 1; ; round++ {
		var todo []int
		for i, need := range rd.needed(stories, e.Config.MaxStories) {
			if need && !done[&stories[i].Articles[0]] {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			break
		}
		if err := e.summarizeAt(ctx, sum, stories, todo, rep); err != nil {
			return nil, nil, err
		}
		for _, i := range todo {
			done[&stories[i].Articles[0]] = true
		}
		if round == maxSummaryRounds {
			break
		}
		if e.Ranker != nil {
			stories = e.Ranker.Rerank(stories, e.now())
		}
	}
	rep.SummariesSkipped = len(stories) - len(done)
	return stories, rd, nil
}

// summarizeAt summarises the stories at the places todo (ascending: rank
// order) as summarize does.
func (e *Engine) summarizeAt(ctx context.Context, sum Summarizer, stories []Story, todo []int, rep *Report) error {
	batch := make([]Story, len(todo))
	for j, i := range todo {
		batch[j] = stories[i]
	}
	if _, err := e.summarize(ctx, sum, batch, rep); err != nil {
		return err
	}
	for j, i := range todo {
		// The batch's Articles are the stories' own: a lead text kept
		// for an empty summary is there already.
		stories[i].Summary = batch[j].Summary
	}
	return nil
}

// knows reports whether sub's topics were among the readers' when the run
// chose the stories to summarise; always true for fixed recipients.
func (rd *runReaders) knows(sub Subscriber) bool {
	return rd == nil || rd.known == nil || rd.known[topicKey(sub.Topics)]
}

// lateNote is the report's note on the subscribers left for the next run
// because they joined or changed their topics during this one.
func lateNote(n int) string {
	return fmt.Sprintf("%d subscribers joined or changed their topics during the run: their digest waits for the next run (its stories were not summarised)", n)
}
