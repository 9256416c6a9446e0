package digest

import (
	"context"
	"fmt"
	"iter"
	"runtime/trace"
	"sync"
	"time"
)

// RunOptions say what one Run gathers and whom it sends to.
type RunOptions struct {
	Sources []Source
	// Since is the gather/edition window (24 h by default in the CLI).
	Since time.Duration
	// To sends to these addresses instead of the subscriber list.
	To []string
	// Force sends again even when today's digest went out.
	Force bool
	// Scoped limits the edition to Sources: the articles they yield, or
	// that the store keeps from them (digest now --source). Otherwise the
	// edition draws on every stored article in the window.
	Scoped bool
	// DryRun composes the edition of one reader (the first of To, else
	// reader@example.com), renders it and hands both to DryRunOut instead
	// of sending anything; no delivery is recorded.
	DryRun    bool
	DryRunOut func(ed Edition, msg Message) error
	// Beside, when set, runs beside the gather and is waited for before
	// anything after it: the caller's store bookkeeping that the gather
	// does not read (digest now records the subscription lists it read
	// there) costs the run no time while requests are on the wire.
	Beside func(ctx context.Context)
	// Gathering, when set, is called once, as soon as the gather has
	// stored new articles: the run has a window to cluster (digest now
	// lets the heap grow more between collections from then on).
	Gathering func()
}

// Run does the whole job once: gather, cluster, summarise, compose and
// deliver today's edition to every recipient. It returns the report of the
// run; the error is for failures of the run as a whole (store unreachable,
// context ended), not for single sources or recipients, which the report
// lists.
func (e *Engine) Run(ctx context.Context, opts RunOptions) (Report, error) {
	rep, err := e.run(ctx, opts)
	rep.spellDuplicates()
	return rep, err
}

// run is Run, the duplicates' lines of the account without their detail.
func (e *Engine) run(ctx context.Context, opts RunOptions) (Report, error) {
	var rep Report
	started := e.now()
	window := opts.Since
	if window <= 0 {
		window = 24 * time.Hour
	}
	// Asked for a wider window than a new source's first gather keeps:
	// honour the request (digest now --since 240h on a new feed).
	sources := opts.Sources
	var scope *Scope
	if opts.Scoped {
		scope, sources = NewScope(sources)
	}
	var beside chan struct{}
	if opts.Beside != nil {
		beside = make(chan struct{})
		go func() {
			defer close(beside)
			opts.Beside(ctx)
		}()
	}
	err := e.gather(ctx, sources, max(window, e.Config.RecencyWindow), opts.Gathering, &rep)
	if beside != nil {
		<-beside
	}
	if err != nil {
		return rep, err
	}
	since := started.Add(-window)
	if rep.ArticlesNew == 0 && !opts.Force && !opts.DryRun {
		if done, err := e.allDelivered(ctx, opts, &rep); done || err != nil {
			return rep, err
		}
	}
	sum := e.RunSummarizer()
	stories, readers, err := e.runStories(ctx, sum, opts, since, scope, &rep)
	if err != nil {
		addUsage(sum, &rep)
		return rep, err
	}
	if len(stories) == 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("nothing new since %s", since.Format("2006-01-02 15:04 MST")))
		addUsage(sum, &rep)
		return rep, nil
	}
	lead := e.lead(ctx, sum, stories, &rep)
	addUsage(sum, &rep)

	start := time.Now()
	r := trace.StartRegion(ctx, "deliver")
	err = e.deliverRun(ctx, opts, stories, readers, since, lead, &rep)
	r.End()
	rep.Stages = append(rep.Stages, StageTiming{"deliver", time.Since(start)})
	return rep, err
}

// SaveRun keeps the report of a run of kind ("now", "gather", "check")
// that started at started and ends now, for `digest runs`: status
// "failed" when runErr is set (its text joins the report's errors),
// "partial" when a source, story or recipient failed, else "ok". A failure
// to save is logged, not returned: the run's work is done, only its record
// is lost. It is not cut short by ctx's end.
func (e *Engine) SaveRun(ctx context.Context, kind string, started time.Time, rep Report, runErr error) {
	status := "ok"
	switch {
	case runErr != nil:
		status = "failed"
		rep.Errors = append(rep.Errors, runErr.Error())
	case len(rep.Errors) > 0 || rep.Failed > 0:
		status = "partial"
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveRunTimeout)
	defer cancel()
	if wl, ok := e.Clusterer.(WindowLoader); ok {
		// Saving encodes a line for every article the run read (40,000-
		// 82,000 at 800 feeds) and holds none of them: like ranking, it
		// allocates much and holds little, and it comes last, when the
		// collector's target was taken from a heap that still held the
		// stories.
		defer wl.Ranking()()
	}
	if _, err := e.Store.SaveRun(ctx, RunRecord{Kind: kind, StartedAt: started, FinishedAt: e.now(), Status: status, Report: rep}); err != nil {
		e.log().Error("save run report", "kind", kind, "error", err)
	}
}

// saveRunTimeout bounds saving a run's report to a store that does not
// answer, so that a finished run can end.
const saveRunTimeout = 10 * time.Second

// deliverRun is Run's last stage: print (dry run) or deliver to every
// recipient. readers are the ones the stories were summarised for
// (runStories).
func (e *Engine) deliverRun(ctx context.Context, opts RunOptions, stories []Story, readers *runReaders, since time.Time, lead string, rep *Report) error {
	if opts.DryRun {
		return e.dryRun(opts, stories, since, lead)
	}
	e.Archive(ctx, stories, lead)
	dopts := DeliverOptions{Force: opts.Force, Lead: lead}
	if len(opts.To) > 0 {
		// Ad-hoc recipients get the window the user asked for.
		dopts.Since = since
		return e.deliverAll(ctx, e.adHoc(opts.To), stories, nil, nil, dopts, rep)
	}
	var (
		weekOnce  sync.Once
		week      []Story
		weekErr   error
		weekUsage Report
	)
	// The week's stories are made only when a weekly reader's day has come.
	weekly := func() ([]Story, error) {
		weekOnce.Do(func() { week, weekErr = e.WeekStories(ctx, &weekUsage) })
		return week, weekErr
	}
	err := e.deliverAll(ctx, AllSubscribers(ctx, e.Store, StatusActive), stories, weekly, readers, dopts, rep)
	rep.addSummaries(weekUsage)
	return err
}

// lead asks the run's summarizer for an opening paragraph when configured
// (so its tokens count in the run's usage); a failure only loses the lead.
func (e *Engine) lead(ctx context.Context, sum Summarizer, stories []Story, rep *Report) string {
	lw, ok := sum.(LeadWriter)
	if !e.Config.Lead || !ok {
		return ""
	}
	top := stories[:min(len(stories), leadStories)]
	text, err := lw.WriteLead(ctx, top)
	if err != nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("digest lead: %v", err))
		return ""
	}
	return text
}

// Archive stores the public edition of the day (in Config.DefaultTimeZone)
// for the web archive; the last call of a day wins. Failures are logged:
// the archive never stops a delivery.
func (e *Engine) Archive(ctx context.Context, stories []Story, lead string) {
	pr, ok := e.Renderer.(PublicRenderer)
	if !ok {
		return
	}
	loc := time.UTC
	if e.Config.DefaultTimeZone != "" {
		if l, err := time.LoadLocation(e.Config.DefaultTimeZone); err == nil {
			loc = l
		}
	}
	now := e.now()
	ed := Edition{Date: LocalDate(now, loc), GeneratedAt: now, Lead: lead}
	ed.Stories = stories[:min(len(stories), max(1, e.Config.MaxStories))]
	ed.More = len(stories) - len(ed.Stories)
	ae, err := pr.RenderPublic(ed)
	if err != nil {
		e.log().Error("render public edition", "error", err)
		return
	}
	ae.CreatedAt = now
	// The page may show fewer stories than it was given (it is cut to a
	// size); the items are the ones it shows, so that anchors agree.
	ae.Items = archivedStories(ed.Stories[:min(max(ae.Stories, 0), len(ed.Stories))])
	if err := e.Store.SaveEdition(ctx, ae); err != nil {
		e.log().Error("archive edition", "error", err)
	}
}

// maxArchivedOutlets bounds the outlets kept per archived story.
const maxArchivedOutlets = 20

// archivedStories returns the public data of stories for the archive: the
// headline (the summary's, else the lead's title), summary text, key
// points, the lead's URL, each outlet once with its first report's URL,
// and the topics.
func archivedStories(stories []Story) []ArchivedStory {
	out := make([]ArchivedStory, 0, len(stories))
	for _, st := range stories {
		it := ArchivedStory{
			Headline:  st.Summary.Headline,
			Summary:   st.Summary.Text,
			KeyPoints: st.Summary.KeyPoints,
			Topics:    st.Topics,
		}
		seen := map[string]bool{}
		for i, a := range st.Articles {
			if i == 0 {
				it.URL = a.URL
				if it.Headline == "" {
					it.Headline = a.Title
				}
			}
			name := a.SourceName
			if name == "" || seen[name] || len(it.Outlets) >= maxArchivedOutlets {
				continue
			}
			seen[name] = true
			it.Outlets = append(it.Outlets, ArchivedOutlet{Name: name, URL: a.URL})
		}
		out = append(out, it)
	}
	return out
}

func (e *Engine) dryRun(opts RunOptions, stories []Story, since time.Time, lead string) error {
	sub := Subscriber{Email: "reader@example.com", TimeZone: e.Config.DefaultTimeZone}
	if len(opts.To) > 0 {
		sub.Email = opts.To[0]
	}
	ed, err := e.Compose(context.Background(), sub, LocalDate(e.now(), sub.Location()), stories,
		DeliverOptions{Since: since, Lead: lead})
	if err != nil {
		return err
	}
	msg, err := e.Renderer.Render(ed)
	if err != nil {
		return fmt.Errorf("render edition: %w", err)
	}
	if opts.DryRunOut == nil {
		return nil
	}
	return opts.DryRunOut(ed, msg)
}

// deliverAll sends today's edition to each subscriber of subs with bounded
// concurrency (SendConcurrency), in each subscriber's local date, as their frequency has it:
// nothing on a day it skips, the weekly edition (of the stories weekly
// returns) on a weekly reader's day. The subscribers are taken in chunks
// (see deliverChunk): the ledger is read and the chunk's deliveries
// claimed in a statement or two per chunk, not per recipient. readers (nil
// when the stories are all summarised) are the ones whose stories were
// summarised: a daily edition for anyone else waits for the next run.
func (e *Engine) deliverAll(ctx context.Context, subs iter.Seq2[Subscriber, error], stories []Story, weekly func() ([]Story, error), readers *runReaders, opts DeliverOptions, rep *Report) error {
	e.stage("send", 0)
	r := &chunkRun{e: e, rec: &recorder{rep: rep}, stories: stories, weekly: weekly, readers: readers, opts: opts, marks: make(chan struct{}, markLimit)}
	r.g.SetLimit(max(1, e.Config.SendConcurrency))
	size := e.chunkSize()
	chunk := make([]Subscriber, 0, size)
	var listErr error
	for sub, err := range subs {
		if err != nil {
			listErr = err
			break
		}
		if ctx.Err() != nil {
			break
		}
		if r.skip(1) {
			continue
		}
		chunk = append(chunk, sub)
		if len(chunk) == size {
			r.deliverChunk(ctx, chunk)
			chunk = chunk[:0]
		}
	}
	if len(chunk) > 0 && ctx.Err() == nil && !r.skip(len(chunk)) {
		r.deliverChunk(ctx, chunk)
	}
	_ = r.g.Wait()
	r.marking.Wait()
	if r.late > 0 {
		rep.Notes = append(rep.Notes, lateNote(r.late))
	}
	if listErr != nil {
		rep.Errors = append(rep.Errors, listErr.Error())
		return listErr
	}
	if r.ledgerErr != nil {
		rep.NotAttempted += r.notAttempted
		return fmt.Errorf("stopped sending: %w (%d recipients not attempted; a rerun sends them)", r.ledgerErr, r.notAttempted)
	}
	return ctx.Err()
}

// editionToday returns the ledger key of sub's edition for their local date
// and the stories it draws on; an empty key when their frequency has no
// edition today.
func (e *Engine) editionToday(sub Subscriber, stories []Story, weekly func() ([]Story, error)) (string, []Story, error) {
	freq, err := ParseFrequency(string(sub.Frequency))
	if err != nil {
		return "", nil, err
	}
	key, sends := freq.EditionOn(e.now().In(sub.Location()))
	if !sends {
		return "", nil, nil
	}
	if freq.IsWeekly() && weekly != nil {
		week, err := weekly()
		if err != nil {
			return "", nil, err
		}
		return key, week, nil
	}
	return key, stories, nil
}
