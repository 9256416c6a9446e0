package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	trafilatura "github.com/markusmobius/go-trafilatura"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// Page is what the gatherer sees of one article page or file: the output
// of `digest extract`.
type Page struct {
	Title        string    `json:"title"`
	Date         time.Time `json:"date"`
	CanonicalURL string    `json:"canonical_url,omitempty"`
	SourceName   string    `json:"source_name"`
	// Language is the ISO 639-1 code of the text's language, "" when
	// unknown.
	Language string `json:"language"`
	Text     string `json:"text"`
}

// Extract reads one article page (an http(s) URL, fetched through the
// Options' Fetcher with its limits and address guard) or one local article
// file (.txt, .md, .html) and returns its title, date, canonical URL, source
// name and clean main text.
func Extract(ctx context.Context, target string, opts Options) (Page, error) {
	opts = opts.withDefaults()
	if isHTTP(target) {
		resp, err := opts.Fetcher.Get(ctx, Request{URL: target, UserAgent: opts.UserAgent, Accept: acceptHTML})
		if err != nil {
			return Page{}, fmt.Errorf("extract: %w", err)
		}
		fp, err := pageText(resp, opts.Selector)
		if err != nil {
			return Page{}, fmt.Errorf("extract %q: %w", redact.URL(target), err)
		}
		p := fp.Page
		if p.SourceName == "" {
			p.SourceName = firstNonEmpty(hostName(p.CanonicalURL), hostName(resp.URL))
		}
		if opts.Name != "" {
			p.SourceName = opts.Name
		}
		return p, nil
	}
	a, err := readArticleFile(target, opts)
	if err != nil {
		return Page{}, fmt.Errorf("extract: %w", err)
	}
	return Page{Title: a.Title, Date: a.Published, CanonicalURL: a.URL, SourceName: a.SourceName, Language: a.Language, Text: a.Text}, nil
}

const acceptHTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

// extractHTML runs go-trafilatura over an HTML document and cleans the
// result. pageURL is where the page came from ("" for a file); the page's
// own canonical link wins over it. contentType may name the charset.
func extractHTML(body []byte, pageURL, contentType string) (Page, error) {
	return extractPage(body, pageURL, contentType, Clean)
}

// extractPage is extractHTML with the text filter as a parameter, so the
// evaluation can measure what Clean adds.
func extractPage(body []byte, pageURL, contentType string, clean func(string) string) (Page, error) {
	doc, err := xhtml.Parse(decodeHTML(body, contentType))
	if err != nil {
		return Page{}, fmt.Errorf("parse html: %w", err)
	}
	headTitle, description := pageHead(doc)
	stats := pruneDocument(doc, headTitle)
	lead, leadNode := standfirst(doc, stats, headTitle, description)
	topts := trafilatura.Options{
		EnableFallback:  true,
		ExcludeComments: true,
		Focus:           trafilatura.Balanced,
		HtmlDateMode:    trafilatura.Fast,
	}
	var base *url.URL
	if pageURL != "" {
		if u, err := url.Parse(pageURL); err == nil {
			base = u
			topts.OriginalURL = u
		}
	}
	// go-trafilatura's fallback runs go-readability on every page; it is
	// run here instead, so that secondOpinion can use the same result.
	rd := newReadability(doc, base)
	if rd.node != nil {
		topts.FallbackCandidates = &trafilatura.FallbackCandidates{Readability: rd.node}
	}
	// ExtractDocument, not Extract: Extract re-guesses the charset from
	// byte statistics and can turn correct UTF-8 into mojibake.
	res, err := trafilatura.ExtractDocument(doc, topts)
	if err != nil {
		return Page{}, fmt.Errorf("extract main text: %w", err)
	}
	p := Page{
		Title: digest.ClipTitle(collapseSpace(res.Metadata.Title)),
		Date:  pageDate(doc, res.Metadata.Date),
		Text:  clean(withLead(contentText(res), lead, leadNode, doc)),
	}
	p.Text = secondOpinion(p.Text, doc, func() string { return rd.cleaned(clean) })
	p.Text = dropLeadingTitle(p.Text, p.Title)
	p.Language = detectTitledLanguage(p.Title, p.Text, declaredLanguage(doc))
	canon := res.Metadata.URL
	if canon != "" && base != nil {
		if u, err := base.Parse(canon); err == nil {
			canon = u.String()
		}
	}
	if c, err := CanonicalURL(canon); err == nil {
		p.CanonicalURL = c
	} else if c, err := CanonicalURL(pageURL); err == nil {
		p.CanonicalURL = c
	}
	// Only the page's own site name: a file falls back to "Local file",
	// a fetched page to its host (see Extract).
	p.SourceName = collapseSpace(res.Metadata.Sitename)
	return p, nil
}

// contentText renders trafilatura's content tree as paragraphs; its own
// ContentText joins some blocks without a break.
func contentText(res *trafilatura.ExtractResult) string {
	if res.ContentNode != nil {
		if t := nodeText(res.ContentNode); t != "" {
			return t
		}
	}
	return plainParagraphs(strings.ReplaceAll(res.ContentText, "\n", "\n\n"))
}

// hostName is the host of a URL without "www.", or "".
func hostName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

func isHTTP(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// dropLeadingTitle removes a first paragraph that repeats the title: the
// page's headline is the article's Title, not part of its text.
func dropLeadingTitle(text, title string) string {
	if title == "" {
		return text
	}
	first, rest, _ := strings.Cut(text, "\n\n")
	if strings.EqualFold(collapseSpace(first), collapseSpace(title)) {
		return rest
	}
	return text
}

// decodeHTML returns the page as UTF-8: the charset of the Content-Type
// when it names one, else UTF-8 when the bytes are valid UTF-8, else what
// a <meta> declares, else Windows-1252.
func decodeHTML(body []byte, contentType string) io.Reader {
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		if r, err := charset.NewReader(bytes.NewReader(body), contentType); err == nil {
			return r
		}
	}
	if utf8.Valid(body) {
		return bytes.NewReader(body)
	}
	if r, err := charset.NewReader(bytes.NewReader(body), ""); err == nil {
		return r
	}
	return bytes.NewReader(body)
}
