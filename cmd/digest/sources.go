package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/api"
	"github.com/tradedigest/tradedigest/digest/feed"
)

func (c *cli) cmdSources(ctx context.Context, args []string) error {
	return dispatch(ctx, "sources", args, map[string]func(context.Context, []string) error{
		"add": c.sourcesAdd, "list": c.sourcesList, "remove": c.sourcesRemove, "check": c.sourcesCheck,
	})
}

// allSources returns the configured sources followed by those added with
// `digest sources add`, without repeats.
func (a *app) allSources(ctx context.Context) ([]string, error) {
	reg, err := a.db.RegisteredSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a.cfg.Sources...), reg...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}

// normaliseSource makes a local path absolute (so the store's key does not
// depend on the working directory) and canonicalises URLs.
func normaliseSource(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return feed.CanonicalURL(s)
	}
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("source %q: only http(s) URLs and local paths are supported", s)
	}
	return filepath.Abs(s)
}

func (c *cli) sourcesAdd(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources add")
	a, err := c.openWithArgs(ctx, fs, co, args, "one or more feed URLs, OPML files, article files or directories")
	if err != nil {
		return err
	}
	defer a.Close()
	for _, raw := range fs.Args() {
		src, err := normaliseSource(raw)
		if err != nil {
			return usagef("sources add: %v", err)
		}
		err = a.db.AddSource(ctx, src)
		switch {
		case errors.Is(err, digest.ErrConflict):
			fmt.Fprintf(c.stdout, "already there: %s\n", src)
		case err != nil:
			return fmt.Errorf("add source %s: %w", src, err)
		default:
			fmt.Fprintf(c.stdout, "added %s\n", src)
		}
	}
	return nil
}

func (c *cli) sourcesRemove(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources remove")
	a, err := c.openWithArgs(ctx, fs, co, args, "one or more sources as listed by 'digest sources list'")
	if err != nil {
		return err
	}
	defer a.Close()
	for _, raw := range fs.Args() {
		src, err := a.removeSource(ctx, raw)
		switch {
		case errors.Is(err, digest.ErrNotFound):
			return fmt.Errorf("no added source %s (sources from the config file are removed there)", raw)
		case err != nil:
			return fmt.Errorf("remove source %s: %w", raw, err)
		}
		fmt.Fprintf(c.stdout, "removed %s (its articles and history stay)\n", src)
	}
	return nil
}

// removeSource unregisters an added source named as typed or as listed,
// and returns the name it had in the store; digest.ErrNotFound when it was
// not added.
func (a *app) removeSource(ctx context.Context, raw string) (string, error) {
	src, err := normaliseSource(raw)
	if err != nil {
		src = raw
	}
	err = a.db.RemoveSource(ctx, src)
	if errors.Is(err, digest.ErrNotFound) {
		src = raw
		err = a.db.RemoveSource(ctx, raw)
	}
	return src, err
}

func (c *cli) sourcesList(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources list")
	asJSON := fs.Bool("json", false, "print JSON")
	a, err := c.openWithFlags(ctx, fs, co, args)
	if err != nil {
		return err
	}
	defer a.Close()
	return c.printSourceHealth(ctx, a, nil, *asJSON)
}

// sourcesCheck fetches every source now (conditionally, so a healthy feed
// costs a 304) and prints each one's health.
func (c *cli) sourcesCheck(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources check")
	asJSON := fs.Bool("json", false, "print JSON")
	offline := fs.Bool("offline", false, "print the stored health without fetching")
	a, err := c.openWithFlags(ctx, fs, co, args)
	if err != nil {
		return err
	}
	defer a.Close()
	var rep digest.Report
	if !*offline {
		if rep, err = a.checkSources(ctx); err != nil {
			return err
		}
	}
	if err := c.printSourceHealth(ctx, a, &rep, *asJSON); err != nil {
		return err
	}
	for _, s := range rep.Sources {
		if s.Error != "" {
			return fmt.Errorf("%d of %d sources failed", countFailed(rep), len(rep.Sources))
		}
	}
	return nil
}

// checkSources fetches every source now (conditionally) and keeps the
// run's report.
func (a *app) checkSources(ctx context.Context) (digest.Report, error) {
	var rep digest.Report
	srcs, err := a.allSources(ctx)
	if err != nil {
		return rep, err
	}
	started := a.engine.Now()
	opened := a.openSources(ctx, srcs, &rep)
	if err := a.engine.Gather(ctx, opened, &rep); err != nil {
		return rep, err
	}
	a.saveRun(ctx, "check", started, a.engine.Now(), rep, nil)
	return rep, nil
}

func countFailed(rep digest.Report) int {
	n := 0
	for _, s := range rep.Sources {
		if s.Error != "" {
			n++
		}
	}
	return n
}

// sourceHealth is one row of `sources list|check` and of the admin API.
type sourceHealth = api.SourceHealth

// printSourceHealth prints one row per known source (see sourceHealth).
func (c *cli) printSourceHealth(ctx context.Context, a *app, rep *digest.Report, asJSON bool) error {
	rows, err := a.sourceHealth(ctx, rep)
	if err != nil {
		return err
	}
	if asJSON {
		if rows == nil {
			rows = []sourceHealth{}
		}
		return json.NewEncoder(c.stdout).Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.stdout, "no sources: add some with 'digest sources add URL|FILE|DIR' or in the config file")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tLAST SUCCESS\tFAILURES\tLAST ERROR")
	for _, r := range rows {
		last := "never"
		if !r.LastSuccess.IsZero() {
			last = r.LastSuccess.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Source, last, r.ConsecutiveFailures, oneLine(r.LastError, 70))
	}
	return tw.Flush()
}

// sourceHealth returns one row per known source: configured, added, and
// any expanded from OPML files or directories seen in the store; rep, when
// given, adds what a check just fetched.
func (a *app) sourceHealth(ctx context.Context, rep *digest.Report) ([]sourceHealth, error) {
	srcs, err := a.allSources(ctx)
	if err != nil {
		return nil, err
	}
	states, err := a.db.SourceStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("read source states: %w", err)
	}
	byID := map[string]digest.SourceState{}
	for _, st := range states {
		byID[st.SourceID] = st
	}
	checked := map[string]digest.SourceReport{}
	if rep != nil {
		for _, s := range rep.Sources {
			checked[s.ID] = s
		}
	}
	var rows []sourceHealth
	seen := map[string]bool{}
	add := func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		st := byID[id]
		r := sourceHealth{Source: id, LastSuccess: st.LastSuccess, LastAttempt: st.LastAttempt,
			ConsecutiveFailures: st.ConsecutiveFailures, LastError: st.LastError}
		if cr, ok := checked[id]; ok {
			r.Articles, r.NotModified = cr.Articles, cr.NotModified
			if cr.Error != "" && r.LastError == "" {
				r.LastError = cr.Error
			}
		}
		rows = append(rows, r)
	}
	for _, s := range srcs {
		if abs, err := normaliseSource(s); err == nil {
			if _, ok := byID[abs]; ok {
				s = abs
			}
		}
		add(s)
	}
	for _, st := range states {
		add(st.SourceID)
	}
	return rows, nil
}

func (c *cli) cmdExtract(ctx context.Context, args []string) error {
	fs, co := c.newFlags("extract")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, interleave(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("extract: want one URL or FILE")
	}
	cfg, err := c.loadConfig(co)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	a := &app{cfg: cfg, log: c.logger(cfg), engine: &digest.Engine{Now: c.now}}
	page, err := feed.Extract(ctx, fs.Arg(0), a.feedOptions())
	if err != nil {
		return fmt.Errorf("extract %s: %w", fs.Arg(0), err)
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(map[string]any{
			"title": page.Title, "date": page.Date, "canonical_url": page.CanonicalURL,
			"source": page.SourceName, "language": page.Language, "text": page.Text,
		})
	}
	lang := "unknown"
	if page.Language != "" {
		lang = strings.TrimSpace(digest.LanguageName(page.Language) + " (" + page.Language + ")")
	}
	date := "unknown"
	if !page.Date.IsZero() {
		date = page.Date.Format(time.RFC3339)
	}
	fmt.Fprintf(c.stdout, "Title:    %s\nDate:     %s\nURL:      %s\nSource:   %s\nLanguage: %s\nWords:    %d\n\n%s\n",
		page.Title, date, page.CanonicalURL, page.SourceName, lang, len(strings.Fields(page.Text)), page.Text)
	return nil
}
