package feed

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/defaults"
	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// Options configure sources and Extract. The zero value works: every zero
// field takes the default noted on it.
type Options struct {
	// Fetcher does all HTTP; share one across the sources of a run so the
	// per-host and global limits hold (NewFetcher(DefaultFetcherConfig())).
	Fetcher *Fetcher
	// Logger receives per-item problems at debug level (discard).
	Logger *slog.Logger
	// Now is the clock, for first-seen times (time.Now).
	Now func() time.Time
	// MaxItems bounds the items taken from one feed, newest first (200).
	MaxItems int
	// ShortText: an item of a feed fetched over HTTP whose text is
	// shorter than this many characters gets its page fetched and the
	// main text extracted (600). Negative turns page fetching off. Feeds
	// read from files never fetch pages: they are offline sources.
	ShortText int
	// PageConcurrency bounds the page fetches of one source (4).
	PageConcurrency int
	// MaxFileBytes caps a local file read (10 MB).
	MaxFileBytes int64
	// UserAgent overrides the Fetcher's User-Agent for these sources.
	UserAgent string
	// Name overrides the display name of these sources.
	Name string
	// Kind is digest.SourceKindOPML for a subscription list at a URL that
	// does not end in .opml.
	Kind string
	// FullText is digest.FullTextOn to fetch every item's page for its
	// main text, digest.FullTextOff never to, "" for short items only.
	FullText string
	// Include keeps only items whose title or text mentions one of these
	// words or phrases (case-insensitive); Exclude drops those that
	// mention one.
	Include, Exclude []string
	// Selector is a CSS selector for the article body on item pages; the
	// automatic extraction is used when it matches nothing.
	Selector string
	// MaxDepth bounds how deep a directory source reads subdirectories (3;
	// negative reads only the directory itself).
	MaxDepth int
}

// WithSettings returns o with a source's settings applied.
func (o Options) WithSettings(s digest.SourceSettings) Options {
	if s.Name != "" {
		o.Name = s.Name
	}
	if s.Kind != "" {
		o.Kind = s.Kind
	}
	if s.FullText != "" {
		o.FullText = s.FullText
	}
	if len(s.Include) > 0 {
		o.Include = s.Include
	}
	if len(s.Exclude) > 0 {
		o.Exclude = s.Exclude
	}
	if s.Selector != "" {
		o.Selector = s.Selector
	}
	return o
}

func (o Options) withDefaults() Options {
	if o.Fetcher == nil {
		o.Fetcher = NewFetcher(DefaultFetcherConfig())
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.MaxItems = defaults.PositiveOr(o.MaxItems, 200)
	if o.ShortText == 0 {
		o.ShortText = 600
	}
	o.PageConcurrency = defaults.PositiveOr(o.PageConcurrency, 4)
	o.MaxFileBytes = defaults.PositiveOr(o.MaxFileBytes, 10<<20)
	return o
}

// Local file kinds, by extension.
var (
	articleExts = lazy.Value[map[string]bool]{Build: func() map[string]bool {
		return map[string]bool{".txt": true, ".md": true, ".markdown": true, ".html": true, ".htm": true}
	}}
	feedExts = lazy.Value[map[string]bool]{Build: func() map[string]bool {
		return map[string]bool{".xml": true, ".rss": true, ".atom": true, ".json": true, ".rdf": true}
	}}
)

// ErrUnsupported is returned by Open for a path that is no known kind of
// source.
var ErrUnsupported = errors.New("unsupported source: want a feed URL, an OPML file, a feed file (.xml .rss .atom .rdf .json), an article file (.txt .md .html) or a directory")

// Open turns one SRC (the README's Commands; docs/architecture.md says
// where a new kind plugs in) into sources: an http(s) URL is a feed;
// an .opml file gives every feed it lists; a directory gives one source
// reading its article and feed files; a feed file is a feed read from disk;
// an article file is a single article. The sources share opts.Fetcher.
func Open(ctx context.Context, src string, opts Options) ([]digest.Source, error) {
	opts = opts.withDefaults()
	src = strings.TrimSpace(src)
	if src == "" {
		return nil, fmt.Errorf("open source: empty")
	}
	if isHTTP(src) {
		u, err := url.Parse(src)
		if err != nil {
			return nil, fmt.Errorf("open source %q: %w", redact.URL(src), err)
		}
		if opts.Kind == digest.SourceKindOPML || strings.HasSuffix(strings.ToLower(u.Path), ".opml") {
			return openRemoteOPML(ctx, src, opts)
		}
		return []digest.Source{NewFeed(src, opts)}, nil
	}
	if u, err := url.Parse(src); err == nil && u.Scheme == "file" {
		src = u.Path
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", redact.URL(src), err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", redact.URL(src), err)
	}
	if fi.IsDir() {
		return []digest.Source{NewDir(abs, opts)}, nil
	}
	ext := strings.ToLower(filepath.Ext(abs))
	switch {
	case ext == ".opml" || (ext == ".xml" && isOPMLFile(abs)):
		return openOPML(ctx, abs, opts)
	case feedExts.Get()[ext]:
		return []digest.Source{NewFeed(abs, opts)}, nil
	case articleExts.Get()[ext]:
		return []digest.Source{NewFile(abs, opts)}, nil
	}
	return nil, fmt.Errorf("open source %q: %w", redact.URL(src), ErrUnsupported)
}

// opml is the part of an OPML document we read.
type opml struct {
	Body struct {
		Outlines []outline `xml:"outline"`
	} `xml:"body"`
}

type outline struct {
	Text     string    `xml:"text,attr"`
	Title    string    `xml:"title,attr"`
	XMLURL   string    `xml:"xmlUrl,attr"`
	Outlines []outline `xml:"outline"`
}

func isOPMLFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := f.Read(head)
	return bytes.Contains(bytes.ToLower(head[:n]), []byte("<opml"))
}

// acceptOPML is the Accept header for subscription lists.
const acceptOPML = "text/x-opml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// openOPML reads an OPML subscription list from a file. Feed URLs that are
// not http(s) are taken as paths relative to the OPML file.
func openOPML(_ context.Context, path string, opts Options) ([]digest.Source, error) {
	data, err := readCapped(path, opts.MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("open opml %q: %w", path, err)
	}
	return expandOPML(data, path, opts, func(u string) (string, bool) {
		if isHTTP(u) || filepath.IsAbs(u) {
			return u, true
		}
		return filepath.Join(filepath.Dir(path), u), true
	})
}

// openRemoteOPML fetches an OPML list over HTTP. Its feeds must be http(s)
// URLs (relative ones resolve against the list's address): a list from the
// network never names local files.
func openRemoteOPML(ctx context.Context, src string, opts Options) ([]digest.Source, error) {
	resp, err := opts.Fetcher.Get(ctx, Request{URL: src, UserAgent: opts.UserAgent, Accept: acceptOPML})
	if err != nil {
		return nil, fmt.Errorf("open opml: %w", err)
	}
	base, err := url.Parse(resp.URL)
	if err != nil {
		return nil, fmt.Errorf("open opml %q: %w", redact.URL(src), err)
	}
	return expandOPML(resp.Body, src, opts, func(u string) (string, bool) {
		ref, err := url.Parse(u)
		if err != nil {
			return "", false
		}
		abs := base.ResolveReference(ref).String()
		return abs, isHTTP(abs)
	})
}

// OPMLFeed is one feed listed in an OPML document.
type OPMLFeed struct {
	URL   string
	Title string
}

// ParseOPML returns the feeds an OPML document lists, in document order,
// without repeats; resolve turns each xmlUrl into the address to read, or
// refuses it. The error says why the document is not an OPML list.
func ParseOPML(data []byte, resolve func(string) (string, bool)) ([]OPMLFeed, error) {
	var doc opml
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.CharsetReader = charsetReader
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var out []OPMLFeed
	seen := map[string]bool{}
	var walk func(list []outline)
	walk = func(list []outline) {
		for _, o := range list {
			if u := strings.TrimSpace(o.XMLURL); u != "" {
				if r, ok := resolve(u); ok && !seen[r] {
					seen[r] = true
					out = append(out, OPMLFeed{URL: r, Title: digest.ClipTitle(collapseSpace(firstNonEmpty(o.Title, o.Text)))})
				}
			}
			walk(o.Outlines)
		}
	}
	walk(doc.Body.Outlines)
	return out, nil
}

// expandOPML turns a list into its feeds, each with the list's options and
// the name the list gives it (the list's own name setting stays with the
// list).
func expandOPML(data []byte, where string, opts Options, resolve func(string) (string, bool)) ([]digest.Source, error) {
	feeds, err := ParseOPML(data, resolve)
	if err != nil {
		return nil, fmt.Errorf("open opml %q: %w", redact.URL(where), err)
	}
	if len(feeds) == 0 {
		return nil, fmt.Errorf("open opml %q: no feeds (outline xmlUrl) in it", redact.URL(where))
	}
	out := make([]digest.Source, 0, len(feeds))
	for _, f := range feeds {
		o := opts
		o.Kind = ""
		o.Name = f.Title
		out = append(out, NewFeed(f.URL, o))
	}
	return out, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// Dir is a directory of article and feed files, read as one source with
// its subdirectories down to Options.MaxDepth. Hidden files and
// directories (names starting with ".") are skipped, and so are symbolic
// links, so a link cannot make the walk leave the tree or loop. A file that
// cannot be read becomes a warning.
type Dir struct {
	path string
	opts Options
}

var _ digest.Source = (*Dir)(nil)

// DefaultMaxDepth is how many levels of subdirectories a directory source
// reads when Options.MaxDepth is 0.
const DefaultMaxDepth = 3

// NewDir returns the source for the directory at path (made absolute).
func NewDir(path string, opts Options) *Dir {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return &Dir{path: path, opts: opts.withDefaults()}
}

// ID is the absolute path.
func (d *Dir) ID() string { return d.path }

// Name is the configured name, else the directory's base name.
func (d *Dir) Name() string {
	if d.opts.Name != "" {
		return d.opts.Name
	}
	return filepath.Base(d.path)
}

// maxDepth is how many levels of subdirectories are read.
func (d *Dir) maxDepth() int {
	switch {
	case d.opts.MaxDepth < 0:
		return 0
	case d.opts.MaxDepth == 0:
		return DefaultMaxDepth
	}
	return d.opts.MaxDepth
}

// files lists the readable files under the directory, in path order:
// regular, not hidden, at most maxDepth levels of subdirectories down.
func (d *Dir) files() ([]string, int, error) {
	maxDepth := d.maxDepth()
	var out []string
	deeper := 0 // subdirectories left out by the depth limit
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			switch {
			case e.Type().IsRegular():
				out = append(out, p)
			case e.IsDir() && depth < maxDepth:
				if err := walk(p, depth+1); err != nil {
					return err
				}
			case e.IsDir():
				deeper++
			}
		}
		return nil
	}
	if err := walk(d.path, 0); err != nil {
		return nil, 0, err
	}
	sort.Strings(out)
	return out, deeper, nil
}

// Fetch reads every article file and every feed file in the directory and
// its subdirectories.
func (d *Dir) Fetch(ctx context.Context, prev digest.SourceState) (digest.FetchResult, error) {
	paths, deeper, err := d.files()
	if err != nil {
		return digest.FetchResult{}, fmt.Errorf("read directory %q: %w", d.path, err)
	}
	res := digest.FetchResult{State: digest.SourceState{SourceID: d.path}}
	for _, p := range paths {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		ext := strings.ToLower(filepath.Ext(p))
		switch {
		case articleExts.Get()[ext]:
			a, err := readArticleFile(p, d.opts)
			if err != nil {
				res.Warnings = append(res.Warnings, err.Error())
				continue
			}
			a.SourceID = d.path
			res.Articles = append(res.Articles, a)
			res.Bytes += int64(len(a.Text))
		case feedExts.Get()[ext]:
			fr, err := NewFeed(p, d.opts).Fetch(ctx, digest.SourceState{})
			if err != nil {
				res.Warnings = append(res.Warnings, err.Error())
				continue
			}
			for _, a := range fr.Articles {
				a.SourceID = d.path
				res.Articles = append(res.Articles, a)
			}
			res.Bytes += fr.Bytes
			res.Warnings = append(res.Warnings, fr.Warnings...)
		}
	}
	if len(res.Articles) == 0 && len(res.Warnings) > 0 {
		return res, fmt.Errorf("read directory %q: no readable file: %s", d.path, res.Warnings[0])
	}
	var dropped int
	if res.Articles, dropped = newKeywordFilter(d.opts).filter(res.Articles); dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("directory %q: %d articles left out by the source's include/exclude keywords", d.path, dropped))
	}
	if deeper > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("directory %q: %d subdirectories below the depth limit (%d levels) not read", d.path, deeper, d.maxDepth()))
	}
	return res, nil
}
