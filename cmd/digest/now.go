package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/export"
	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/digest/roster"
)

func (c *cli) cmdNow(ctx context.Context, args []string) error {
	fs, co := c.newFlags("now")
	var sources, to stringList
	fs.Var(&sources, "source", "feed URL, OPML file, article file or directory (repeatable; default: configured sources); the edition is then made of these sources only")
	fs.Var(&to, "to", "send to this address instead of the subscribers (repeatable)")
	since := fs.Duration("since", 0, "how far back to look for news (default 24h)")
	outbox := fs.String("outbox", "", "directory for .eml files when no SMTP is configured (default ./outbox)")
	dryRun := fs.Bool("dry-run", false, "print the digest instead of sending it: no message, no delivery in the ledger (articles, summaries and the run report are still stored)")
	force := fs.Bool("force", false, "send again even if today's digest was already sent")
	format := fs.String("format", "", "with --dry-run: print the edition as text (default), markdown, json or html")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file at the end of the run (go tool pprof)")
	traceFile := fs.String("trace", "", "write an execution trace of the run to this file (go tool trace): when each request, store call and stage ran")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("now: unexpected argument %q", fs.Arg(0))
	}
	if *format != "" && !*dryRun {
		return usagef("now: --format chooses what --dry-run prints; add --dry-run")
	}
	write, err := editionWriter(*format)
	if err != nil {
		return err
	}
	cfg, err := c.loadConfig(co)
	if err != nil {
		return err
	}
	if *since > 0 {
		cfg.Since = *since
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	recipients, err := normaliseAddresses(to)
	if err != nil {
		return err
	}
	if err := checkSourceArgs(ctx, sources); err != nil {
		return err
	}
	stopProfiles, err := startProfiles(*cpuProfile, *memProfile, *traceFile)
	if err != nil {
		return usagef("now: %v", err)
	}
	defer func() {
		if err := stopProfiles(); err != nil {
			fmt.Fprintf(c.stderr, "digest: %v\n", err)
		}
	}()
	a, err := c.openApp(ctx, cfg, appOptions{mailer: !*dryRun, outboxDir: *outbox})
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.entriesOrAll(ctx, sources)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return usagef("now: no sources: pass --source FEED|FILE|DIR, set sources in the config, or add some with 'digest sources add' (try --source examples/articles)")
	}
	if !*dryRun && len(recipients) == 0 {
		n, err := a.db.Subscribers(ctx, digest.StatusActive, 0, 1)
		if err != nil {
			return fmt.Errorf("list subscribers: %w", err)
		}
		if len(n) == 0 {
			return usagef("now: no recipients: pass --to ADDR, or add subscribers with 'digest subscribers add'")
		}
	}

	started := c.now()
	var rep digest.Report
	opened, record := a.openSourcesLater(ctx, entries, &rep)
	prog := c.progress(co.quiet)
	a.engine.Progress = prog
	var dry *dryEdition
	// The heap floor only once there is a window to cluster: a run that
	// finds nothing new (every feed answers 304) allocates little, and
	// the floor would only make its heap larger.
	var floor func()
	var stopFloor func()
	if f, ok := a.engine.Clusterer.(gcFloor); ok {
		floor = func() { stopFloor = f.Floor() }
	}
	runRep, runErr := a.engine.Run(ctx, digest.RunOptions{
		Sources: opened, Since: cfg.Since, To: recipients, Force: *force,
		Scoped: len(sources) > 0, DryRun: *dryRun, Beside: record, Gathering: floor,
		DryRunOut: func(ed digest.Edition, msg digest.Message) error {
			dry = &dryEdition{ed, msg}
			return nil
		},
	})
	prog.Done()
	if stopFloor != nil {
		stopFloor()
	}
	runRep.Sources = append(rep.Sources, runRep.Sources...)
	runRep.Errors = append(rep.Errors, runRep.Errors...)
	runRep.Notes = append(rep.Notes, runRep.Notes...)
	if a.outbox != nil {
		runRep.Outbox = a.outbox.Dir()
	}
	a.engine.SaveRun(ctx, "now", started, runRep, runErr)
	if *dryRun {
		if dry != nil {
			// Written after the run, so that the JSON carries its counts.
			if err := write(c.stdout, dry.ed, dry.msg, runRep); err != nil {
				return fmt.Errorf("write the edition: %w", err)
			}
		}
		c.printReport(c.stderr, runRep, *dryRun)
	} else {
		c.printReport(c.stdout, runRep, *dryRun)
		if a.outbox != nil {
			switch n := a.outbox.Written(); {
			case n == 1:
				fmt.Fprintf(c.stdout, "wrote %s\n", a.outbox.LastPath())
			case n > 1:
				fmt.Fprintf(c.stdout, "wrote %d messages to %s\n", n, a.outbox.Dir())
			}
		}
	}
	if runErr != nil {
		return runErr
	}
	if len(opened) > 0 && allSourcesFailed(runRep) {
		return fmt.Errorf("every source failed; nothing was sent")
	}
	return nil
}

// dryEdition is what a dry run made instead of sending.
type dryEdition struct {
	ed  digest.Edition
	msg digest.Message
}

// editionWriter returns the writer of a --format: the email's text part
// (with its subject) or HTML part, Markdown, or the JSON document.
func editionWriter(format string) (func(w io.Writer, ed digest.Edition, msg digest.Message, rep digest.Report) error, error) {
	switch strings.ToLower(format) {
	case "", "text", "txt":
		return func(w io.Writer, _ digest.Edition, msg digest.Message, _ digest.Report) error {
			_, err := fmt.Fprintf(w, "Subject: %s\n\n%s", msg.Subject, msg.Text)
			return err
		}, nil
	case "html":
		return func(w io.Writer, _ digest.Edition, msg digest.Message, _ digest.Report) error {
			_, err := io.WriteString(w, msg.HTML)
			return err
		}, nil
	case "markdown", "md":
		return func(w io.Writer, ed digest.Edition, msg digest.Message, rep digest.Report) error {
			_, err := io.WriteString(w, export.Markdown(export.FromEdition(ed, msg, &rep)))
			return err
		}, nil
	case "json":
		return func(w io.Writer, ed digest.Edition, msg digest.Message, rep digest.Report) error {
			b, err := export.JSON(export.FromEdition(ed, msg, &rep))
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}, nil
	}
	return nil, usagef("now: --format %q: want text, markdown, json or html", format)
}

// normaliseAddresses validates --to addresses.
func normaliseAddresses(in []string) ([]string, error) {
	var out []string
	for _, raw := range in {
		for _, part := range strings.Split(raw, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			addr, err := mail.ParseAddress(part)
			if err != nil || strings.ContainsAny(addr.Address, "\r\n") {
				return nil, usagef("--to %q: not an email address", part)
			}
			// The subscribers' validator: no IP-literal domains, no bidi or
			// other invisible characters.
			if _, err := roster.NormaliseEmail(addr.Address); err != nil {
				return nil, usagef("--to %q: %v", part, err)
			}
			out = append(out, normaliseEmail(addr.Address))
		}
	}
	return out, nil
}

// normaliseEmail trims and lower-cases an address, so that one reader has
// one ledger row whatever case they typed.
func normaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func allSourcesFailed(rep digest.Report) bool {
	if len(rep.Sources) == 0 {
		return false
	}
	for _, s := range rep.Sources {
		if s.Error == "" {
			return false
		}
	}
	return true
}

// checkSourceArgs refuses, before anything runs, a --source that names a
// local path that cannot be a source (missing, unreadable, of no known
// kind): a typo in a cron job must not pass as a run with "1 failed".
// Feed URLs are only parsed here (no request): a feed may be down for a
// while without the command line being wrong, and the run reports it.
func checkSourceArgs(ctx context.Context, srcs []string) error {
	for _, s := range srcs {
		if _, err := feed.Open(ctx, s, feed.Options{}); err != nil {
			if errors.Is(err, feed.ErrUnsupported) {
				return usagef("--source %s: %v", s, err)
			}
			return usagef("--source %s: %v (%s)", s, err, sourceKinds)
		}
	}
	return nil
}

// sourceKinds says what a source can be, for usage errors.
const sourceKinds = "a source is a feed URL, an OPML file, a feed file (.xml .rss .atom .rdf .json), an article file (.txt .md .html) or a directory of them"
