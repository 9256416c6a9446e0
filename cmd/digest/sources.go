package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/api"
	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// normaliseSource makes a local path absolute (so the store's key does not
// depend on the working directory) and canonicalises URLs.
func normaliseSource(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		c, err := feed.CanonicalURL(s)
		if err != nil {
			return "", err
		}
		// Canonical article URLs drop userinfo; a feed's login is how it
		// is fetched, so it stays (and is redacted wherever it is shown).
		if orig, err := url.Parse(s); err == nil && orig.User != nil {
			if u, err := url.Parse(c); err == nil {
				u.User = orig.User
				c = u.String()
			}
		}
		return c, nil
	}
	if strings.Contains(s, "://") {
		return "", fmt.Errorf("source %q: only http(s) URLs and local paths are supported", s)
	}
	return filepath.Abs(s)
}

// settingsFlags registers the per-source settings flags on fs; apply
// copies the flags that were given onto a SourceSettings.
func settingsFlags(fs *flag.FlagSet) (apply func(*digest.SourceSettings) error) {
	name := fs.String("name", "", "display name of the outlet")
	weight := fs.Float64("weight", 0, "ranking weight of its stories (1 is neutral, 2 doubles)")
	fullText := fs.String("full-text", "", "always (on): fetch every item's page for its text; never (off); auto: only short items; default: gather.full_text")
	include := fs.String("include", "", "keep only items mentioning one of these words or phrases (separated by ';')")
	exclude := fs.String("exclude", "", "drop items mentioning one of these (separated by ';')")
	selector := fs.String("selector", "", "CSS selector of the article body on its pages")
	kind := fs.String("kind", "", "opml: the URL is a subscription list (found out by itself when adding)")
	return func(st *digest.SourceSettings) error {
		var err error
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "name":
				st.Name = *name
			case "weight":
				st.Weight = *weight
			case "full-text":
				st.FullText = *fullText
			case "include":
				st.Include = splitList(*include)
			case "exclude":
				st.Exclude = splitList(*exclude)
			case "selector":
				st.Selector = *selector
				if *selector != "" {
					if _, serr := feed.CompileSelector(*selector); serr != nil {
						err = serr
					}
				}
			case "kind":
				st.Kind = *kind
			}
		})
		if err != nil {
			return err
		}
		return st.Normalise()
	}
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *cli) sourcesAdd(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources add")
	apply := settingsFlags(fs)
	a, err := c.openWithArgs(ctx, fs, co, args, "one or more feed URLs, site URLs, OPML files or URLs, article files or directories")
	if err != nil {
		return err
	}
	defer a.Close()
	var settings digest.SourceSettings
	if err := apply(&settings); err != nil {
		return usagef("sources add: %v", err)
	}
	for _, raw := range fs.Args() {
		src, err := normaliseSource(raw)
		if err != nil {
			return usagef("sources add: %v", err)
		}
		st := settings
		if isHTTPURL(src) && st.Kind == "" {
			if src, st, err = c.discover(ctx, a, src, st); err != nil {
				return err
			}
		}
		err = a.db.AddSource(ctx, src)
		switch {
		case errors.Is(err, digest.ErrConflict):
			fmt.Fprintf(c.stdout, "already there: %s\n", redact.URL(src))
			continue
		case err != nil:
			return fmt.Errorf("add source %s: %w", src, err)
		}
		if !st.IsZero() {
			if err := a.db.SetSourceSettings(ctx, src, st); err != nil {
				return fmt.Errorf("add source %s: %w", src, err)
			}
		}
		fmt.Fprintf(c.stdout, "added %s\n", redact.URL(src))
	}
	return nil
}

// discover finds out what an http(s) address is and says so: a feed is
// kept as it is, an OPML list is kept as a list, and a web page is
// replaced by the feed found on it. When the address cannot be read now
// it is kept as a feed, with a warning: nothing is lost, and `digest
// sources check` tells later whether it works.
func (c *cli) discover(ctx context.Context, a *app, src string, st digest.SourceSettings) (string, digest.SourceSettings, error) {
	d, err := feed.Discover(ctx, src, a.feedOptions())
	switch {
	case errors.Is(err, feed.ErrNoFeed):
		return "", st, fmt.Errorf("sources add: %w; nothing added (give the feed's own address)", err)
	case err != nil:
		printRedacted(c.stderr, "warning: could not read %s now (%v); added as a feed as given\n", src, err)
		return src, st, nil
	}
	switch {
	case d.Kind == digest.SourceKindOPML:
		st.Kind = digest.SourceKindOPML
		printRedacted(c.stdout, "%s is an OPML list of %s; it is kept as a list, its feeds read at each gather\n", src, count(d.Items, "feed", "feeds"))
		return src, st, nil
	case d.Via == "":
		printRedacted(c.stdout, "%s is %s feed%s with %s\n", src, article(d.Format), titled(d.Title), count(d.Items, "item", "items"))
		return src, st, nil
	}
	how := "found in the page's " + feed.ViaLink
	if d.Via == feed.ViaCommonPath {
		how = "found at a common feed path (the page names none)"
	}
	printRedacted(c.stdout, "%s is a web page; using its %s feed %s%s with %s, %s\n",
		src, d.Format, d.URL, titled(d.Title), count(d.Items, "item", "items"), how)
	if len(d.Others) > 0 {
		printRedacted(c.stdout, "the page also offers: %s\n", strings.Join(d.Others, ", "))
	}
	chosen, err := normaliseSource(d.URL)
	if err != nil {
		chosen = d.URL
	}
	return chosen, st, nil
}

// printRedacted prints a line that names addresses, their credentials
// hidden.
func printRedacted(w io.Writer, format string, args ...any) {
	fmt.Fprint(w, redact.Text(fmt.Sprintf(format, args...)))
}

func titled(t string) string {
	if t == "" {
		return ""
	}
	return fmt.Sprintf(" (%q)", t)
}

// article returns "an Atom", "a JSON Feed", "an RSS".
func article(format string) string {
	if format != "" && strings.ContainsRune("AEIOUR", rune(format[0])) {
		return "an " + format
	}
	return "a " + format
}

func isHTTPURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
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
		fmt.Fprintf(c.stdout, "removed %s (its articles and history stay)\n", redact.URL(src))
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
	if errors.Is(err, digest.ErrNotFound) {
		// As 'sources list' shows it, credentials hidden.
		if full, ok := a.unredactSource(ctx, raw); ok {
			src = full
			err = a.db.RemoveSource(ctx, full)
		}
	}
	return src, err
}

// unredactSource finds the one added source that 'sources list' shows as
// shown, so that a source can be removed by the redacted form people see.
func (a *app) unredactSource(ctx context.Context, shown string) (string, bool) {
	reg, err := a.db.RegisteredSources(ctx)
	if err != nil {
		return "", false
	}
	var found []string
	for _, s := range reg {
		if redact.URL(s) == shown {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
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
	entries, err := a.sourceEntries(ctx)
	if err != nil {
		return rep, err
	}
	started := a.engine.Now()
	opened := a.openSources(ctx, entries, &rep)
	if err := a.engine.Gather(ctx, opened, &rep); err != nil {
		return rep, err
	}
	a.engine.SaveRun(ctx, "check", started, rep, nil)
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
	entries, err := a.sourceEntries(ctx)
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
		r := sourceHealth{Source: redact.URL(id), LastSuccess: st.LastSuccess, LastAttempt: st.LastAttempt,
			ConsecutiveFailures: st.ConsecutiveFailures, LastError: st.LastError}
		if cr, ok := checked[id]; ok {
			r.Articles, r.NotModified = cr.Articles, cr.NotModified
			if cr.Error != "" && r.LastError == "" {
				r.LastError = cr.Error
			}
		}
		r.LastError = redact.Text(r.LastError)
		rows = append(rows, r)
	}
	for _, e := range entries {
		s := e.src
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
	selector := fs.String("selector", "", "CSS selector of the article body, to try a source's selector setting")
	if err := parse(fs, interleave(fs, args)); err != nil {
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
	if *selector != "" {
		if _, err := feed.CompileSelector(*selector); err != nil {
			return usagef("extract: %v", err)
		}
	}
	a := &app{cfg: cfg, log: c.logger(cfg), engine: &digest.Engine{Now: c.now}}
	fo := a.feedOptions()
	fo.Selector = *selector
	page, err := feed.Extract(ctx, fs.Arg(0), fo)
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
