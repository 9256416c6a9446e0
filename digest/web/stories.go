package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazy"
)

// Bounds of the per-story feed: the stories of the last week of dailies,
// and of each story's untrusted text.
const (
	storiesEditions  = 7
	storiesLimit     = 100
	storyHeadline    = 300  // runes
	storySummary     = 2000 // runes
	storyKeyPoints   = 10
	storyKeyPoint    = 300 // runes
	storyOutlets     = 20
	storyOutletName  = 100 // runes
	storyCategories  = 10
	storyCategoryLen = 60 // runes
)

// storyContent is the HTML of one story's feed entry. html/template
// escapes every value and drops a URL that is not http(s) (the handler
// has checked them already). Parsed on first use, like editionNavTmpl:
// not in the package initialiser, which every command of the binary runs.
var storyContent = lazy.Value[*template.Template]{Build: func() *template.Template {
	return template.Must(template.New("story").Parse(
		`{{if .Summary}}<p>{{.Summary}}</p>{{end}}` +
			`{{if .KeyPoints}}<ul>{{range .KeyPoints}}<li>{{.}}</li>{{end}}</ul>{{end}}` +
			`{{if .Outlets}}<p>Reported by: {{range $i, $o := .Outlets}}{{if $i}}, {{end}}` +
			`{{if $o.URL}}<a href="{{$o.URL}}">{{$o.Name}}</a>{{else}}{{$o.Name}}{{end}}{{end}}.</p>{{end}}` +
			`<p><a href="{{.Archive}}">In the edition of {{.Date}}</a></p>`))
}}

// storyEntry is an Atom entry of the per-story feed.
type storyEntry struct {
	Title      string         `xml:"title"`
	ID         string         `xml:"id"`
	Updated    string         `xml:"updated"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Content    atomText       `xml:"content"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// handleStoriesFeed serves an Atom feed with one entry per story of the
// latest archived editions, newest edition first and in each edition the
// archive page's order. An entry's id is the story's anchor on the archive
// page, so it stays the same however often the feed is read; its link is
// the lead article when that is an http(s) URL, else the anchor. Editions
// archived before stories were kept contribute nothing.
func (s *Server) handleStoriesFeed(w http.ResponseWriter, r *http.Request) {
	eds, err := s.editions(r, storiesEditions)
	if err != nil {
		s.serverError(w, r, "list editions", err)
		return
	}
	self := s.cfg.BaseURL + "/stories.xml"
	feed := atomFeed[storyEntry]{
		Title: s.cfg.SiteName + " · stories",
		ID:    self,
		Links: []atomLink{
			{Href: self, Rel: "self", Type: "application/atom+xml"},
			{Href: s.cfg.BaseURL + "/archive", Rel: "alternate", Type: "text/html"},
		},
		Author: atomAuthor{Name: s.cfg.SiteName},
	}
	var newest time.Time
	var buf bytes.Buffer
editions:
	for _, ed := range eds {
		updated := editionTime(ed)
		if len(ed.Items) > 0 && updated.After(newest) {
			newest = updated
		}
		archive := s.links.ArchiveURL(ed.Date)
		for i, it := range ed.Items {
			if len(feed.Entries) >= storiesLimit {
				break editions
			}
			anchor := archive + "#story-" + strconv.Itoa(i+1)
			e := storyEntry{
				Title:   clip(it.Headline, storyHeadline),
				ID:      anchor,
				Updated: updated.Format(time.RFC3339),
			}
			if e.Title == "" {
				e.Title = "Story " + strconv.Itoa(i+1) + " of " + ed.Date
			}
			if lead := httpURL(it.URL); lead != "" {
				e.Links = append(e.Links, atomLink{Href: lead, Rel: "alternate", Type: "text/html"})
				e.Links = append(e.Links, atomLink{Href: anchor, Rel: "related", Type: "text/html"})
			} else {
				e.Links = append(e.Links, atomLink{Href: anchor, Rel: "alternate", Type: "text/html"})
			}
			for _, t := range it.Topics[:min(len(it.Topics), storyCategories)] {
				if t = clip(t, storyCategoryLen); t != "" {
					e.Categories = append(e.Categories, atomCategory{Term: t})
				}
			}
			buf.Reset()
			if err := storyContent.Get().Execute(&buf, storyView(it, ed.Date, anchor)); err != nil {
				s.serverError(w, r, "render story entry", err)
				return
			}
			// encoding/xml escapes the HTML once more, as the Atom html
			// content type requires.
			e.Content = atomText{Type: "html", Body: buf.String()}
			feed.Entries = append(feed.Entries, e)
		}
	}
	feed.Updated = atomUpdated(newest)
	s.writeAtom(w, r, "stories feed", feed)
}

// storyData is what storyContent shows of a story: bounded, XML-safe text
// and only http(s) links.
type storyData struct {
	Summary   string
	KeyPoints []string
	Outlets   []digest.ArchivedOutlet
	Archive   string
	Date      string
}

func storyView(it digest.ArchivedStory, date, archive string) storyData {
	d := storyData{Summary: clip(it.Summary, storySummary), Archive: archive, Date: date}
	for _, k := range it.KeyPoints[:min(len(it.KeyPoints), storyKeyPoints)] {
		if k = clip(k, storyKeyPoint); k != "" {
			d.KeyPoints = append(d.KeyPoints, k)
		}
	}
	for _, o := range it.Outlets[:min(len(it.Outlets), storyOutlets)] {
		if name := clip(o.Name, storyOutletName); name != "" {
			d.Outlets = append(d.Outlets, digest.ArchivedOutlet{Name: name, URL: httpURL(o.URL)})
		}
	}
	return d
}

// clip makes untrusted text fit for the feed: XML-safe, one line of
// collapsed white space, at most n runes.
func clip(v string, n int) string {
	v = strings.Join(strings.Fields(xmlSafe(v)), " ")
	if v == "" {
		return ""
	}
	return truncateRunes(v, n)
}

// httpURL returns v when it is an absolute http(s) URL with a host, else "".
func httpURL(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}
