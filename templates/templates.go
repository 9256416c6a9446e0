// Package templates renders digest editions as email messages: an HTML part
// laid out with tables and inline CSS for Gmail and Outlook, and a plain-text
// part wrapped at 72 columns.
//
// The templates are embedded and may be overridden file by file from a
// directory. Everything is parsed, and the CSS inlined, once in New, which
// also renders a sample edition so that a broken template fails at start-up
// rather than at the first send.
//
// All article and summary text is untrusted: it is cleaned of control
// characters, capped in length and escaped by html/template, and only
// http(s) URLs become links.
//
// Writing an override: the files are listed by Files. digest.html.tmpl
// (html/template), digest.txt.tmpl and subject.txt.tmpl (text/template)
// receive a View. Each of the two body files defines a "story" template,
// called as {{story .}} with a StoryView, and an "entry" template, the
// story's line in the contents list, called as {{entry .}}; each sees only
// that story, which lets the Renderer reuse its output across messages
// (and with the embedded templates, readers who share an edition share one
// rendering: see shared.go). styles.css holds ".class {
// ... }" rules only; every static class="..." in digest.html.tmpl becomes the
// matching style="..." when the Renderer is made. HTML functions: story, entry, mso
// (an Outlook conditional comment around constant markup), join, upper. Text
// functions: story, entry, wrap WIDTH INDENT TEXT, hang WIDTH PREFIX TEXT, rule N,
// join, upper. The subject is made one line whatever the template writes.
package templates

import (
	"bytes"
	"cmp"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// The template files. A file of the same name in Options.Dir replaces the
// embedded one.
const (
	htmlFile    = "digest.html.tmpl"
	textFile    = "digest.txt.tmpl"
	subjectFile = "subject.txt.tmpl"
	stylesFile  = "styles.css"
)

// Files lists the names of the template files, for documentation and for
// tools that watch an override directory.
func Files() []string { return []string{htmlFile, textFile, subjectFile, stylesFile} }

//go:embed assets/*
var assets embed.FS

// Defaults of Options.
const (
	DefaultSiteName = digest.DefaultSiteName
	// DefaultMaxBytes keeps HTML and text together, as sent
	// (quoted-printable), below Gmail's 102 KB clipping threshold, with
	// room for the headers.
	DefaultMaxBytes = 100_000
	// DefaultCacheBytes holds a few thousand rendered stories.
	DefaultCacheBytes = 16 << 20
)

// Options configure a Renderer. The zero value is usable.
type Options struct {
	// Dir holds override templates; a file there named like an embedded one
	// (see Files) replaces it, and the others stay embedded. Empty: all
	// embedded.
	Dir string
	// SiteName is the digest's name in the subject, header and footer.
	// Default DefaultSiteName.
	SiteName string
	Logger   *slog.Logger
	// MaxBytes caps the size of a message's HTML and text parts as they
	// are sent (quoted-printable encoded, which adds 3–8% to HTML); stories
	// are dropped from the end to fit. Default DefaultMaxBytes.
	MaxBytes int
	// Now is the clock, used only when an edition has no date.
	Now func() time.Time
	// Language is the edition's ISO 639-1 code, the language LLM
	// summaries are written in (default "en"). A story whose article is in
	// another language says so: "(from German)" over an LLM summary,
	// "(in German)" over the article's own sentences.
	Language string
	// CacheBytes bounds the memory kept to reuse each story's cleaned text
	// and rendered fragments across messages. Default DefaultCacheBytes;
	// negative: no cache.
	CacheBytes int
}

// Renderer renders editions. It is safe for concurrent use.
type Renderer struct {
	html     *htmltemplate.Template
	text     *texttemplate.Template
	subject  *texttemplate.Template
	origin   map[string]string // file name → where it was read from, for errors
	siteName string
	language string
	maxBytes int
	log      *slog.Logger
	now      func() time.Time
	locs     sync.Map // time zone name → *time.Location
	bufs     sync.Pool
	cache    *storyCache
	shared   variants // editions rendered once for many readers (shared.go)
	escapers *escapers
	sharable bool // no message template is overridden (shared.go)
}

var (
	_ digest.Renderer       = (*Renderer)(nil)
	_ digest.PublicRenderer = (*Renderer)(nil)
)

// New loads, inlines and parses the templates, then renders sample editions
// to catch errors that only show at execution. Errors name the file.
func New(opts Options) (*Renderer, error) {
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("templates: max bytes %d is negative", opts.MaxBytes)
	}
	r := &Renderer{
		siteName: cleanLine(opts.SiteName, maxName),
		language: cmp.Or(strings.ToLower(opts.Language), digest.DefaultLanguage),
		maxBytes: opts.MaxBytes,
		log:      opts.Logger,
		now:      opts.Now,
		origin:   map[string]string{},
	}
	if r.siteName == "" {
		r.siteName = DefaultSiteName
	}
	if r.maxBytes == 0 {
		r.maxBytes = DefaultMaxBytes
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.bufs.New = func() any { return new(bytes.Buffer) }
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	r.cache = newStoryCache(opts.CacheBytes)
	r.escapers = newEscapers()

	src, err := r.load(opts.Dir)
	if err != nil {
		return nil, err
	}
	styles, err := parseStyles(r.origin[stylesFile], src[stylesFile])
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	htmlSrc, err := inlineClasses(r.origin[htmlFile], src[htmlFile], styles)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	if r.html, err = htmltemplate.New(htmlFile).Funcs(r.htmlFuncs()).Parse(htmlSrc); err != nil {
		return nil, fmt.Errorf("templates: parse %s: %w", r.origin[htmlFile], err)
	}
	if r.text, err = texttemplate.New(textFile).Funcs(r.textFuncs()).Parse(src[textFile]); err != nil {
		return nil, fmt.Errorf("templates: parse %s: %w", r.origin[textFile], err)
	}
	if r.subject, err = texttemplate.New(subjectFile).Funcs(r.textFuncs()).Parse(src[subjectFile]); err != nil {
		return nil, fmt.Errorf("templates: parse %s: %w", r.origin[subjectFile], err)
	}
	r.sharable = true
	for _, name := range []string{htmlFile, textFile, subjectFile} {
		if r.origin[name] != name+" (embedded)" {
			r.sharable = false
		}
	}
	if err := r.selfCheck(); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return r, nil
}

// load reads each template file from dir when it is there, else from the
// embedded assets.
func (r *Renderer) load(dir string) (map[string]string, error) {
	if dir != "" {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("templates: override directory: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("templates: override directory %s is not a directory", dir)
		}
	}
	src := map[string]string{}
	for _, name := range Files() {
		if dir != "" {
			path := filepath.Join(dir, name)
			b, err := os.ReadFile(path)
			switch {
			case err == nil:
				src[name], r.origin[name] = string(b), path
				r.log.Info("template override", "file", path)
				continue
			case !errors.Is(err, fs.ErrNotExist):
				return nil, fmt.Errorf("templates: read %s: %w", path, err)
			}
		}
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			return nil, fmt.Errorf("templates: read embedded %s: %w", name, err)
		}
		src[name], r.origin[name] = string(b), name+" (embedded)"
	}
	return src, nil
}

// selfCheck renders a full and an empty sample edition: a template that
// names a missing field fails only when executed, and a limit too small for
// even an empty edition could never be met.
func (r *Renderer) selfCheck() error {
	day := time.Date(2026, 1, 2, 7, 0, 0, 0, time.UTC)
	full := digest.Edition{
		Date:      "2026-01-02",
		Recipient: digest.Subscriber{Email: "reader@example.com", Name: "Reader"},
		Since:     day.Add(-24 * time.Hour), GeneratedAt: day, More: 1,
		Lead:              "A sample lead.",
		UnsubscribeURL:    "https://example.com/u",
		UnsubscribeMailto: "mailto:unsubscribe@example.com",
		PreferencesURL:    "https://example.com/p",
		ArchiveURL:        "https://example.com/a",
		Stories: []digest.Story{{
			Articles: []digest.Article{
				{SourceName: "Sample Wire", URL: "https://example.com/1", Title: "Sample", Published: day},
				{SourceName: "Other Wire", URL: "https://example.org/1", Title: "Sample", Published: day},
			},
			Summary: digest.Summary{Backend: "extractive", Text: "Sample text.", KeyPoints: []string{"Point"}},
		}, {
			// A second story, so that the contents list is rendered too.
			Articles: []digest.Article{{SourceName: "Sample Wire", Title: "Second sample", Published: day}},
			Summary:  digest.Summary{Backend: "openai", Text: "More text."},
		}},
	}
	for _, ed := range []digest.Edition{full, {Date: full.Date, Recipient: full.Recipient}} {
		for _, public := range []bool{false, true} {
			v := r.view(ed, public)
			v.setStories(v.Stories, len(v.Stories), ed.More)
			out, err := r.execute(v)
			if err != nil {
				return err
			}
			if len(ed.Stories) == 0 && out.size > r.maxBytes {
				return fmt.Errorf("max bytes %d is below the size of an empty edition (%d bytes)", r.maxBytes, out.size)
			}
		}
	}
	return nil
}

// rendered is one execution of the three templates.
type rendered struct {
	Subject, Text, HTML string
	Stories             int
	DateISO             string
	// size is what the two parts weigh on the wire (see wireSize).
	size int
}

// Render returns the message of ed for its recipient. Stories are dropped
// from the end when the message would exceed MaxBytes, and counted in the
// "more stories" line. From, MessageID, Date, ListID and the unsubscribe
// headers are left for the engine to fill.
func (r *Renderer) Render(ed digest.Edition) (digest.Message, error) {
	v := r.view(ed, false)
	out, ok := r.renderShared(v, ed.More)
	if !ok {
		var err error
		if out, err = r.render(v, ed.More); err != nil {
			return digest.Message{}, err
		}
	}
	return digest.Message{
		To:      cleanLine(ed.Recipient.Email, 254),
		ToName:  cleanLine(ed.Recipient.Name, maxName),
		Subject: out.Subject,
		Text:    out.Text,
		HTML:    out.HTML,
	}, nil
}

// RenderPublic renders ed without its personal parts (recipient, unsubscribe
// and preferences links) for the web archive. The recipient's time zone is
// kept: it is not personal and dates read the same as in the email.
func (r *Renderer) RenderPublic(ed digest.Edition) (digest.ArchivedEdition, error) {
	ed.Recipient = digest.Subscriber{TimeZone: ed.Recipient.TimeZone}
	ed.UnsubscribeURL, ed.UnsubscribeMailto, ed.PreferencesURL, ed.ArchiveURL = "", "", "", ""
	out, err := r.render(r.view(ed, true), ed.More)
	if err != nil {
		return digest.ArchivedEdition{}, err
	}
	return digest.ArchivedEdition{
		Date:      out.DateISO,
		Subject:   out.Subject,
		HTML:      out.HTML,
		Text:      out.Text,
		Stories:   out.Stories,
		CreatedAt: r.now(),
	}, nil
}

// render executes the templates on v (an edition's view with all its
// stories, more left out by the engine) with as many of the stories as fit
// in MaxBytes, found by bisection: a handful of executions even for
// hundreds of stories, and one when everything fits.
func (r *Renderer) render(v View, more int) (rendered, error) {
	all, more := v.Stories, max(more, 0)
	try := func(k int) (rendered, error) {
		v.setStories(all, k, more)
		return r.execute(v)
	}
	out, err := try(len(all))
	if err != nil || out.size <= r.maxBytes {
		return out, err
	}
	best, err := try(0)
	if err != nil {
		return rendered{}, err
	}
	if best.size > r.maxBytes {
		return rendered{}, fmt.Errorf("render edition %s: %d bytes without any story, over the %d-byte limit", v.DateISO, best.size, r.maxBytes)
	}
	lo, hi := 0, len(all) // lo fits, hi does not
	// Stories weigh much the same: first try the count their average
	// size allows and its neighbour, then bisect what is left.
	per := float64(out.size-best.size) / float64(len(all))
	guess := min(max(int(float64(r.maxBytes-best.size)/per), 1), len(all)-1)
	probes := []int{guess, guess + 1}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if len(probes) > 0 {
			mid, probes = probes[0], probes[1:]
			if mid <= lo || mid >= hi {
				continue
			}
		}
		o, err := try(mid)
		if err != nil {
			return rendered{}, err
		}
		if o.size <= r.maxBytes {
			lo, best = mid, o
		} else {
			hi = mid
			if len(probes) > 0 {
				probes = []int{mid - 1}
			}
		}
	}
	r.log.Info("edition trimmed to fit the size limit",
		"date", v.DateISO, "stories", len(all), "kept", lo, "bytes", best.size, "max_bytes", r.maxBytes)
	return best, nil
}

// execute runs the subject, text and HTML templates on v.
func (r *Renderer) execute(v View) (rendered, error) {
	buf := r.bufs.Get().(*bytes.Buffer)
	defer r.bufs.Put(buf)

	buf.Reset()
	if err := r.subject.Execute(buf, v); err != nil {
		return rendered{}, fmt.Errorf("render %s: %w", r.origin[subjectFile], err)
	}
	// The subject becomes a header: one line, nothing a header could be
	// injected with.
	v.Subject = cleanLine(buf.String(), 250)

	buf.Reset()
	if err := r.text.Execute(buf, v); err != nil {
		return rendered{}, fmt.Errorf("render %s: %w", r.origin[textFile], err)
	}
	text := buf.String()
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}

	buf.Reset()
	if err := r.html.Execute(buf, v); err != nil {
		return rendered{}, fmt.Errorf("render %s: %w", r.origin[htmlFile], err)
	}
	html := buf.String()
	return rendered{Subject: v.Subject, Text: text, HTML: html, Stories: len(v.Stories), DateISO: v.DateISO,
		size: wireSize(text) + wireSize(html)}, nil
}

// location returns the named time zone, cached; UTC when empty or unknown,
// as digest.Subscriber.Location does.
func (r *Renderer) location(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := r.locs.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	r.locs.Store(name, loc)
	return loc
}

func (r *Renderer) htmlFuncs() htmltemplate.FuncMap {
	return htmltemplate.FuncMap{
		"story": r.htmlStory,
		"entry": r.htmlEntry,
		// mso wraps template-author markup in an Outlook conditional comment
		// (html/template drops comments written in the template itself).
		// Its argument must be a constant in the template, never data.
		"mso": func(markup string) htmltemplate.HTML {
			return htmltemplate.HTML("<!--[if mso]>" + markup + "<![endif]-->") //nolint:gosec // template constant
		},
		"join":  strings.Join,
		"upper": strings.ToUpper,
	}
}

func (r *Renderer) textFuncs() texttemplate.FuncMap {
	return texttemplate.FuncMap{
		"story": r.textStory,
		"entry": r.textEntry,
		"wrap":  wrap,
		"hang":  hang,
		"rule":  func(n int) string { return strings.Repeat("-", n) },
		"join":  strings.Join,
		"upper": strings.ToUpper,
	}
}

// htmlStory executes the HTML "story" template for sv, or returns what it
// made for the same story before.
func (r *Renderer) htmlStory(sv StoryView) (htmltemplate.HTML, error) {
	return r.htmlFragment(sv, "story")
}

// htmlEntry is htmlStory for the story's entry in the contents list (the
// "entry" template).
func (r *Renderer) htmlEntry(sv StoryView) (htmltemplate.HTML, error) {
	return r.htmlFragment(sv, "entry")
}

func (r *Renderer) htmlFragment(sv StoryView, name string) (htmltemplate.HTML, error) {
	s, err := r.fragment(sv, false, name == "entry", func(buf *bytes.Buffer) error {
		return r.html.ExecuteTemplate(buf, name, sv)
	})
	// The fragment is the output of html/template itself, escaped for the
	// same text context it is inserted into.
	return htmltemplate.HTML(s), err //nolint:gosec // escaped by html/template
}

// textStory is htmlStory for the text part.
func (r *Renderer) textStory(sv StoryView) (string, error) {
	return r.fragment(sv, true, false, func(buf *bytes.Buffer) error {
		return r.text.ExecuteTemplate(buf, "story", sv)
	})
}

// textEntry is htmlEntry for the text part.
func (r *Renderer) textEntry(sv StoryView) (string, error) {
	return r.fragment(sv, true, true, func(buf *bytes.Buffer) error {
		return r.text.ExecuteTemplate(buf, "entry", sv)
	})
}

func (r *Renderer) fragment(sv StoryView, text, contents bool, exec func(*bytes.Buffer) error) (string, error) {
	k := fragKey{story: sv.key, number: sv.Number, text: text, contents: contents}
	cached := sv.key != 0 && r.cache.enabled()
	if cached {
		if s, ok := r.cache.frag(k); ok {
			return s, nil
		}
	}
	buf := r.bufs.Get().(*bytes.Buffer)
	defer r.bufs.Put(buf)
	buf.Reset()
	if err := exec(buf); err != nil {
		return "", err
	}
	s := buf.String()
	if cached {
		r.cache.putFrag(k, s)
	}
	return s, nil
}
