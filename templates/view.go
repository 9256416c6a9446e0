package templates

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// View is what the templates see. Every string in it has been cleaned:
// control characters dropped, lengths capped, and every URL checked to be
// http(s) (or mailto for the unsubscribe fallback). html/template escapes it
// again for HTML.
type View struct {
	SiteName  string
	Subject   string // set after subject.txt.tmpl ran; empty while it runs
	Date      string // "Friday 27 November 2026"
	DateISO   string // "2026-11-27"
	Since     string // "Thursday 26 November 2026, 07:00 UTC"; empty when unknown
	CountText string // "5 stories"
	Preheader string // hidden preview line: count and first headline
	Lead      []string
	Stories   []StoryView
	// Contents is set when the edition opens with its list of stories ("In
	// this edition"): when it shows two or more.
	Contents bool
	More     int    // stories not shown (limits of the engine and of size)
	MoreText string // "…and 3 more stories"; "…and 3 more this week" when Weekly
	// Weekly marks the weekly edition: Date then reads "The week to
	// Friday 4 December 2026".
	Weekly bool
	// Public is set for the web-archive version: no recipient, no personal
	// links.
	Public bool
	Email  string
	Name   string
	// Personal links; empty when unset or not http(s).
	ArchiveURL     string
	PreferencesURL string
	UnsubscribeURL string // https one-click URL, else the mailto fallback
	// FooterLinks are the links above in display order, for templates that
	// list them.
	FooterLinks []Link
}

// StoryView is one story as the templates see it.
type StoryView struct {
	Number   int
	Headline string
	// LanguageNote is "(in German)" when the lead article is not in
	// English, empty when it is or its language is unknown.
	LanguageNote string
	URL          string   // lead article's http(s) URL; empty: no link
	Source       string   // lead outlet name, else the URL's host
	Date         string   // "27 Nov 2026, 06:10 UTC"; empty when unknown
	Marker       string   // how the summary was made
	Meta         []string // date, outlet, marker: the parts present
	MetaLine     string   // Meta joined with " · "
	Label        string   // "1.  ", the number padded for the text part
	Anchor       string   // "story-1", the id the contents list links to
	Paragraphs   []string
	KeyPoints    []string
	Also         []Link // other outlets, deduplicated, at most maxAlso
	AlsoMore     int    // outlets beyond maxAlso
	AlsoNames    string // "Outlet A, Outlet B and 2 more"
	// AlsoFrom are further reports from outlets the story already names
	// (the lead's own, or one in Also), each with its headline: a story
	// never hides an article that joined it. At most maxAlso.
	AlsoFrom     []Report
	AlsoFromMore int // reports beyond maxAlso

	key uint64 // story cache key; 0 when not cached
}

// Report is one more article of a story from an outlet the story already
// names: "Also from <Outlet>: <Title>".
type Report struct {
	Outlet string
	Title  string
	URL    string // empty: the title is shown without a link
}

// Link is a named http(s) link; URL may be empty when the source has no
// usable URL, and the name is then shown without a link.
type Link struct {
	Name string
	URL  string
}

// view builds the template data of ed with all its stories; setStories then
// chooses how many are shown.
func (r *Renderer) view(ed digest.Edition, public bool) View {
	loc := r.location(ed.Recipient.TimeZone)
	v := View{SiteName: r.siteName, Public: public, More: max(ed.More, 0)}

	day, err := time.ParseInLocation("2006-01-02", ed.Date, loc)
	if err != nil {
		day = ed.GeneratedAt
		if day.IsZero() {
			day = r.now()
		}
		day = day.In(loc)
	}
	v.Date = day.Format("Monday 2 January 2006")
	if ed.Weekly {
		v.Weekly = true
		v.Date = "The week to " + v.Date
	}
	v.DateISO = day.Format("2006-01-02")
	if !ed.Since.IsZero() {
		v.Since = ed.Since.In(loc).Format("Monday 2 January 2006, 15:04 MST")
	}
	v.Lead = cleanParagraphs(ed.Lead, maxLead)

	v.Stories = make([]StoryView, 0, len(ed.Stories))
	for i, st := range ed.Stories {
		sv := r.storyView(st, ed.Recipient.TimeZone, loc)
		sv.Number = i + 1
		sv.Label = fmt.Sprintf("%-4s", strconv.Itoa(i+1)+".")
		sv.Anchor = "story-" + strconv.Itoa(i+1)
		v.Stories = append(v.Stories, sv)
	}

	if !public {
		v.Email = cleanLine(ed.Recipient.Email, 254)
		v.Name = cleanLine(ed.Recipient.Name, maxName)
		v.ArchiveURL = safeURL(ed.ArchiveURL)
		v.PreferencesURL = safeURL(ed.PreferencesURL)
		v.UnsubscribeURL = safeURL(ed.UnsubscribeURL)
		if v.UnsubscribeURL == "" {
			v.UnsubscribeURL = safeMailto(ed.UnsubscribeMailto)
		}
		v.FooterLinks = footerLinks(v.ArchiveURL, v.PreferencesURL, v.UnsubscribeURL)
	}
	return v
}

// minContents is the fewest stories an edition lists at its top: a
// single story needs no list.
const minContents = 2

// setStories shows the first k stories of all and counts the rest as more.
func (v *View) setStories(all []StoryView, k, engineMore int) {
	v.Stories = all[:k]
	v.More = engineMore + len(all) - k
	v.CountText = plural(k, "story", "stories")
	v.Contents = k >= minContents
	v.MoreText = ""
	if v.More > 0 {
		v.MoreText = "…and " + plural(v.More, "more story", "more stories")
		if v.Weekly {
			v.MoreText = "…and " + strconv.Itoa(v.More) + " more this week"
		}
	}
	v.Preheader = ""
	if k > 0 {
		v.Preheader = truncate(v.CountText+": "+all[0].Headline, 150)
	} else {
		v.Preheader = "No major trade news this time"
	}
}

// storyView returns the view of st in the zone tz (loaded as loc), from the
// cache when the same story was seen before.
func (r *Renderer) storyView(st digest.Story, tz string, loc *time.Location) StoryView {
	if !r.cache.enabled() {
		return storyView(st, loc, r.language)
	}
	k := r.cache.key(st, tz)
	if sv, ok := r.cache.view(k); ok {
		return sv
	}
	sv := storyView(st, loc, r.language)
	sv.key = k
	r.cache.putView(k, sv)
	return sv
}

// leadFallbackRunes is how much of the lead article stands in for a missing
// summary.
const leadFallbackRunes = 600

// storyView returns the view of st in loc for an edition in the language
// lang.
func storyView(st digest.Story, loc *time.Location, lang string) StoryView {
	lead := st.Lead()
	sv := StoryView{
		Headline: cleanLine(st.Summary.Headline, maxHeadline),
		URL:      safeURL(lead.URL),
		Source:   cleanLine(lead.SourceName, maxName),
		Marker:   marker(st.Summary),
	}
	if sv.Headline == "" {
		sv.Headline = cleanLine(lead.Title, maxHeadline)
	}
	if sv.Source == "" && sv.URL != "" {
		sv.Source = hostOf(sv.URL)
	}
	if lead.Language != lang {
		if name := digest.LanguageName(lead.Language); name != "" {
			// An LLM wrote the summary in the edition's language; the
			// offline summary is the article's own sentences.
			sv.LanguageNote = "(in " + name + ")"
			if sv.Marker == aiMarker && st.Summary.Headline != "" {
				sv.LanguageNote = "(from " + name + ")"
			}
		}
	}
	if t := st.Published(); !t.IsZero() {
		sv.Date = t.In(loc).Format("2 Jan 2006, 15:04 MST")
	}

	sv.Paragraphs = cleanParagraphs(st.Summary.Text, maxParagraph)
	if len(sv.Paragraphs) == 0 {
		// No summary (should not happen): the opening of the article is the
		// most honest stand-in.
		sv.Paragraphs = cleanParagraphs(lead.Text, leadFallbackRunes)
	}
	if sv.Headline == "" {
		sv.Headline = "Untitled story"
		if len(sv.Paragraphs) > 0 {
			sv.Headline = truncate(sv.Paragraphs[0], 90)
		}
	}
	for _, p := range st.Summary.KeyPoints {
		if len(sv.KeyPoints) == maxKeyPoints {
			break
		}
		if p = cleanLine(p, maxKeyPoint); p != "" {
			sv.KeyPoints = append(sv.KeyPoints, p)
		}
	}

	for _, m := range []string{sv.Date, sv.Source, sv.Marker} {
		if m != "" {
			sv.Meta = append(sv.Meta, m)
		}
	}
	sv.MetaLine = strings.Join(sv.Meta, " · ")

	seen := map[string]bool{strings.ToLower(sv.Source): true}
	var names []string
	for _, a := range st.Articles[min(1, len(st.Articles)):] {
		l := Link{Name: cleanLine(a.SourceName, maxName), URL: safeURL(a.URL)}
		if l.Name == "" {
			l.Name = hostOf(l.URL)
		}
		key := strings.ToLower(l.Name)
		if l.Name == "" || seen[key] {
			if len(sv.AlsoFrom) == maxAlso {
				sv.AlsoFromMore++
				continue
			}
			r := Report{Outlet: cmp.Or(l.Name, "the same source"), Title: cleanLine(a.Title, maxHeadline), URL: l.URL}
			if r.Title == "" {
				r.Title = truncate(strings.Join(cleanParagraphs(a.Text, 120), " "), 90)
			}
			sv.AlsoFrom = append(sv.AlsoFrom, r)
			continue
		}
		seen[key] = true
		if len(sv.Also) == maxAlso {
			sv.AlsoMore++
			continue
		}
		sv.Also = append(sv.Also, l)
		names = append(names, l.Name)
	}
	sv.AlsoNames = strings.Join(names, ", ")
	if sv.AlsoMore > 0 {
		sv.AlsoNames += " and " + plural(sv.AlsoMore, "more", "more")
	}
	return sv
}

const aiMarker = "AI-generated summary"

// marker tells the reader how a summary was made. Backends other than the
// offline ones are language models.
func marker(s digest.Summary) string {
	switch {
	case s.Backend == "" && s.Text == "":
		return ""
	case s.Unfaithful():
		// Says why a reader who expects AI summaries finds an excerpt.
		return "Summary extracted from the article (the AI summary stated facts the article does not)"
	case s.Fallback, s.Backend == "", s.Backend == "extractive", s.Backend == "stub":
		return "Summary extracted from the article"
	default:
		return aiMarker
	}
}
