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
	if o.MaxItems <= 0 {
		o.MaxItems = 200
	}
	if o.ShortText == 0 {
		o.ShortText = 600
	}
	if o.PageConcurrency <= 0 {
		o.PageConcurrency = 4
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 10 << 20
	}
	return o
}

// Local file kinds, by extension.
var (
	articleExts = map[string]bool{".txt": true, ".md": true, ".markdown": true, ".html": true, ".htm": true}
	feedExts    = map[string]bool{".xml": true, ".rss": true, ".atom": true, ".json": true, ".rdf": true}
)

// ErrUnsupported is returned by Open for a path that is no known kind of
// source.
var ErrUnsupported = errors.New("unsupported source: want a feed URL, an OPML file, a feed file (.xml .rss .atom .rdf .json), an article file (.txt .md .html) or a directory")

// Open turns one SRC (DESIGN.md §1) into sources: an http(s) URL is a feed;
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
		if _, err := url.Parse(src); err != nil {
			return nil, fmt.Errorf("open source %q: %w", src, err)
		}
		return []digest.Source{NewFeed(src, opts)}, nil
	}
	if u, err := url.Parse(src); err == nil && u.Scheme == "file" {
		src = u.Path
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", src, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open source %q: %w", src, err)
	}
	if fi.IsDir() {
		return []digest.Source{NewDir(abs, opts)}, nil
	}
	ext := strings.ToLower(filepath.Ext(abs))
	switch {
	case ext == ".opml" || (ext == ".xml" && isOPMLFile(abs)):
		return openOPML(ctx, abs, opts)
	case feedExts[ext]:
		return []digest.Source{NewFeed(abs, opts)}, nil
	case articleExts[ext]:
		return []digest.Source{NewFile(abs, opts)}, nil
	}
	return nil, fmt.Errorf("open source %q: %w", src, ErrUnsupported)
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

// openOPML reads an OPML subscription list. Feed URLs that are not http(s)
// are taken as paths relative to the OPML file.
func openOPML(_ context.Context, path string, opts Options) ([]digest.Source, error) {
	data, err := readCapped(path, opts.MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("open opml %q: %w", path, err)
	}
	var doc opml
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.CharsetReader = charsetReader
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("open opml %q: %w", path, err)
	}
	var out []digest.Source
	seen := map[string]bool{}
	var walk func(os []outline)
	walk = func(list []outline) {
		for _, o := range list {
			if u := strings.TrimSpace(o.XMLURL); u != "" {
				o2 := opts
				if o2.Name == "" {
					o2.Name = collapseSpace(firstNonEmpty(o.Title, o.Text))
				}
				if !isHTTP(u) {
					if !filepath.IsAbs(u) {
						u = filepath.Join(filepath.Dir(path), u)
					}
				}
				if !seen[u] {
					seen[u] = true
					out = append(out, NewFeed(u, o2))
				}
			}
			walk(o.Outlines)
		}
	}
	walk(doc.Body.Outlines)
	if len(out) == 0 {
		return nil, fmt.Errorf("open opml %q: no feeds (outline xmlUrl) in it", path)
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

// Dir is a directory of article and feed files, read as one source (not
// recursively). A file that cannot be read becomes a warning.
type Dir struct {
	path string
	opts Options
}

var _ digest.Source = (*Dir)(nil)

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

// Fetch reads every article file and every feed file in the directory.
func (d *Dir) Fetch(ctx context.Context, prev digest.SourceState) (digest.FetchResult, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return digest.FetchResult{}, fmt.Errorf("read directory %q: %w", d.path, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	res := digest.FetchResult{State: digest.SourceState{SourceID: d.path}}
	for _, n := range names {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		p := filepath.Join(d.path, n)
		ext := strings.ToLower(filepath.Ext(n))
		switch {
		case articleExts[ext]:
			a, err := readArticleFile(p, d.opts)
			if err != nil {
				res.Warnings = append(res.Warnings, err.Error())
				continue
			}
			a.SourceID = d.path
			res.Articles = append(res.Articles, a)
			res.Bytes += int64(len(a.Text))
		case feedExts[ext]:
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
	return res, nil
}
