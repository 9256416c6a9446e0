package web

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazy"
)

// Archive sizes: the list page shows a year of dailies, the feed a month.
const (
	archiveLimit = 366
	feedLimit    = 30
	feedSummary  = 600 // runes of an edition's text in its feed entry
)

// editions returns up to limit editions, newest first whatever order the
// store keeps.
func (s *Server) editions(r *http.Request, limit int) ([]digest.ArchivedEdition, error) {
	eds, err := s.cfg.Editions.Editions(r.Context(), limit)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(eds, func(a, b digest.ArchivedEdition) int { return cmp.Compare(b.Date, a.Date) })
	return eds, nil
}

func (s *Server) handleArchive(w http.ResponseWriter, r *http.Request) {
	eds, err := s.editions(r, archiveLimit)
	if err != nil {
		s.serverError(w, r, "list editions", err)
		return
	}
	items := make([]archiveItem, 0, len(eds))
	for _, ed := range eds {
		it := archiveItem{Date: ed.Date, Subject: ed.Subject}
		// The default subject already says how many stories there are;
		// the count is added only when a custom subject does not.
		if ed.Stories > 0 {
			if c := plural(ed.Stories, "story", "stories"); !strings.Contains(ed.Subject, c) {
				it.Count = c
			}
		}
		items = append(items, it)
	}
	s.render(w, r, http.StatusOK, "archive", "Past editions", struct {
		Editions  []archiveItem
		Subscribe bool // sign-up is offered (a mailer is configured)
	}{items, s.cfg.Mailer != nil})
}

// archiveItem is one line of the archive list.
type archiveItem struct {
	Date, Subject string
	Count         string // "3 stories" when the subject does not say it
}

// plural returns "1 story" or "n stories".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// validDate reports whether v is a real calendar date spelt YYYY-MM-DD.
func validDate(v string) bool {
	if len(v) != len(time.DateOnly) {
		return false
	}
	_, err := time.Parse(time.DateOnly, v)
	return err == nil
}

// handleEdition serves the stored public HTML of one edition as it is, under
// a policy that allows its inline styles and no script. An edition stored
// without HTML is shown as text in the site's layout.
func (s *Server) handleEdition(w http.ResponseWriter, r *http.Request) {
	date := r.PathValue("date")
	if !validDate(date) {
		s.message(w, r, http.StatusBadRequest, "No such edition",
			[]string{"Editions are named by their date, YYYY-MM-DD."}, link{"/archive", "All editions"})
		return
	}
	ed, err := s.cfg.Editions.Edition(r.Context(), date)
	if errors.Is(err, digest.ErrNotFound) {
		s.message(w, r, http.StatusNotFound, "No such edition",
			[]string{"There is no edition for " + date + "."}, link{"/archive", "All editions"})
		return
	}
	if err != nil {
		s.serverError(w, r, "load edition", err)
		return
	}
	if ed.HTML == "" {
		s.render(w, r, http.StatusOK, "edition", ed.Subject, ed)
		return
	}
	nav, err := s.editionNav(r, date)
	if err != nil {
		s.serverError(w, r, "list editions", err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", archiveCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(withNav(ed.HTML, nav)))
}

// editionNavTmpl is the bar an archived edition opens with: the editions
// before and after it, the list, and sign-up. Styled inline, like the
// stored email around it: the archive's CSP allows no style sheet.
// Parsed on first use.
var editionNavTmpl = lazy.Value[*template.Template]{Build: func() *template.Template {
	return template.Must(template.New("nav").Parse(`<nav aria-label="Editions" style="font-family:sans-serif;font-size:14px;padding:8px 12px;text-align:center">
{{- with .Older}}<a href="/archive/{{.}}" rel="prev">&larr; {{.}}</a> · {{end -}}
<a href="/archive">All editions</a>
{{- with .Newer}} · <a href="/archive/{{.}}" rel="next">{{.}} &rarr;</a>{{end}}
{{- if .Subscribe}} · <a href="/subscribe">Subscribe</a>{{end -}}
</nav>
`))
}}

// editionNav renders the navigation of the edition of date: its
// neighbours among the archived editions.
func (s *Server) editionNav(r *http.Request, date string) (string, error) {
	dates, err := s.cfg.Editions.EditionDates(r.Context(), archiveLimit)
	if err != nil {
		return "", err
	}
	var data struct {
		Older, Newer string
		Subscribe    bool
	}
	data.Subscribe = s.cfg.Mailer != nil
	for _, d := range dates { // newest first
		switch {
		case d > date:
			data.Newer = d // the last one above date is the nearest
		case d < date && data.Older == "":
			data.Older = d
		}
	}
	var b strings.Builder
	if err := editionNavTmpl.Get().Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// withNav puts nav at the start of the stored edition's body (before
// everything when it has no body element).
func withNav(page, nav string) string {
	lower := strings.ToLower(page)
	i := strings.Index(lower, "<body")
	if i < 0 {
		return nav + page
	}
	j := strings.IndexByte(page[i:], '>')
	if j < 0 {
		return nav + page
	}
	at := i + j + 1
	return page[:at] + nav + page[at:]
}

// Atom (RFC 4287) elements used by the feeds; an atomFeed's entries are
// editions (/feed.xml) or stories (/stories.xml).
type atomFeed[E any] struct {
	XMLName xml.Name   `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string     `xml:"title"`
	ID      string     `xml:"id"`
	Updated string     `xml:"updated"`
	Links   []atomLink `xml:"link"`
	Author  atomAuthor `xml:"author"`
	Entries []E        `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	Title   string    `xml:"title"`
	ID      string    `xml:"id"`
	Updated string    `xml:"updated"`
	Link    atomLink  `xml:"link"`
	Summary *atomText `xml:"summary,omitempty"`
	Content *atomText `xml:"content,omitempty"`
}

// handleFeed serves an Atom feed of the latest editions, with absolute
// links built from BaseURL.
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request) {
	eds, err := s.editions(r, feedLimit)
	if err != nil {
		s.serverError(w, r, "list editions", err)
		return
	}
	feed := atomFeed[atomEntry]{
		Title: s.cfg.SiteName,
		ID:    s.cfg.BaseURL + "/feed.xml",
		Links: []atomLink{
			{Href: s.cfg.BaseURL + "/feed.xml", Rel: "self", Type: "application/atom+xml"},
			{Href: s.cfg.BaseURL + "/archive", Rel: "alternate", Type: "text/html"},
		},
		Author: atomAuthor{Name: s.cfg.SiteName},
	}
	var newest time.Time
	for _, ed := range eds {
		updated := editionTime(ed)
		if updated.After(newest) {
			newest = updated
		}
		e := atomEntry{
			Title:   ed.Subject,
			ID:      s.links.ArchiveURL(ed.Date),
			Updated: updated.Format(time.RFC3339),
			Link:    atomLink{Href: s.links.ArchiveURL(ed.Date), Rel: "alternate", Type: "text/html"},
		}
		if e.Title == "" {
			e.Title = s.cfg.SiteName + " " + ed.Date
		}
		if ed.Text != "" {
			e.Summary = &atomText{Type: "text", Body: truncateRunes(xmlSafe(ed.Text), feedSummary)}
		}
		// The edition itself, as the archive page shows it: feed readers
		// get the HTML edition, not the plain-text part's ASCII rules.
		// The stored HTML is the renderer's, made from cleaned and
		// escaped text; encoding/xml escapes it once more as the Atom
		// html content type requires, and the renderer keeps it under
		// 100 KB.
		if html := editionBody(ed.HTML); html != "" {
			e.Content = &atomText{Type: "html", Body: xmlSafe(html)}
		}
		feed.Entries = append(feed.Entries, e)
	}
	feed.Updated = atomUpdated(newest)
	s.writeAtom(w, r, "feed", feed)
}

// atomUpdated is a feed's updated time: its newest entry's, or the epoch
// when it has none.
func atomUpdated(newest time.Time) string {
	if newest.IsZero() {
		newest = time.Unix(0, 0)
	}
	return newest.UTC().Format(time.RFC3339)
}

// writeAtom encodes an Atom document (what names it in an error) and
// serves it, cacheable for five minutes.
func (s *Server) writeAtom(w http.ResponseWriter, r *http.Request, what string, doc any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		s.serverError(w, r, "encode "+what, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(buf.Bytes())
}

// editionBody returns the part of a stored HTML edition inside <body>
// (all of it when there is no body element): a feed entry's content is a
// fragment, not a document with its own head.
func editionBody(html string) string {
	lower := strings.ToLower(html)
	start := strings.Index(lower, "<body")
	if start < 0 {
		return strings.TrimSpace(html)
	}
	open := strings.IndexByte(lower[start:], '>')
	if open < 0 {
		return ""
	}
	body := html[start+open+1:]
	if end := strings.LastIndex(strings.ToLower(body), "</body>"); end >= 0 {
		body = body[:end]
	}
	return strings.TrimSpace(body)
}

// editionTime is when an edition was made, or noon UTC of its date when the
// store kept no time.
func editionTime(ed digest.ArchivedEdition) time.Time {
	if !ed.CreatedAt.IsZero() {
		return ed.CreatedAt.UTC()
	}
	d, err := time.Parse(time.DateOnly, ed.Date)
	if err != nil {
		return time.Unix(0, 0).UTC()
	}
	return d.Add(12 * time.Hour)
}

// xmlSafe drops the characters XML 1.0 cannot carry at all (control
// characters other than tab and newlines, invalid UTF-8), which
// encoding/xml would otherwise write as U+FFFD or refuse.
func xmlSafe(v string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != utf8.RuneError && r != 0xFFFE && r != 0xFFFF)
	}
	out := make([]rune, 0, len(v))
	for _, r := range v {
		if ok(r) {
			out = append(out, r)
		}
	}
	return string(out)
}

func truncateRunes(v string, n int) string {
	if utf8.RuneCountInString(v) <= n {
		return v
	}
	r := []rune(v)
	return string(r[:n-1]) + "…"
}
