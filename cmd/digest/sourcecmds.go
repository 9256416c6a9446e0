package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// sourcesShow prints each source's settings, the defaults spelt out.
func (c *cli) sourcesShow(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources show")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, interleave(fs, args)); err != nil {
		return err
	}
	a, err := c.openStoreOnly(ctx, co)
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.sourceEntries(ctx)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if entries, err = pickEntries(entries, fs.Args()); err != nil {
			return err
		}
	}
	if *asJSON {
		type row struct {
			Source   string                `json:"source"`
			Origin   string                `json:"origin"`
			Settings digest.SourceSettings `json:"settings"`
		}
		rows := make([]row, 0, len(entries))
		for _, e := range entries {
			rows = append(rows, row{redact.URL(e.src), origin(e), e.settings})
		}
		return json.NewEncoder(c.stdout).Encode(rows)
	}
	if len(entries) == 0 {
		fmt.Fprintln(c.stdout, "no sources: add some with 'digest sources add URL|FILE|DIR' or in the config file")
		return nil
	}
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		writeSettings(c.stdout, e)
	}
	return nil
}

// pickEntries returns the entries named by srcs; an unknown one is an
// error naming it.
func pickEntries(entries []sourceEntry, srcs []string) ([]sourceEntry, error) {
	byKey := map[string]sourceEntry{}
	for _, e := range entries {
		// As shown by 'sources list' (credentials hidden) too.
		if shown := redact.URL(e.src); shown != e.src {
			byKey[sourceKey(shown)] = e
		}
		byKey[sourceKey(e.src)] = e
		if n, err := normaliseSource(e.src); err == nil {
			byKey[sourceKey(n)] = e
		}
	}
	var out []sourceEntry
	for _, s := range srcs {
		key := sourceKey(s)
		if n, err := normaliseSource(s); err == nil {
			if _, ok := byKey[key]; !ok {
				key = sourceKey(n)
			}
		}
		e, ok := byKey[key]
		if !ok {
			return nil, fmt.Errorf("no source %s (see 'digest sources list')", redact.URL(s))
		}
		out = append(out, e)
	}
	return out, nil
}

func origin(e sourceEntry) string {
	switch {
	case e.config && e.stored:
		return "config file and store"
	case e.config:
		return "config file"
	}
	return "store (digest sources add)"
}

// writeSettings prints one source's settings, with what an unset one
// means.
func writeSettings(w io.Writer, e sourceEntry) {
	s := e.settings
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	weight := "1 (default)"
	if s.Weight > 0 {
		weight = strconv.FormatFloat(s.Weight, 'g', -1, 64)
	}
	fullText := "gather.full_text (default auto: pages of items with short text)"
	switch s.FullText {
	case digest.FullTextOn:
		fullText = "always (every item's page)"
	case digest.FullTextOff:
		fullText = "never (the feed's text only)"
	case digest.FullTextAuto:
		fullText = "auto (pages of items with short text)"
	}
	kind := "from the address"
	if s.Kind == digest.SourceKindOPML {
		kind = "OPML list (its feeds take these settings, but not the name)"
	}
	fmt.Fprintf(w, "%s\n", redact.URL(e.src))
	fmt.Fprintf(w, "  from       %s\n", origin(e))
	fmt.Fprintf(w, "  kind       %s\n", kind)
	fmt.Fprintf(w, "  name       %s\n", or(s.Name, "(the feed's or page's own)"))
	fmt.Fprintf(w, "  weight     %s\n", weight)
	fmt.Fprintf(w, "  full text  %s\n", fullText)
	fmt.Fprintf(w, "  include    %s\n", or(strings.Join(s.Include, "; "), "(everything)"))
	fmt.Fprintf(w, "  exclude    %s\n", or(strings.Join(s.Exclude, "; "), "(nothing)"))
	fmt.Fprintf(w, "  selector   %s\n", or(s.Selector, "(automatic extraction)"))
}

// sourcesSet changes the settings of sources added with `digest sources
// add`; the flags given replace those settings, the others stay.
func (c *cli) sourcesSet(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources set")
	apply := settingsFlags(fs)
	a, err := c.openWithArgs(ctx, fs, co, args, "one or more sources as listed by 'digest sources list', and the settings to change")
	if err != nil {
		return err
	}
	defer a.Close()
	if fs.NFlag() == 0 {
		return usagef("sources set: give the settings to change (--name, --weight, --full-text, --include, --exclude, --selector, --kind)")
	}
	entries, err := a.sourceEntries(ctx)
	if err != nil {
		return err
	}
	picked, err := pickEntries(entries, fs.Args())
	if err != nil {
		return err
	}
	for _, e := range picked {
		if !e.stored {
			return usagef("sources set %s: %v", e.src, errConfigSource)
		}
		reg, err := a.db.RegisteredSource(ctx, e.src)
		if err != nil {
			return fmt.Errorf("sources set %s: %w", e.src, err)
		}
		st := reg.Settings
		if err := apply(&st); err != nil {
			return usagef("sources set %s: %v", e.src, err)
		}
		if err := a.db.SetSourceSettings(ctx, e.src, st); err != nil {
			return fmt.Errorf("sources set %s: %w", e.src, err)
		}
		e.settings = st
		writeSettings(c.stdout, e)
	}
	return nil
}

// OPML 2.0 elements written by `digest sources export`.
type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Created string      `xml:"head>dateCreated"`
	Body    []opmlEntry `xml:"body>outline"`
}

type opmlEntry struct {
	Type     string `xml:"type,attr"`
	Text     string `xml:"text,attr"`
	Title    string `xml:"title,attr"`
	XMLURL   string `xml:"xmlUrl,attr"`
	Category string `xml:"category,attr,omitempty"`
}

// topicWindow is how far back the stored articles of a source are read to
// find its topics for the export.
const topicWindow = 30 * 24 * time.Hour

// sourcesExport writes the feeds as OPML 2.0, each with its name and the
// topics its recent articles are about (as category="/tariffs,/autos").
// Lists are written as the feeds they hold; directories and article files
// have no place in OPML and are named on stderr.
func (c *cli) sourcesExport(ctx context.Context, args []string) error {
	fs, co := c.newFlags("sources export")
	out := fs.String("out", "", "write to this file instead of stdout")
	a, err := c.openWithFlags(ctx, fs, co, args)
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.sourceEntries(ctx)
	if err != nil {
		return err
	}
	var rep digest.Report
	opened := a.openSources(ctx, entries, &rep)
	for _, e := range redact.Report(rep).Errors {
		fmt.Fprintf(c.stderr, "warning: %s\n", e)
	}
	names, topics, err := a.sourceProfiles(ctx)
	if err != nil {
		return err
	}
	doc := opmlDoc{Version: "2.0", Title: a.cfg.SiteName + " sources", Created: c.now().UTC().Format(time.RFC1123Z)}
	var skipped []string
	for _, s := range opened {
		f, isFeed := s.(*feed.Feed)
		if !isFeed {
			skipped = append(skipped, s.ID())
			continue
		}
		name := f.KnownName()
		if name == "" {
			name = names[s.ID()]
		}
		if name == "" {
			name = s.Name()
		}
		e := opmlEntry{Type: "rss", Text: name, Title: name, XMLURL: s.ID()}
		if t := topics[s.ID()]; len(t) > 0 {
			e.Category = "/" + strings.Join(t, ",/")
		}
		doc.Body = append(doc.Body, e)
	}
	var buf strings.Builder
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	buf.WriteString("\n")
	if *out == "" {
		io.WriteString(c.stdout, buf.String())
	} else if err := os.WriteFile(*out, []byte(buf.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	if len(skipped) > 0 {
		printRedacted(c.stderr, "not in the OPML (directories and article files are not feeds): %s\n", strings.Join(skipped, ", "))
	}
	if *out != "" {
		fmt.Fprintf(c.stdout, "wrote %s feeds to %s\n", strconv.Itoa(len(doc.Body)), *out)
	}
	return nil
}

// sourceProfiles reads the stored articles of the last topicWindow and
// returns, per source, the outlet name of its newest article and the
// topics found in at least a fifth of its articles (at most three, most
// frequent first).
func (a *app) sourceProfiles(ctx context.Context) (map[string]string, map[string][]string, error) {
	arts, err := a.db.ArticlesSince(ctx, a.engine.Now().Add(-topicWindow))
	if err != nil {
		return nil, nil, fmt.Errorf("read articles: %w", err)
	}
	r := rank.New(a.rankConfig())
	names := map[string]string{}
	counts := map[string]map[string]int{}
	total := map[string]int{}
	for _, art := range arts { // oldest first: the last name seen is the newest
		if art.SourceName != "" {
			names[art.SourceID] = art.SourceName
		}
		total[art.SourceID]++
		if counts[art.SourceID] == nil {
			counts[art.SourceID] = map[string]int{}
		}
		for _, t := range r.Assess(art.Title, art.Text).Topics {
			counts[art.SourceID][t]++
		}
	}
	topics := map[string][]string{}
	for src, byTopic := range counts {
		var list []string
		for t, n := range byTopic {
			if 5*n >= total[src] {
				list = append(list, t)
			}
		}
		sort.Slice(list, func(i, j int) bool {
			if byTopic[list[i]] != byTopic[list[j]] {
				return byTopic[list[i]] > byTopic[list[j]]
			}
			return list[i] < list[j]
		})
		topics[src] = list[:min(len(list), 3)]
	}
	return names, topics, nil
}
