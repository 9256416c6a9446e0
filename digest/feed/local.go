package feed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazyre"
	"github.com/tradedigest/tradedigest/internal/nlp"
	"github.com/tradedigest/tradedigest/summarize"
)

// File is one local article: .txt, .md or .html.
type File struct {
	path string
	opts Options
}

var _ digest.Source = (*File)(nil)

// NewFile returns the source for the article file at path (made absolute).
func NewFile(path string, opts Options) *File {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return &File{path: path, opts: opts.withDefaults()}
}

// ID is the absolute path.
func (f *File) ID() string { return f.path }

// Name is the configured name, else "Local file".
func (f *File) Name() string {
	if f.opts.Name != "" {
		return f.opts.Name
	}
	return localSourceName
}

const localSourceName = "Local file"

// Fetch reads the file as one article.
func (f *File) Fetch(ctx context.Context, _ digest.SourceState) (digest.FetchResult, error) {
	res := digest.FetchResult{State: digest.SourceState{SourceID: f.path}}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	a, err := readArticleFile(f.path, f.opts)
	if err != nil {
		return res, err
	}
	res.Articles = []digest.Article{a}
	res.Bytes = int64(len(a.Text))
	return res, nil
}

// readArticleFile reads a .txt, .md or .html article. Published is the
// date the file states, else its modification time.
func readArticleFile(path string, opts Options) (digest.Article, error) {
	opts = opts.withDefaults()
	fi, err := os.Stat(path)
	if err != nil {
		return digest.Article{}, fmt.Errorf("read article %q: %w", path, err)
	}
	data, err := readCapped(path, opts.MaxFileBytes)
	if err != nil {
		return digest.Article{}, fmt.Errorf("read article %q: %w", path, err)
	}
	var a digest.Article
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt":
		a = ParseText(string(data))
	case ".md", ".markdown":
		a = ParseMarkdown(string(data))
	case ".html", ".htm":
		p, err := extractHTML(data, "", "")
		if err != nil {
			return digest.Article{}, fmt.Errorf("read article %q: %w", path, err)
		}
		a = digest.Article{Title: p.Title, URL: p.CanonicalURL, Text: p.Text, Published: plausibleDate(p.Date, opts.Now()), SourceName: p.SourceName, Language: p.Language}
		if a.Title == "" {
			a.Title = deriveTitle(a.Text, a.Language)
		}
	default:
		return digest.Article{}, fmt.Errorf("read article %q: %w", path, ErrUnsupported)
	}
	if strings.TrimSpace(a.Text) == "" {
		return digest.Article{}, fmt.Errorf("read article %q: no text", path)
	}
	a.SourceID = path
	if opts.Name != "" {
		a.SourceName = opts.Name
	}
	if a.SourceName == "" {
		a.SourceName = localSourceName
	}
	if a.Published.IsZero() {
		a.Published = fi.ModTime().UTC()
	}
	a.FetchedAt = opts.Now()
	a.ContentHash = digest.ContentHash(a.Text)
	a.Title = digest.ClipTitle(a.Title)
	return a, nil
}

// ParseText reads a plain-text article. The first paragraph is the title
// when it is one short line without terminal punctuation that is neither
// page furniture (a share bar, a caption, a stamp) nor a sentence cut by a
// line break; otherwise the title is derived from the lead sentence (see
// summarize.Headline). Furniture lines before the story are dropped, and
// boilerplate is removed.
func ParseText(s string) digest.Article {
	s = strings.TrimPrefix(strings.ReplaceAll(s, "\r\n", "\n"), "\ufeff")
	paras := splitParagraphs(s)
	if len(paras) == 1 && strings.Count(paras[0], "\n") > 0 {
		// No blank lines at all: a line per paragraph, except that a line
		// cut mid-phrase goes on in the next one.
		paras = joinBrokenLines(strings.Split(paras[0], "\n"))
	}
	paras = dropLeadingFurniture(paras)
	var a digest.Article
	if len(paras) > 1 || (len(paras) == 1 && strings.Contains(paras[0], "\n")) {
		first := paras[0]
		rest := paras[1:]
		if i := strings.IndexByte(first, '\n'); i >= 0 {
			// "Title\nbody line..." with no blank line after the title.
			if t := collapseSpace(first[:i]); isTitleLine(t) {
				a.Title = t
				paras = append([]string{first[i+1:]}, rest...)
			}
		} else if t := collapseSpace(first); isTitleLine(t) {
			a.Title = t
			paras = rest
		}
	}
	lines := make([]string, 0, len(paras))
	for _, p := range paras {
		lines = append(lines, collapseSpace(p))
	}
	a.Text = Clean(strings.Join(lines, "\n\n"))
	if a.Title == "" {
		// The title comes from the text: the text's language is the
		// article's, and decides where the headline is cut.
		a.Language = detectLanguage(a.Text, "")
		a.Title = deriveTitle(a.Text, a.Language)
	}
	a.Title = digest.ClipTitle(a.Title)
	if a.Language == "" {
		a.Language = detectTitledLanguage(a.Title, a.Text, "")
	}
	return a
}

// joinBrokenLines joins a line that ends mid-phrase (on a function word,
// without terminal punctuation: "Pro-Kremlin party A") with the line after
// it, unless the two together are furniture.
func joinBrokenLines(lines []string) []string {
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		for i+1 < len(lines) && l != "" && summarize.EndsBadly(l) && !nlp.Finished(l) {
			joined := l + " " + strings.TrimSpace(lines[i+1])
			if summarize.IsFurniture(joined) {
				break
			}
			l = joined
			i++
		}
		out = append(out, l)
	}
	return out
}

// maxLeadingFurniture bounds the furniture lines dropped before a story.
const maxLeadingFurniture = 8

// dropLeadingFurniture removes the furniture lines (share bars, captions,
// credits, stamps, kickers) before the first line of the story, so that
// none becomes the title or opens the text. The "this link" that a
// flattened share bar leaves glued to the next line goes with it.
func dropLeadingFurniture(paras []string) []string {
	dropped := 0
	for len(paras) > 0 && dropped < maxLeadingFurniture {
		// A share bar flattened onto the first line of the story.
		if loc := shareBar.Get().FindStringIndex(paras[0]); loc != nil && loc[1] < len(paras[0]) {
			paras[0] = paras[0][loc[1]:]
		}
		first, rest, multi := strings.Cut(paras[0], "\n")
		if !summarize.IsFurniture(first) {
			break
		}
		dropped++
		if multi {
			paras[0] = rest
		} else {
			paras = paras[1:]
		}
		if len(paras) > 0 && strings.HasPrefix(paras[0], "this link") && strings.Contains(strings.ToLower(first), "share") {
			paras[0] = strings.TrimPrefix(paras[0], "this link")
		}
	}
	return paras
}

// shareBar is a flattened share bar: "Share this withEmailFacebook…Copy
// this link".
var shareBar = lazyre.New(`^(?i:share this with)\S*\s*(?:this link)?`)

// isTitleLine: a short line (≤ 150 chars, ≤ 14 words) that does not end a
// sentence, is not furniture and does not end mid-phrase.
func isTitleLine(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 150 || len(strings.Fields(s)) > summarize.MaxDerivedHeadlineWords {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	switch last {
	case '.', ',', ';', ':', '!':
		// "?" is allowed: questions make headlines.
		return false
	}
	return !summarize.IsFurniture(s) && !summarize.EndsBadly(s)
}

// deriveTitle writes a headline for a text in the language lang that has
// none; lang "" is detected. The language decides where a sentence in
// French, Spanish, Italian, Portuguese or Dutch may be cut
// (summarize.HeadlineIn).
func deriveTitle(text, lang string) string {
	if lang == "" {
		lang = detectLanguage(text, "")
	}
	return digest.ClipTitle(summarize.HeadlineIn(text, lang)) // one word alone may be endless
}

// ParseMarkdown reads a Markdown article: optional front matter (title,
// date, url, source, lang), a "# Heading" as the title, and the body with its
// Markdown syntax stripped to text.
func ParseMarkdown(s string) digest.Article {
	s = strings.TrimPrefix(strings.ReplaceAll(s, "\r\n", "\n"), "\ufeff")
	var a digest.Article
	fm, body := splitFrontMatter(s)
	a.Title = collapseSpace(unquote(fm["title"]))
	if d := fm["date"]; d != "" {
		a.Published = parseLooseDate(unquote(d))
	}
	if u := unquote(fm["url"]); u != "" {
		if c, err := CanonicalURL(u); err == nil {
			a.URL = c
		}
	}
	a.SourceName = collapseSpace(unquote(firstNonEmpty(fm["source"], fm["site"], fm["publisher"])))
	declared := unquote(firstNonEmpty(fm["lang"], fm["language"]))

	var paras []string
	var cur []string
	inFence := false
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, collapseSpace(strings.Join(cur, " ")))
			cur = nil
		}
	}
	for _, line := range strings.Split(body, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			flush()
			inFence = !inFence
			continue
		}
		if inFence {
			cur = append(cur, trim)
			continue
		}
		switch {
		case trim == "":
			flush()
			continue
		case mdRuleRE.Get().MatchString(trim):
			flush()
			continue
		case strings.HasPrefix(trim, "#"):
			flush()
			h := strings.TrimSpace(strings.TrimRight(strings.TrimLeft(trim, "#"), "#"))
			if strings.HasPrefix(trim, "# ") && a.Title == "" {
				a.Title = collapseSpace(mdInline(h))
				continue
			}
			if h != "" {
				paras = append(paras, collapseSpace(mdInline(h)))
			}
			continue
		case mdSetextRE.Get().MatchString(trim) && len(cur) > 0:
			// "Title\n=====": the line above is a heading.
			h := collapseSpace(strings.Join(cur, " "))
			cur = nil
			if strings.HasPrefix(trim, "=") && a.Title == "" && len(paras) == 0 {
				a.Title = h
			} else {
				paras = append(paras, h)
			}
			continue
		}
		trim = mdListRE.Get().ReplaceAllString(trim, "")
		if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || mdOrderedRE.Get().MatchString(line) {
			flush() // each list item is its own line of text
		}
		cur = append(cur, mdInline(trim))
	}
	flush()
	var kept []string
	for _, p := range paras {
		if p != "" {
			kept = append(kept, p)
		}
	}
	a.Text = Clean(strings.Join(kept, "\n\n"))
	if a.Title == "" {
		a.Language = detectLanguage(a.Text, declared)
		a.Title = deriveTitle(a.Text, a.Language)
	}
	a.Title = digest.ClipTitle(a.Title)
	if a.Language == "" {
		a.Language = detectTitledLanguage(a.Title, a.Text, declared)
	}
	return a
}

var (
	mdRuleRE    = lazyre.New(`^([-*_]\s*){3,}$`)
	mdSetextRE  = lazyre.New(`^(=+|-+)$`)
	mdListRE    = lazyre.New(`^(>\s*)+|^([-*+]|\d{1,3}[.)])\s+`)
	mdOrderedRE = lazyre.New(`^\d{1,3}[.)]\s`)
	mdImageRE   = lazyre.New(`!\[([^\]]*)\]\([^)]*\)`)
	mdLinkRE    = lazyre.New(`\[([^\]]*)\]\([^)]*\)`)
	mdRefRE     = lazyre.New(`\[([^\]]+)\]\[[^\]]*\]`)
	mdAutoRE    = lazyre.New(`<(https?://[^>]+)>`)
	mdTagRE     = lazyre.New(`</?[a-zA-Z][^>]*>`)
	mdEmphRE    = lazyre.New(`(\*\*|__|\*|_|~~)([^\s*_~](?:[^*_~]*[^\s*_~])?)(\*\*|__|\*|_|~~)`)
	mdCodeRE    = lazyre.New("`([^`]*)`")
)

// mdInline strips inline Markdown: images, links (keeping their text),
// emphasis, code spans and inline HTML tags.
func mdInline(s string) string {
	s = mdImageRE.Get().ReplaceAllString(s, "")
	s = mdLinkRE.Get().ReplaceAllString(s, "$1")
	s = mdRefRE.Get().ReplaceAllString(s, "$1")
	s = mdAutoRE.Get().ReplaceAllString(s, "$1")
	s = mdCodeRE.Get().ReplaceAllString(s, "$1")
	for range 3 { // nested emphasis
		s = mdEmphRE.Get().ReplaceAllString(s, "$2")
	}
	s = mdTagRE.Get().ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, `\*`, "*")
	s = strings.ReplaceAll(s, `\_`, "_")
	return plainTitle(s)
}

// splitFrontMatter parses a leading "---" block of "key: value" lines.
func splitFrontMatter(s string) (map[string]string, string) {
	fm := map[string]string{}
	if !strings.HasPrefix(s, "---\n") {
		return fm, s
	}
	rest := s[4:]
	end := strings.Index(rest, "\n---")
	if end < 0 {
		return fm, s
	}
	block := rest[:end]
	body := rest[end+4:]
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = body[i+1:]
	} else {
		body = ""
	}
	for _, line := range strings.Split(block, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k != "" && !strings.ContainsAny(k, " \t") {
			fm[k] = strings.TrimSpace(v)
		}
	}
	return fm, body
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// parseLooseDate accepts the date forms people write in front matter.
func parseLooseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	layouts := []string{
		time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05",
		"2006-01-02 15:04", "2006-01-02", time.RFC1123Z, time.RFC1123, "2 January 2006",
		"January 2, 2006", "Jan 2, 2006", "2 Jan 2006", "2006/01/02",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
