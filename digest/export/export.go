// Package export turns an edition into the documents people pipe into other
// tools: a versioned JSON document (docs/edition.md describes it) and
// Markdown that renders in a chat or a wiki. The email's own text and HTML
// parts come from package templates.
//
// Everything from articles, feeds and LLM replies is untrusted: it is
// cleaned and bounded with the cleaners the email templates use, only
// http(s) URLs are kept, and the Markdown escapes what could become markup.
package export

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/templates"
)

// Schema names the JSON document and Version is its version. Within one
// version fields are only ever added; a field removed, renamed or given
// another meaning makes a new version.
const (
	Schema  = "tradedigest.edition"
	Version = 1
)

// Document is one edition as JSON: what the reader gets, and what the run
// that made it counted.
type Document struct {
	Schema  string `json:"schema"`
	Version int    `json:"version"`
	// Edition is the ledger key: the local date of a daily edition
	// (YYYY-MM-DD), or the ISO week of a weekly one (YYYY-Www).
	Edition string `json:"edition"`
	// Date is the edition's local date, YYYY-MM-DD.
	Date string `json:"date"`
	// Frequency is "daily" or "weekly".
	Frequency   string     `json:"frequency"`
	TimeZone    string     `json:"time_zone"`
	GeneratedAt time.Time  `json:"generated_at"`
	Since       *time.Time `json:"since,omitempty"`
	Subject     string     `json:"subject,omitempty"`
	Lead        []string   `json:"lead"`
	Stories     []Story    `json:"stories"`
	// More counts the stories left out by the edition's cap.
	More int `json:"more"`
	// Run counts what the run that made the edition did; absent when the
	// document was made outside a run (the archive).
	Run *Run `json:"run,omitempty"`
}

// Story is one story of the edition, in rank order.
type Story struct {
	Rank int `json:"rank"`
	// Key identifies the story across editions (its lead article's
	// content hash).
	Key       string    `json:"key"`
	Headline  string    `json:"headline"`
	Summary   []string  `json:"summary"` // paragraphs
	KeyPoints []string  `json:"key_points"`
	Topics    []string  `json:"topics"`
	Countries []string  `json:"countries"`
	Published time.Time `json:"published,omitzero"`
	// Importance is the LLM's 1–5 judgement, 0 when unknown.
	Importance int `json:"importance"`
	// SummaryBy is "extractive" (sentences of the article) or "llm";
	// Fallback is set when an LLM was asked but the extractive summary
	// stands in. Unfaithful is set when it stands in because the LLM's
	// summary stated figures or names the article does not support.
	SummaryBy  string   `json:"summary_by"`
	Fallback   bool     `json:"fallback"`
	Unfaithful bool     `json:"unfaithful"`
	URL        string   `json:"url,omitempty"` // the lead article's link
	Outlets    []Outlet `json:"outlets"`
}

// Outlet is one report of the story: the lead first.
type Outlet struct {
	Name      string    `json:"name"`
	Title     string    `json:"title"`
	URL       string    `json:"url,omitempty"`
	Published time.Time `json:"published,omitzero"`
}

// Run is the counts of a run report.
type Run struct {
	Sources         int `json:"sources"`
	SourcesFailed   int `json:"sources_failed"`
	ArticlesFetched int `json:"articles_fetched"`
	ArticlesNew     int `json:"articles_new"`
	// Fates counts what became of the articles the run read: the run's
	// account (digest.Fates: "lead", "also_reported", "merged",
	// "duplicate", "off_topic", "outside_window", ...). A report made
	// without an account gives "new" (stored for the first time) and
	// "not_new" (already stored, or older than a new source's first-gather
	// window) instead.
	Fates             map[string]int `json:"fates"`
	Stories           int            `json:"stories"`
	StoriesDropped    int            `json:"stories_dropped"`
	SummariesNew      int            `json:"summaries_new"`
	SummariesCached   int            `json:"summaries_cached"`
	SummariesFallback int            `json:"summaries_fallback"`
	// SummariesUnfaithful counts the fallbacks made because the LLM's
	// summary stated figures or names the article does not support; they
	// are part of SummariesFallback.
	SummariesUnfaithful int      `json:"summaries_unfaithful"`
	Errors              []string `json:"errors"`
}

// Limits of what the document carries per story.
const (
	maxOutlets = 50
	maxTopics  = 20
	maxURL     = 2000
)

// FromEdition builds the document of ed as rendered in msg (for its
// subject); rep, when not nil, adds the run's counts.
func FromEdition(ed digest.Edition, msg digest.Message, rep *digest.Report) Document {
	d := Document{
		Schema: Schema, Version: Version,
		Edition: ed.Date, Date: ed.Date, Frequency: "daily",
		TimeZone:    cmp.Or(ed.Recipient.TimeZone, digest.DefaultTimeZone),
		GeneratedAt: ed.GeneratedAt.UTC(),
		Subject:     templates.CleanLine(msg.Subject, 250),
		Lead:        nonNil(templates.CleanParagraphs(ed.Lead, templates.MaxParagraph)),
		Stories:     make([]Story, 0, len(ed.Stories)),
		More:        max(ed.More, 0),
	}
	if ed.Key != "" {
		d.Edition = ed.Key
	}
	if ed.Weekly {
		d.Frequency = "weekly"
	}
	if !ed.Since.IsZero() {
		s := ed.Since.UTC()
		d.Since = &s
	}
	for i, st := range ed.Stories {
		d.Stories = append(d.Stories, storyOf(i+1, st))
	}
	if rep != nil {
		d.Run = runOf(*rep)
	}
	return d
}

func storyOf(rank int, st digest.Story) Story {
	lead := st.Lead()
	s := Story{
		Rank:       rank,
		Key:        st.Key,
		Headline:   templates.CleanLine(st.Summary.Headline, templates.MaxHeadline),
		Summary:    nonNil(templates.CleanParagraphs(st.Summary.Text, templates.MaxParagraph)),
		KeyPoints:  []string{},
		Topics:     cleanList(append(append([]string{}, st.Topics...), st.Summary.Topics...), maxTopics),
		Countries:  cleanList(st.Summary.Countries, maxTopics),
		Importance: min(max(st.Summary.Importance, 0), 5),
		SummaryBy:  summaryBy(st.Summary),
		Fallback:   st.Summary.Fallback,
		Unfaithful: st.Summary.Unfaithful(),
		URL:        templates.SafeURL(lead.URL),
		Outlets:    []Outlet{},
	}
	if s.Key == "" {
		s.Key = lead.ContentHash
	}
	if s.Headline == "" {
		s.Headline = templates.CleanLine(lead.Title, templates.MaxHeadline)
	}
	if s.Headline == "" && len(s.Summary) > 0 {
		s.Headline = templates.CleanLine(s.Summary[0], 90)
	}
	if t := st.Published(); !t.IsZero() {
		s.Published = t.UTC()
	}
	for _, p := range st.Summary.KeyPoints {
		if len(s.KeyPoints) == templates.MaxKeyPoints {
			break
		}
		if p = templates.CleanLine(p, templates.MaxKeyPoint); p != "" {
			s.KeyPoints = append(s.KeyPoints, p)
		}
	}
	seen := map[string]bool{}
	for _, a := range st.Articles {
		o := Outlet{
			Name:  templates.CleanLine(a.SourceName, templates.MaxName),
			Title: templates.CleanLine(a.Title, templates.MaxHeadline),
			URL:   templates.SafeURL(a.URL),
		}
		if o.Name == "" {
			o.Name = templates.HostOf(o.URL)
		}
		if !a.Published.IsZero() {
			o.Published = a.Published.UTC()
		}
		k := o.Name + "\x00" + o.URL
		if seen[k] || len(s.Outlets) == maxOutlets {
			continue
		}
		seen[k] = true
		s.Outlets = append(s.Outlets, o)
	}
	return s
}

func summaryBy(s digest.Summary) string {
	switch s.Backend {
	case "", "extractive", "stub":
		return "extractive"
	}
	if s.Fallback {
		return "extractive"
	}
	return "llm"
}

// cleanList cleans, lower-cases and de-duplicates names, keeping order.
func cleanList(in []string, n int) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, v := range in {
		v = templates.CleanLine(v, templates.MaxName)
		k := strings.ToLower(v)
		if v == "" || seen[k] || len(out) == n {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}

func runOf(rep digest.Report) *Run {
	r := &Run{
		Sources:             len(rep.Sources),
		ArticlesFetched:     rep.ArticlesFetched,
		ArticlesNew:         rep.ArticlesNew,
		Fates:               map[string]int{},
		Stories:             rep.Stories,
		StoriesDropped:      rep.StoriesDropped,
		SummariesNew:        rep.SummariesNew,
		SummariesCached:     rep.SummariesCached,
		SummariesFallback:   rep.SummariesFallback,
		SummariesUnfaithful: rep.SummariesUnfaithful,
		Errors:              []string{},
	}
	for _, s := range rep.Sources {
		if s.Error != "" {
			r.SourcesFailed++
		}
	}
	if len(rep.Fates) > 0 {
		maps.Copy(r.Fates, rep.Fates)
	} else {
		r.Fates["new"] = rep.ArticlesNew
		r.Fates["not_new"] = max(rep.ArticlesFetched-rep.ArticlesNew, 0)
	}
	for _, e := range rep.Errors {
		r.Errors = append(r.Errors, templates.CleanLine(e, 500))
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON encodes d, indented, with a final newline. HTML-significant
// characters are left as they are: the document is data, not markup.
func JSON(d Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
