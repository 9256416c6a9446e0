package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// errStaleVersion marks a summarise job queued for a summariser version
// this process no longer runs (a deployment changed model or prompt).
var errStaleVersion = errors.New("summariser version changed")

// summariseArgs is the summarise job of req for the summariser version, as
// part of the gather run.
func summariseArgs(req digest.SummaryRequest, version string, run int64) SummariseArgs {
	return SummariseArgs{ContentHash: req.ContentHash, Version: version, Title: req.Title, Text: req.Text,
		URL: req.URL, Sources: req.Sources, Language: req.Language, Run: run}
}

// request is the summary request the job carries.
func (args SummariseArgs) request() digest.SummaryRequest {
	return digest.SummaryRequest{Title: args.Title, Text: args.Text, URL: args.URL, Sources: args.Sources,
		ContentHash: args.ContentHash, Language: args.Language}
}

// summarise returns the cached summary for args, or makes one with the
// run's summariser sum and caches it the way Engine.Stories does, so a later
// deliver finds it. cached reports a cache hit. It returns errStaleVersion
// when args were made for another summariser version. The caching rules are
// the engine's (digest.Engine.Summary).
func summarise(ctx context.Context, e *digest.Engine, sum digest.Summarizer, args SummariseArgs) (s digest.Summary, cached bool, err error) {
	if version := sum.Version(); args.Version != version {
		return digest.Summary{}, false, fmt.Errorf("summarise %s: %w (queued for %q, running %q)", args.ContentHash, errStaleVersion, args.Version, version)
	}
	return e.Summary(ctx, sum, args.request())
}

// storyCache keeps one replica's ranked, summarised story list for a short
// time, so that thousands of deliver jobs cluster once, not once each. The
// lock is held while the list is built: concurrent deliver jobs wait for
// the one build instead of each starting their own.
type storyCache struct {
	ttl time.Duration

	mu      sync.Mutex
	built   time.Time
	stories []digest.Story
	valid   bool
}

func (c *storyCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid = false
	c.stories = nil
}

// get returns the cached list when it was built within ttl of now, else
// builds it. Within ttl either way: a job that read the clock just
// before another built the list, then waited for the lock, takes that list
// rather than build it again; a clock moved back further than ttl rebuilds.
func (c *storyCache) get(now time.Time, build func() ([]digest.Story, error)) ([]digest.Story, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.valid && now.Sub(c.built) < c.ttl && c.built.Sub(now) < c.ttl {
		return c.stories, nil
	}
	stories, err := build()
	if err != nil {
		return nil, err
	}
	c.stories, c.built, c.valid = stories, now, true
	return stories, nil
}

// storiesFor returns the engine's edition stories (Engine.EditionStories),
// from the cache when fresh; the week's (Engine.WeekStories) for a weekly
// edition. Each recipient's edition is then filtered from them by
// Engine.Deliver.
func (q *Queue) storiesFor(ctx context.Context, weekly bool) ([]digest.Story, error) {
	e := q.deps.Engine
	now := q.now()
	if weekly {
		return q.week.get(now, func() ([]digest.Story, error) {
			var rep digest.Report
			stories, err := e.WeekStories(ctx, &rep)
			if err != nil {
				return nil, fmt.Errorf("build the week's stories: %w", err)
			}
			if q.deps.Metrics != nil {
				q.deps.Metrics.ObserveReport("deliver", rep)
			}
			return stories, nil
		})
	}
	return q.stories.get(now, func() ([]digest.Story, error) {
		var rep digest.Report
		stories, err := e.EditionStories(ctx, &rep)
		if err != nil {
			return nil, fmt.Errorf("build stories: %w", err)
		}
		if q.deps.Metrics != nil {
			q.deps.Metrics.ObserveReport("deliver", rep)
		}
		return stories, nil
	})
}

// maxRuns bounds the run-scoped summarisers a replica keeps: summaries of a
// gather are queued together and worked soon after, so only the latest few
// gathers can still have jobs waiting.
const maxRuns = 8

// runScopes keeps one run-scoped summariser per gather run, so that the
// summarise jobs of one gather share a token budget on this replica
// instead of each job starting a fresh one.
type runScopes struct {
	mu    sync.Mutex
	runs  map[int64]digest.Summarizer
	order []int64 // oldest first
}

// get returns the summariser of run, making it on first use; run 0 (a job
// queued outside a gather) always gets a fresh one.
func (r *runScopes) get(run int64, e *digest.Engine) digest.Summarizer {
	if run == 0 {
		return e.RunSummarizer()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.runs[run]; ok {
		return s
	}
	if r.runs == nil {
		r.runs = make(map[int64]digest.Summarizer, maxRuns)
	}
	if len(r.order) == maxRuns {
		delete(r.runs, r.order[0])
		r.order = r.order[1:]
	}
	s := e.RunSummarizer()
	r.runs[run] = s
	r.order = append(r.order, run)
	return s
}
