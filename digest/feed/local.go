package feed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
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
			a.Title = deriveTitle(a.Text)
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
// when it is one short line without terminal punctuation; otherwise the
// title is derived from the lead sentence. Boilerplate is removed.
func ParseText(s string) digest.Article {
	s = strings.TrimPrefix(strings.ReplaceAll(s, "\r\n", "\n"), "\ufeff")
	paras := splitParagraphs(s)
	if len(paras) == 1 && strings.Count(paras[0], "\n") > 0 {
		// No blank lines at all: a line per paragraph.
		paras = strings.Split(paras[0], "\n")
	}
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
		a.Title = deriveTitle(a.Text)
	}
	a.Title = digest.ClipTitle(a.Title)
	a.Language = detectLanguage(a.Title+"\n\n"+a.Text, "")
	return a
}

// isTitleLine: a short line (≤ 150 chars, ≤ 20 words) that does not end a
// sentence.
func isTitleLine(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 150 || len(strings.Fields(s)) > 20 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	switch last {
	case '.', ',', ';', ':', '!':
		// "?" is allowed: questions make headlines.
		return false
	}
	return true
}

// deriveTitle makes a headline from the lead sentence: at most 12 words and
// about 90 characters, cut at a word boundary, without trailing
// punctuation.
func deriveTitle(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	if i := strings.Index(text, "\n"); i >= 0 {
		text = text[:i]
	}
	text = stripDateline(leadSentence(text))
	words := strings.Fields(text)
	var b strings.Builder
	for i, w := range words {
		if i == 12 || (b.Len() > 0 && utf8.RuneCountInString(b.String())+1+utf8.RuneCountInString(w) > 90) {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	t := strings.TrimRightFunc(b.String(), func(r rune) bool {
		return unicode.IsPunct(r) && r != ')' && r != '%' && r != '"' && r != '”' || unicode.IsSpace(r)
	})
	// Drop a dangling connective left by the cut ("... and", "... of the").
	for {
		ws := strings.Fields(t)
		if len(ws) <= 3 || !danglingWords[strings.ToLower(ws[len(ws)-1])] {
			break
		}
		t = strings.TrimRightFunc(strings.Join(ws[:len(ws)-1], " "), unicode.IsPunct)
	}
	if r, n := utf8.DecodeRuneInString(t); n > 0 && unicode.IsLower(r) {
		t = string(unicode.ToUpper(r)) + t[n:]
	}
	return digest.ClipTitle(t) // the first word alone may be endless
}

var danglingWords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "but": true, "of": true,
	"to": true, "in": true, "on": true, "for": true, "with": true, "by": true, "at": true,
	"from": true, "as": true, "that": true, "which": true, "its": true, "their": true,
	"is": true, "was": true, "are": true, "were": true, "will": true, "after": true,
}

// leadSentence returns the first sentence of a paragraph.
func leadSentence(p string) string {
	for i, r := range p {
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		next := p[i+1:]
		if next == "" {
			return p[:i]
		}
		if next[0] == ' ' && i > 2 {
			// Not after an initial or a common abbreviation ("U.S. ",
			// "Mr. ").
			prev := p[:i]
			if j := strings.LastIndexAny(prev, " ."); j >= 0 && len(prev)-j <= 2 {
				continue
			}
			if abbrevs[strings.ToLower(prev[strings.LastIndex(prev, " ")+1:])] {
				continue
			}
			return p[:i]
		}
	}
	return p
}

var abbrevs = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "jr": true, "inc": true, "corp": true, "co": true, "ltd": true, "gov": true, "sen": true, "rep": true, "no": true, "vs": true, "jan": true, "feb": true, "aug": true, "sept": true, "oct": true, "nov": true, "dec": true}

// datelineRE matches a news dateline such as "GENEVA, March 3 (Reuters) -"
// or "BRUSSELS —".
var datelineRE = regexp.MustCompile(`^[A-Z][A-Z .'-]{2,40}(,[^–—-]{0,40})?(\([^)]{1,30}\))?\s*[–—-]+\s*`)

func stripDateline(s string) string {
	if loc := datelineRE.FindStringIndex(s); loc != nil && loc[1] < len(s) {
		return s[loc[1]:]
	}
	return s
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
		case mdRuleRE.MatchString(trim):
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
		case mdSetextRE.MatchString(trim) && len(cur) > 0:
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
		trim = mdListRE.ReplaceAllString(trim, "")
		if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || mdOrderedRE.MatchString(line) {
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
		a.Title = deriveTitle(a.Text)
	}
	a.Title = digest.ClipTitle(a.Title)
	a.Language = detectLanguage(a.Title+"\n\n"+a.Text, declared)
	return a
}

var (
	mdRuleRE    = regexp.MustCompile(`^([-*_]\s*){3,}$`)
	mdSetextRE  = regexp.MustCompile(`^(=+|-+)$`)
	mdListRE    = regexp.MustCompile(`^(>\s*)+|^([-*+]|\d{1,3}[.)])\s+`)
	mdOrderedRE = regexp.MustCompile(`^\d{1,3}[.)]\s`)
	mdImageRE   = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLinkRE    = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdRefRE     = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	mdAutoRE    = regexp.MustCompile(`<(https?://[^>]+)>`)
	mdTagRE     = regexp.MustCompile(`</?[a-zA-Z][^>]*>`)
	mdEmphRE    = regexp.MustCompile(`(\*\*|__|\*|_|~~)([^\s*_~](?:[^*_~]*[^\s*_~])?)(\*\*|__|\*|_|~~)`)
	mdCodeRE    = regexp.MustCompile("`([^`]*)`")
)

// mdInline strips inline Markdown: images, links (keeping their text),
// emphasis, code spans and inline HTML tags.
func mdInline(s string) string {
	s = mdImageRE.ReplaceAllString(s, "")
	s = mdLinkRE.ReplaceAllString(s, "$1")
	s = mdRefRE.ReplaceAllString(s, "$1")
	s = mdAutoRE.ReplaceAllString(s, "$1")
	s = mdCodeRE.ReplaceAllString(s, "$1")
	for range 3 { // nested emphasis
		s = mdEmphRE.ReplaceAllString(s, "$2")
	}
	s = mdTagRE.ReplaceAllString(s, "")
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
