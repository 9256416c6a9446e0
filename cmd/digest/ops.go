package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	dmail "github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/internal/redact"
)

func (c *cli) cmdMigrate(ctx context.Context, args []string) error {
	fs, co := c.newFlags("migrate")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.openStoreOnly(ctx, co) // openApp migrates the store
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.migrateQueue(ctx); err != nil {
		return err
	}
	cur, latest, err := a.db.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	fmt.Fprintf(c.stdout, "store %s at schema version %d of %d; job queue migrated\n", redact.URL(a.cfg.DB), cur, latest)
	return nil
}

func (c *cli) cmdDoctor(ctx context.Context, args []string) error {
	fs, co := c.newFlags("doctor")
	asJSON := fs.Bool("json", false, "print problems as JSON")
	a, err := c.openWithFlags(ctx, fs, co, args)
	if err != nil {
		return err
	}
	defer a.Close()
	problems, err := a.db.Check(ctx, c.now())
	if err != nil {
		return fmt.Errorf("check store: %w", err)
	}
	mailer, mailErr := a.doctorMail(ctx)
	if mailErr != nil {
		problems = append(problems, store.Problem{Check: "mail", Detail: mailErr.Error()})
	}
	if *asJSON {
		if problems == nil {
			problems = problems[:0]
		}
		if err := json.NewEncoder(c.stdout).Encode(problems); err != nil {
			return err
		}
	} else {
		for _, p := range problems {
			fmt.Fprintf(c.stdout, "%s: %s\n", p.Check, p.Detail)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("doctor: %d problem(s)", len(problems))
	}
	if !*asJSON {
		fmt.Fprintln(c.stdout, "store is consistent")
		fmt.Fprintln(c.stdout, mailer)
	}
	return nil
}

// doctorTimeout bounds doctor's check of the mail relay.
const doctorTimeout = 15 * time.Second

// doctorMail checks the mailer `digest now` and `serve` would use: the
// relay answers (connect, EHLO, STARTTLS, AUTH), or the outbox directory
// is writable. It returns a line saying what was found.
func (a *app) doctorMail(ctx context.Context) (string, error) {
	if a.cfg.SMTP.URL == "" {
		dir := a.cfg.Outbox
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return "mail: outbox " + dir + " does not exist yet (created on first send)", nil
		}
		return "mail: outbox " + dir + " is writable", dmail.CheckDir(dir)
	}
	s, err := a.newSender()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	if err := s.Check(ctx); err != nil {
		return "", err
	}
	host := ""
	if u, err := url.Parse(a.cfg.SMTP.URL); err == nil {
		host = u.Host
	}
	return "mail: relay " + host + " answers (connect, EHLO, TLS and login as configured)", nil
}

func (c *cli) cmdRuns(ctx context.Context, args []string) error {
	fs, co := c.newFlags("runs")
	limit := fs.Int("n", 20, "how many runs to list")
	asJSON := fs.Bool("json", false, "print JSON")
	a, err := c.openWithFlags(ctx, fs, co, args)
	if err != nil {
		return err
	}
	defer a.Close()
	runs, err := a.db.Runs(ctx, *limit)
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	for i := range runs {
		runs[i].Report = redact.Report(runs[i].Report)
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(runs)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTARTED\tTOOK\tSTATUS\tSOURCES\tNEW\tSTORIES\tSENT\tFAILED\tERRORS")
	for _, r := range runs {
		rep := r.Report
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Kind,
			r.StartedAt.Local().Format("2006-01-02 15:04:05"), r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond),
			r.Status, len(rep.Sources), rep.ArticlesNew, rep.Stories, rep.Sent, rep.Failed, len(rep.Errors))
	}
	return tw.Flush()
}

func (c *cli) runsShow(ctx context.Context, args []string) error {
	fs, co := c.newFlags("runs show")
	asJSON := fs.Bool("json", false, "print JSON")
	articles := fs.Bool("articles", false, "list every article the run read and what became of it")
	if err := parse(fs, interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("runs show: want one run ID")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil {
		return usagef("runs show: %q is not a run ID", fs.Arg(0))
	}
	a, err := c.openStoreOnly(ctx, co)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.db.Run(ctx, id)
	if errors.Is(err, digest.ErrNotFound) {
		return fmt.Errorf("no run %d (see 'digest runs')", id)
	}
	if err != nil {
		return fmt.Errorf("read run: %w", err)
	}
	r.Report = redact.Report(r.Report)
	if *articles {
		lines, err := a.db.RunArticles(ctx, id)
		if err != nil {
			return err
		}
		lines = redact.Articles(lines)
		if *asJSON {
			if lines == nil {
				lines = []digest.ArticleFate{}
			}
			return json.NewEncoder(c.stdout).Encode(lines)
		}
		return c.printArticles(r, lines)
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(r)
	}
	fmt.Fprintf(c.stdout, "run %d (%s) %s, started %s, took %s\n\n", r.ID, r.Kind, r.Status,
		r.StartedAt.Local().Format(time.RFC1123), r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond))
	c.printReport(c.stdout, r.Report, false)
	if len(r.Report.Sources) > 0 {
		fmt.Fprintln(c.stdout)
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tARTICLES\tNEW\t304\tBYTES\tTOOK\tERROR")
		for _, s := range r.Report.Sources {
			nm := "-"
			if s.NotModified {
				nm = "yes"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\n", s.ID, s.Articles, s.New, nm, s.Bytes,
				s.Duration.Round(time.Millisecond), oneLine(s.Error, 80))
		}
		tw.Flush()
	}
	return nil
}

// printArticles prints a run's account of the articles it read: one line
// each, by fate, with the story it went to and the evidence.
func (c *cli) printArticles(r digest.RunRecord, lines []digest.ArticleFate) error {
	if len(lines) == 0 {
		if r.Report.ArticlesRead > 0 {
			fmt.Fprintf(c.stdout, "run %d read %d articles; their account is no longer kept (runs older than %s)\n",
				r.ID, r.Report.ArticlesRead, store.RunArticlesRetention)
			return nil
		}
		fmt.Fprintf(c.stdout, "run %d read no articles\n", r.ID)
		return nil
	}
	fmt.Fprintf(c.stdout, "run %d (%s) read %d articles: %s\n\n", r.ID, r.Kind, len(lines), fateCounts(r.Report))
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FATE\tID\tSOURCE\tTITLE\tSTORY\tWHY")
	for _, l := range lines {
		id := "-"
		if l.ArticleID != 0 {
			id = strconv.FormatInt(l.ArticleID, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Fate, id, oneLine(l.Source, 24), oneLine(l.Title, 60),
			oneLine(cmp.Or(l.StoryTitle, "-"), 40), oneLine(l.Detail, 160))
	}
	return tw.Flush()
}

// cmdHealthcheck asks the local `digest serve` whether it is alive; the
// container image has no shell or curl, so its HEALTHCHECK runs this.
func (c *cli) cmdHealthcheck(ctx context.Context, args []string) error {
	fs, co := c.newFlags("healthcheck")
	addr := fs.String("addr", "", "address of digest serve (default from DIGEST_HTTP_ADDR, :8080)")
	path := fs.String("path", "/healthz", "endpoint to check (/healthz or /readyz)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig(co)
	if err != nil {
		return err
	}
	target := *addr
	if target == "" {
		target = cfg.HTTPAddr
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return usagef("healthcheck: address %q: %v", target, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+*path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *path, resp.Status)
	}
	fmt.Fprintln(c.stdout, "ok")
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
