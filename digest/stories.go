package digest

import (
	"cmp"
	"context"
	"fmt"
	"runtime/trace"
	"time"

	"golang.org/x/sync/errgroup"
)

// Stories returns the stories of the articles published after since:
// clustered, ranked and summarised, with the run's summariser usage in rep.
func (e *Engine) Stories(ctx context.Context, since time.Time, rep *Report) ([]Story, error) {
	return e.ScopedStories(ctx, since, nil, rep)
}

// EditionStories returns the stories of the edition window (Config.Lookback
// back from now), ranked and summarised: what a daily edition draws on
// before it is filtered per recipient (Compose).
func (e *Engine) EditionStories(ctx context.Context, rep *Report) ([]Story, error) {
	return e.Stories(ctx, e.now().Add(-e.lookback()), rep)
}

// ScopedStories is Stories made only of the articles in scope (all when
// scope is nil).
func (e *Engine) ScopedStories(ctx context.Context, since time.Time, scope *Scope, rep *Report) ([]Story, error) {
	sum := e.RunSummarizer()
	stories, err := e.stories(ctx, sum, since, scope, rep)
	addUsage(sum, rep)
	return stories, err
}

// WeekStories returns the stories of the week before now for weekly
// editions: ranked, summarised, and ranked over the week (Ranker.RankWeek).
// rep gets the summariser's usage; the account of the
// articles read stays with the run's own report.
func (e *Engine) WeekStories(ctx context.Context, rep *Report) ([]Story, error) {
	var week Report
	stories, err := e.Stories(ctx, e.now().Add(-Week), &week)
	rep.addSummaries(week)
	if err != nil {
		return nil, fmt.Errorf("week's stories: %w", err)
	}
	if e.Ranker != nil {
		stories = e.Ranker.RankWeek(stories, e.now())
	}
	return stories, nil
}

// RunSummarizer returns the summarizer for one run: run-scoped when the
// summarizer keeps per-run state such as a token budget.
func (e *Engine) RunSummarizer() Summarizer {
	if rs, ok := e.Summarizer.(RunScoped); ok {
		return rs.ForRun()
	}
	return e.Summarizer
}

// addSummaries adds another report's summary counts and spending to r (the
// week's stories made for weekly readers count in the run that made them).
func (r *Report) addSummaries(o Report) {
	r.SummariesNew += o.SummariesNew
	r.SummariesCached += o.SummariesCached
	r.SummariesFallback += o.SummariesFallback
	r.SummariesUnfaithful += o.SummariesUnfaithful
	r.SummariesOverBudget += o.SummariesOverBudget
	r.PromptTokens += o.PromptTokens
	r.CompletionTokens += o.CompletionTokens
	r.CostUSD += o.CostUSD
}

// addUsage adds what the run's summarizer spent to the report.
func addUsage(sum Summarizer, rep *Report) {
	if ur, ok := sum.(UsageReporter); ok {
		u := ur.Usage()
		rep.PromptTokens += u.PromptTokens
		rep.CompletionTokens += u.CompletionTokens
		rep.CostUSD += u.CostUSD
		rep.SummariesOverBudget += u.OverBudget
	}
}

// stories returns the window's stories clustered, ranked and all
// summarised, ranked again with their summaries (which may carry LLM
// topics and importance that refine the rank).
func (e *Engine) stories(ctx context.Context, sum Summarizer, since time.Time, scope *Scope, rep *Report) ([]Story, error) {
	stories, err := e.clustered(ctx, since, scope, rep, false)
	if err != nil {
		return nil, err
	}
	stories, _, err = e.summarizeNeeded(ctx, sum, stories, rep, func() (*runReaders, error) { return nil, nil })
	return stories, err
}

// RankedStories returns the stories of the edition window (Config.Lookback
// back from now), ranked, without the off-topic ones, and not yet
// summarised; the report gets their counts and the account of every
// article read (see ArticleFate).
func (e *Engine) RankedStories(ctx context.Context, rep *Report) ([]Story, error) {
	return e.clustered(ctx, e.now().Add(-e.lookback()), nil, rep, false)
}

func (e *Engine) clustered(ctx context.Context, since time.Time, scope *Scope, rep *Report, keep bool) ([]Story, error) {
	start := time.Now()
	defer trace.StartRegion(ctx, "cluster").End()
	lean := func() (done func()) { return func() {} }
	ranking := lean
	if wl, ok := e.Clusterer.(WindowLoader); ok {
		lean, ranking = wl.LoadingWindow, wl.Ranking
	}
	done := lean()
	all, outOfScope, kept, err := e.window(ctx, since, scope, rep, keep)
	done()
	if err != nil {
		return nil, err
	}
	// What the clustering found is kept beside the ranking and the
	// account, once the ranking has read the kept assessments (on SQLite's
	// one connection the read would otherwise wait for the write, and the
	// ranking's assessment and the account are the processors' alone);
	// the stage ends when it is kept (afterReads), a failed stage too.
	defer kept.wait()
	stories := all
	var dropped []Story
	var relevance func(Story) (float64, float64)
	if e.Ranker != nil {
		// One assessment of each story's text: the dropped ones come back
		// with their relevance for the account.
		done = ranking()
		r := trace.StartRegion(ctx, "cluster: rank")
		stories, dropped, err = e.rankSplit(ctx, all, kept.start)
		r.End()
		done()
		if err != nil {
			return nil, err
		}
		thr := e.Ranker.Threshold()
		relevance = func(st Story) (float64, float64) { return st.Relevance, thr }
	}
	kept.start() // the ranking read nothing from the store, or read it all
	rep.Stories = len(stories)
	rep.StoriesDropped = len(dropped)
	// The account holds a line for every article of the window, beside
	// the stories: the other window-sized step of a run.
	done = lean()
	trace.WithRegion(ctx, "cluster: account", func() {
		rep.finishAccount(fatesOf(stories, dropped, outOfScope, relevance), "")
	})
	done()
	trace.WithRegion(ctx, "cluster: keep", kept.wait) // within the stage's time
	rep.Stages = append(rep.Stages, StageTiming{"cluster", time.Since(start)})
	return stories, nil
}

// rankSplit is Ranker.RankSplit over the stories' lead texts read a batch
// at a time (withLeadTexts). Each story is assessed on its own, and the
// order of the whole is Rerank's (the same comparison, no text read), so
// the result is one RankSplit's over all the stories. With an
// AssessingRanker and an AssessmentStore, the leads assessed by an earlier
// run (under the same rules) are not read again (rankAssessed), and read
// is called once the ranking's reads from the store are done: the kept
// assessments, and the texts of the leads without one (it is not called
// otherwise).
func (e *Engine) rankSplit(ctx context.Context, all []Story, read func()) (kept, dropped []Story, err error) {
	ar, okRanker := e.Ranker.(AssessingRanker)
	as, okStore := e.Store.(AssessmentStore)
	if okRanker && okStore && ar.AssessmentVersion() != "" {
		return e.rankAssessed(ctx, ar, as, all, read)
	}
	now := e.now()
	batches := 0
	// Room for all at once: a window's stories are the largest part of the
	// heap while they are ranked, and a slice grown by appending copies
	// them at every growth, the old copies held until the collector runs.
	kept = make([]Story, 0, len(all))
	err = e.withLeadTexts(ctx, all, func(batch []Story) error {
		k, d := e.Ranker.RankSplit(batch, now)
		kept, dropped = append(kept, k...), append(dropped, d...)
		batches++
		return nil
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	if batches > 1 {
		kept = e.Ranker.Rerank(kept, now)
	}
	return kept, dropped, nil
}

// rankAssessed is rankSplit with the leads' assessments kept in the store:
// those kept under the ranker's version are read, the other leads' texts
// are read a batch at a time and assessed, their assessments kept for the
// next run, and the stories ranked at once (RankAssessed). The kept ones
// are a cache: when they cannot be read every lead is assessed, and when
// the new ones cannot be kept the next run assesses them again.
func (e *Engine) rankAssessed(ctx context.Context, ar AssessingRanker, as AssessmentStore, all []Story, read func()) (kept, dropped []Story, err error) {
	version := ar.AssessmentVersion()
	ids := make([]int64, 0, len(all))
	for _, st := range all {
		if id := st.Articles[0].ID; id != 0 {
			ids = append(ids, id)
		}
	}
	have, err := as.Assessments(ctx, version, ids)
	if err != nil {
		e.log().Warn("read kept assessments; every lead is assessed", "error", err)
		have = nil
	}
	assessed := make([]Assessment, len(all))
	var todo []int // stories whose lead is assessed now, by index
	for i, st := range all {
		if a, ok := have[st.Articles[0].ID]; ok && st.Articles[0].ID != 0 {
			assessed[i] = a
		} else {
			todo = append(todo, i)
		}
	}
	// The stories to assess share their Articles with all, so a text
	// read for them is the lead's (and dropped after, as in rankSplit).
	sub := make([]Story, len(todo))
	for k, i := range todo {
		sub[k] = all[i]
	}
	made := make(map[int64]Assessment, len(todo))
	done := 0
	err = e.withLeadTexts(ctx, sub, func(batch []Story) error {
		for k, a := range ar.AssessLeads(batch) {
			i := todo[done+k]
			assessed[i] = a
			if id := all[i].Articles[0].ID; id != 0 {
				made[id] = a
			}
		}
		done += len(batch)
		return nil
	}, nil)
	read() // none read when every lead had its assessment: a first run's
	if err != nil {
		return nil, nil, err
	}
	if len(made) > 0 {
		if err := as.SaveAssessments(ctx, version, made); err != nil {
			e.log().Warn("keep lead assessments", "leads", len(made), "error", err)
		}
	}
	kept, dropped = ar.RankAssessed(all, assessed, e.now())
	return kept, dropped, nil
}

// summarize sets the summary of each story, a batch of lead texts at a
// time (withLeadTexts); a lead's text read for it is dropped again unless
// the summary is empty, where the text stands in for it.
func (e *Engine) summarize(ctx context.Context, sum Summarizer, stories []Story, rep *Report) ([]Story, error) {
	e.stage("summarise", len(stories))
	// A failing story stops neither its batch nor the later ones: the
	// others' summaries are cached for the next run.
	var firstErr error
	err := e.withLeadTexts(ctx, stories, func(batch []Story) error {
		err := e.summarizeBatch(ctx, sum, batch, rep)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		firstErr = cmp.Or(firstErr, err)
		return nil
	}, func(st Story) bool { return st.Summary.Text == "" })
	if err = cmp.Or(err, firstErr); err != nil {
		return nil, err
	}
	return stories, nil
}

// summarizeBatch sets the summary of each story with bounded concurrency
// (SummarizeConcurrency).
func (e *Engine) summarizeBatch(ctx context.Context, sum Summarizer, stories []Story, rep *Report) error {
	version := sum.Version()
	rec := &recorder{rep: rep}
	// Not errgroup.WithContext: one story's failure does not stop the
	// others, whose summaries are cached for the next run.
	var g errgroup.Group
	g.SetLimit(max(1, e.Config.SummarizeConcurrency))
	for i := range stories {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			s, cached, err := e.summaryFor(ctx, sum, version, stories[i])
			e.step("summarise")
			if err != nil {
				return err
			}
			stories[i].Summary = s
			rec.do(func(rep *Report) {
				if cached {
					rep.SummariesCached++
					return
				}
				rep.SummariesNew++
				if s.Fallback {
					rep.SummariesFallback++
				}
				if s.Unfaithful() {
					rep.SummariesUnfaithful++
				}
				if rep.SummariesByBackend == nil {
					rep.SummariesByBackend = map[string]int{}
				}
				rep.SummariesByBackend[s.Backend]++
			})
			return nil
		})
	}
	firstErr := g.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}
