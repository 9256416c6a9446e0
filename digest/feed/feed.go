package feed

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gogs/chardet"
	dateparser "github.com/markusmobius/go-dateparser"
	"github.com/mmcdole/gofeed"
	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazyre"
	"github.com/tradedigest/tradedigest/internal/redact"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// Feed is an RSS, Atom, RSS 1.0 or JSON feed, fetched over HTTP (with
// conditional GET) or read from a local file.
type Feed struct {
	loc  string // http(s) URL or absolute path
	opts Options

	mu    sync.Mutex
	title string // learnt from the last fetch
}

var _ digest.Source = (*Feed)(nil)

// NewFeed returns the source for a feed URL or a local feed file.
func NewFeed(loc string, opts Options) *Feed {
	return &Feed{loc: loc, opts: opts.withDefaults()}
}

// ID is the feed URL or absolute path.
func (f *Feed) ID() string { return f.loc }

// Name is the configured name, else the feed's title once fetched, else the
// host (or file name).
func (f *Feed) Name() string {
	if f.opts.Name != "" {
		return f.opts.Name
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.title != "" {
		return f.title
	}
	if h := hostName(f.loc); h != "" {
		return h
	}
	return baseName(f.loc)
}

// KnownName returns the configured name, else the title learnt from the
// last fetch, else "" (where Name falls back to the host).
func (f *Feed) KnownName() string {
	if f.opts.Name != "" {
		return f.opts.Name
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.title
}

const acceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// Fetch reads the feed. A 304 answer gives NotModified and no articles.
func (f *Feed) Fetch(ctx context.Context, prev digest.SourceState) (digest.FetchResult, error) {
	return f.FetchKnown(ctx, prev, nil)
}

// FetchKnown is Fetch that asks lookup (unless nil) which of the feed's
// items the store holds already and leaves out reading their texts (see
// knownItems): the result marks them in Known.
func (f *Feed) FetchKnown(ctx context.Context, prev digest.SourceState, lookup digest.KeyLookup) (digest.FetchResult, error) {
	res := digest.FetchResult{State: digest.SourceState{SourceID: f.loc}}
	var body []byte
	base := f.loc
	contentType := ""
	if isHTTP(f.loc) {
		resp, err := f.opts.Fetcher.Get(ctx, Request{
			URL: f.loc, ETag: prev.ETag, LastModified: prev.LastModified,
			UserAgent: f.opts.UserAgent, Accept: acceptFeed,
		})
		if err != nil {
			var tally hostTally
			tally.add(err)
			tally.apply(&res)
			return res, err // already "fetch <url>: …"
		}
		res.Bytes = resp.WireBytes
		res.State.ETag, res.State.LastModified = resp.ETag, resp.LastModified
		if resp.NotModified {
			res.NotModified = true
			return res, nil
		}
		body, base, contentType = resp.Body, resp.URL, resp.ContentType
	} else {
		data, err := readCapped(f.loc, f.opts.MaxFileBytes)
		if err != nil {
			return res, fmt.Errorf("read feed %q: %w", redact.URL(f.loc), err)
		}
		body = data
		res.Bytes = int64(len(data))
	}
	parsed, repaired, err := parseFeed(body, contentType)
	if err != nil {
		return res, fmt.Errorf("parse feed %q: %w", redact.URL(f.loc), err)
	}
	if repaired {
		res.Warnings = append(res.Warnings, fmt.Sprintf("feed %q is cut off; kept the %d items before the cut", f.loc, len(parsed.Items)))
	}
	title := plainTitle(parsed.Title)
	if title != "" {
		f.mu.Lock()
		f.title = title
		f.mu.Unlock()
	}
	var tally hostTally
	arts, known, warns := f.articles(ctx, parsed, base, &tally, lookup)
	tally.apply(&res)
	res.Articles, res.Known = arts, known
	res.Warnings = append(res.Warnings, warns...)
	return res, nil
}

// ParseFeed parses RSS 0.9x/2.0, RSS 1.0, Atom or JSON Feed bytes
// leniently: byte-order marks and UTF-16 are handled, undeclared non-UTF-8
// text is guessed (Windows-1252 when unsure), C1 controls become the
// Windows-1252 punctuation they stand for, a stray "&" is escaped, and a
// document cut off after some items yields those items. contentType (may
// be "") can name the charset. The error says why the input is not a feed.
func ParseFeed(body []byte, contentType string) (*gofeed.Feed, error) {
	fd, _, err := parseFeed(body, contentType)
	return fd, err
}

// parseFeed is ParseFeed that also says whether the document had to be
// repaired (closed after a cut) to yield its items.
func parseFeed(body []byte, contentType string) (*gofeed.Feed, bool, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false, errors.New("empty document")
	}
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		return nil, false, errors.New("not a feed: gzip-compressed bytes (served without Content-Encoding)")
	}
	body = normalizeEncoding(body, contentType)
	p := gofeed.NewParser()
	// Nothing reads an item's image, and finding one in an item's HTML,
	// when no enclosure or media element names it, parses that HTML a
	// second time (HTMLToText parses it for the text).
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	fd, err := p.Parse(bytes.NewReader(body))
	if err != nil && errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, false, notAFeed(body)
	}
	if err == nil {
		fixTexts(fd)
		return fd, false, nil
	}
	// Second chance for the commonest breakage: bare ampersands.
	if fixed := escapeBareAmpersands(body); !bytes.Equal(fixed, body) {
		if fd2, err2 := p.Parse(bytes.NewReader(fixed)); err2 == nil {
			fixTexts(fd2)
			return fd2, false, nil
		}
	}
	// Third: a document cut off part way. Close what is open and keep
	// the items, but only when one has content: a cut before the first
	// item is a broken feed, not an empty one.
	if fixed, ok := closeTruncated(body); ok {
		if fd2, err2 := p.Parse(bytes.NewReader(fixed)); err2 == nil && hasItemContent(fd2) {
			fixTexts(fd2)
			return fd2, true, nil
		}
	}
	return nil, false, fmt.Errorf("malformed feed: %w", err)
}

// hasItemContent reports whether some item has a title, link or text.
func hasItemContent(fd *gofeed.Feed) bool {
	for _, it := range fd.Items {
		if it != nil && strings.TrimSpace(it.Title+it.Link+it.Description+it.Content) != "" {
			return true
		}
	}
	return false
}

// closeTruncated cuts body after its last complete XML token and appends
// end tags for the elements still open. ok is false when the document
// is not XML or nothing is open.
func closeTruncated(body []byte) ([]byte, bool) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	// The cut is made in body by the decoder's input offsets, so they must
	// count body's own bytes: a converting charset reader (Latin-1 to
	// UTF-8) would count more bytes than body has. Element names are
	// ASCII in every feed format; text is only skipped here.
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	var stack []string
	var good int64
	for {
		tok, err := dec.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if t.Name.Space != "" {
				name = t.Name.Space + ":" + name
			}
			stack = append(stack, name)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
		good = dec.InputOffset()
	}
	if len(stack) == 0 || good <= 0 {
		return nil, false
	}
	out := append([]byte(nil), body[:good]...)
	for i := len(stack) - 1; i >= 0; i-- {
		out = append(out, "</"+stack[i]+">"...)
	}
	return out, true
}

// fixTexts repairs C1 control characters in titles and bodies: they are
// Windows-1252 punctuation (smart quotes, dashes) that was stored as if
// it were Latin-1.
func fixTexts(fd *gofeed.Feed) {
	fd.Title = fixC1(fd.Title)
	fd.Description = fixC1(fd.Description)
	for _, it := range fd.Items {
		if it == nil {
			continue
		}
		it.Title = fixC1(it.Title)
		it.Description = fixC1(it.Description)
		it.Content = fixC1(it.Content)
	}
}

func fixC1(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 && r <= 0x9f }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			if d := charmap.Windows1252.DecodeByte(byte(r)); d != utf8.RuneError {
				r = d
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// notAFeed explains what the document is instead.
func notAFeed(body []byte) error {
	head := strings.ToLower(string(body[:min(len(body), 2048)]))
	switch {
	case strings.Contains(head, "<html") || strings.Contains(head, "<!doctype html"):
		return errors.New("not a feed: an HTML page (the URL may point at a site, not its feed)")
	case strings.Contains(head, "<opml"):
		return errors.New("not a feed: an OPML list (add it with 'digest sources add', or set kind: opml on it in the config)")
	}
	return errors.New("not a feed: no RSS, Atom or JSON Feed root element")
}

// normalizeEncoding turns UTF-16 into UTF-8 and gives undeclared legacy
// bytes a declaration, so the XML parser sees text it can decode.
func normalizeEncoding(body []byte, contentType string) []byte {
	switch {
	case bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}):
		return body[3:]
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}), bytes.HasPrefix(body, []byte{0xFE, 0xFF}),
		len(body) > 4 && body[0] == 0 && body[1] == '<', len(body) > 4 && body[0] == '<' && body[1] == 0:
		r, err := charset.NewReaderLabel(utf16Label(body), bytes.NewReader(body))
		if err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return dropEncodingDecl(bytes.TrimPrefix(out, []byte("\xef\xbb\xbf")))
			}
		}
		return body
	}
	if utf8.Valid(body) {
		// Declared something else: trust the declaration, unless it is
		// unknown, in which case UTF-8 (valid) is the better guess.
		if enc := declaredEncoding(body); enc != "" && !isUTF8Label(enc) {
			if _, name := charset.Lookup(enc); name == "" {
				return dropEncodingDecl(body)
			}
		}
		return body
	}
	enc := declaredEncoding(body)
	if enc == "" {
		if _, name, certain := charset.DetermineEncoding(body, contentType); certain && name != "utf-8" {
			enc = name
		}
	}
	if enc != "" {
		if e, _ := charset.Lookup(enc); e != nil && !isUTF8Label(enc) {
			return body // the parser transcodes declared encodings itself
		}
	}
	// Undeclared (or falsely declared UTF-8) legacy bytes: guess from the
	// byte statistics when the guess is confident, else Windows-1252, which
	// is what such feeds nearly always are.
	if r, err := chardet.NewTextDetector().DetectBest(body); err == nil && r.Confidence >= 50 {
		if e, name := charset.Lookup(r.Charset); e != nil && name != "utf-8" {
			if out, err := e.NewDecoder().Bytes(body); err == nil {
				return dropEncodingDecl(out)
			}
		}
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(body)
	if err != nil {
		return body
	}
	return dropEncodingDecl(out)
}

func utf16Label(body []byte) string {
	if bytes.HasPrefix(body, []byte{0xFF, 0xFE}) || (len(body) > 1 && body[1] == 0) {
		return "utf-16le"
	}
	return "utf-16be"
}

func isUTF8Label(l string) bool {
	l = strings.ToLower(l)
	return l == "utf-8" || l == "utf8"
}

// declaredEncoding returns the encoding named in an XML declaration.
func declaredEncoding(body []byte) string {
	head := body[:min(len(body), 512)]
	if !bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(head, []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := string(head[:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t=")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	rest = rest[1:]
	if j := strings.IndexByte(rest, q); j >= 0 {
		return strings.TrimSpace(rest[:j])
	}
	return ""
}

// dropEncodingDecl rewrites the XML declaration to say UTF-8 (the bytes now
// are).
func dropEncodingDecl(body []byte) []byte {
	enc := declaredEncoding(body)
	if enc == "" {
		return body
	}
	end := bytes.Index(body, []byte("?>"))
	// Replace the value after "encoding", not the first occurrence of it:
	// an unknown label such as "1" or "ver" also stands in "version".
	decl := string(body[:end])
	i := strings.Index(decl, "encoding")
	decl = decl[:i] + strings.Replace(decl[i:], enc, "utf-8", 1)
	return append([]byte(decl), body[end:]...)
}

// escapeBareAmpersands escapes "&" that does not start an entity.
func escapeBareAmpersands(body []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(body) + 64)
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '&' {
			out.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(body) && j-i <= 32 && (isAlnum(body[j]) || body[j] == '#') {
			j++
		}
		if j < len(body) && body[j] == ';' && j > i+1 {
			out.WriteByte(c)
			continue
		}
		out.WriteString("&amp;")
	}
	return out.Bytes()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// articles turns feed items into articles, newest first, at most
// MaxItems, fetching full pages for short items. With a lookup, the items
// the store holds already are left unread and marked (knownItems).
func (f *Feed) articles(ctx context.Context, fd *gofeed.Feed, base string, tally *hostTally, lookup digest.KeyLookup) ([]digest.Article, []digest.KnownArticle, []string) {
	now := f.opts.Now()
	type dated struct {
		it *gofeed.Item
		t  time.Time
	}
	all := make([]dated, 0, len(fd.Items))
	for _, it := range fd.Items {
		if it != nil {
			all = append(all, dated{it, itemDate(it, now)})
		}
	}
	// Newest first so MaxItems keeps the recent ones; undated items keep
	// their feed order after the dated ones.
	sort.SliceStable(all, func(i, j int) bool {
		ti, tj := all[i].t, all[j].t
		if ti.IsZero() || tj.IsZero() {
			return !ti.IsZero() && tj.IsZero()
		}
		return ti.After(tj)
	})
	if len(all) > f.opts.MaxItems {
		all = all[:f.opts.MaxItems]
	}
	guidCount := map[string]int{}
	for _, d := range all {
		guidCount[strings.TrimSpace(d.it.GUID)]++
	}
	sourceName := f.opts.Name
	if sourceName == "" {
		sourceName = plainTitle(fd.Title)
	}
	if sourceName == "" {
		sourceName = firstNonEmpty(hostName(fd.Link), hostName(f.loc), baseName(f.loc))
	}
	// Item links resolve against the channel's link, which may itself be
	// relative ("/"), so it resolves against where the feed came from.
	baseURL, _ := url.Parse(base)
	if l, err := url.Parse(strings.TrimSpace(fd.Link)); err == nil && l.String() != "" {
		if baseURL != nil {
			l = baseURL.ResolveReference(l)
		}
		baseURL = l
	}

	// What an item's text is not needed for first: the store may hold
	// the item already.
	heads := make([]digest.Article, len(all))
	for i, d := range all {
		it := d.it
		a := digest.Article{
			SourceID:   f.loc,
			SourceName: sourceName,
			Title:      plainTitle(it.Title),
			Published:  d.t,
			FetchedAt:  now,
		}
		if link := itemLink(it); link != "" {
			if baseURL != nil {
				if u, err := baseURL.Parse(link); err == nil {
					link = u.String()
				}
			}
			if c, err := CanonicalURL(link); err == nil {
				a.URL = c
			}
		}
		if g := strings.TrimSpace(it.GUID); stableGUID(g) && guidCount[g] == 1 {
			a.GUID = g
		}
		heads[i] = a
	}
	read := func(i int) {
		a := &heads[i]
		it := all[i].it
		a.Text = cleanParagraphs(htmlParagraphs(firstNonEmpty(it.Content, it.Description))) // Clean(HTMLToText(…))
		if a.Title == "" {
			a.Title = deriveTitle(a.Text, a.Language)
		}
	}
	known, warns := f.knownItems(ctx, lookup, heads, read)

	arts := make([]digest.Article, 0, len(all))
	var stored []digest.Article // the known items, in order
	var marks []digest.KnownArticle
	for i, a := range heads {
		if m, ok := known[i]; ok {
			stored = append(stored, a)
			marks = append(marks, m)
			continue
		}
		if a.Title == "" && a.URL == "" && a.Text == "" {
			warns = append(warns, fmt.Sprintf("feed %q: item %d has no title, link or text; skipped", f.loc, i+1))
			continue
		}
		arts = append(arts, a)
		marks = append(marks, digest.KnownArticle{}) // read
	}
	warns = append(warns, f.fillShort(ctx, arts, tally)...)
	arts, dropped := newKeywordFilter(f.opts).filter(arts) // never with known items
	if dropped > 0 {
		warns = append(warns, fmt.Sprintf("feed %q: %d items left out by the source's include/exclude keywords", f.loc, dropped))
	}
	for i := range arts {
		arts[i].ContentHash = digest.ContentHash(arts[i].Text)
		if arts[i].Published.IsZero() {
			arts[i].Published = now
		}
		if arts[i].Language == "" {
			arts[i].Language = detectTitledLanguage(arts[i].Title, arts[i].Text, fd.Language)
		}
	}
	if len(stored) == 0 {
		return arts, nil, warns
	}
	// The known items back in their places.
	merged := make([]digest.Article, 0, len(arts)+len(stored))
	var out []digest.KnownArticle
	for _, m := range marks {
		if m.Of == 0 {
			merged, arts = append(merged, arts[0]), arts[1:]
			continue
		}
		a := stored[0]
		stored = stored[1:]
		if a.Published.IsZero() {
			a.Published = now
		}
		m.Index = len(merged)
		merged = append(merged, a)
		out = append(out, m)
	}
	return merged, out, warns
}

// fillShort fetches the pages of items whose text is short and keeps the
// extracted text when it is longer. The source's settings change that:
// full text "on" fetches every item's page and keeps its text, "off"
// fetches none, and a selector's text, when it matches, is kept whatever
// its length.
func (f *Feed) fillShort(ctx context.Context, arts []digest.Article, tally *hostTally) []string {
	if !f.fillsShort() {
		return nil
	}
	always := f.opts.FullText == digest.FullTextOn
	var (
		mu    sync.Mutex
		warns []string
		wg    sync.WaitGroup
		sem   = make(chan struct{}, f.opts.PageConcurrency)
	)
	for i := range arts {
		a := &arts[i]
		if a.URL == "" || (!always && utf8.RuneCountInString(a.Text) >= f.opts.ShortText) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return warns
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			page, err := f.page(ctx, a.URL)
			if err != nil {
				tally.add(err)
				mu.Lock()
				warns = append(warns, fmt.Sprintf("item %q: full text: %v", a.URL, err))
				mu.Unlock()
				return
			}
			if page.Text != "" && (always || page.chosen || utf8.RuneCountInString(page.Text) > utf8.RuneCountInString(a.Text)) {
				a.Text = page.Text
				a.Language = page.Language
			}
			// The page's time stands in for a missing item date, and
			// refines a bare day (a date-only feed field read as
			// midnight) when it falls on that day.
			if pd := plausibleDate(page.Date, f.opts.Now()); !pd.IsZero() &&
				(a.Published.IsZero() || (a.Published.Equal(a.Published.Truncate(24*time.Hour)) && onDay(pd, a.Published))) {
				a.Published = pd.UTC()
			}
		}()
	}
	wg.Wait()
	return warns
}

// fillsShort reports whether fillShort may fetch an item's page.
func (f *Feed) fillsShort() bool {
	always := f.opts.FullText == digest.FullTextOn
	// A feed read from a file is an offline source: its items keep
	// their own text rather than reach out to the network.
	return (f.opts.ShortText >= 0 || always) && f.opts.FullText != digest.FullTextOff && isHTTP(f.loc)
}

// fetchedPage is an item's page; chosen is set when the source's selector
// picked its text.
type fetchedPage struct {
	Page
	chosen bool
}

func (f *Feed) page(ctx context.Context, link string) (fetchedPage, error) {
	resp, err := f.opts.Fetcher.Get(ctx, Request{URL: link, UserAgent: f.opts.UserAgent, Accept: acceptHTML})
	if err != nil {
		return fetchedPage{}, err
	}
	return pageText(resp, f.opts.Selector)
}

// pageText extracts a fetched page; with a selector that matches, the
// text is the selected elements' instead of the automatic extraction's.
func pageText(resp *Response, selector string) (fetchedPage, error) {
	p, err := extractHTML(resp.Body, resp.URL, resp.ContentType)
	if selector == "" {
		return fetchedPage{Page: p}, err
	}
	if t := selectText(resp.Body, resp.ContentType, selector); t != "" {
		p.Text = t
		return fetchedPage{Page: p, chosen: true}, nil
	}
	return fetchedPage{Page: p}, err
}

// itemDate is the item's publication time, else its update time, else
// zero. Dates gofeed cannot read (localised month and day names such as
// "Seg, 24 Set 2018", or RFC 1123 in a JSON Feed) get a second, slower
// parse; a result outside 1995 … now+2 days is taken as a misreading.
// A date more than two days ahead is ignored however it was read.
func itemDate(it *gofeed.Item, now time.Time) time.Time {
	if it == nil {
		return time.Time{}
	}
	// A date more than two days ahead is a typo or a wrong zone, not news
	// from the future: kept, it would make the item the newest in every
	// edition until that day comes.
	parsed := func(t *time.Time) time.Time {
		if t == nil || t.IsZero() || t.After(now.Add(48*time.Hour)) {
			return time.Time{}
		}
		return t.UTC()
	}
	if t := parsed(it.PublishedParsed); !t.IsZero() {
		return t
	}
	if t := looseDate(it.Published, now); !t.IsZero() {
		return t
	}
	if t := parsed(it.UpdatedParsed); !t.IsZero() {
		return t
	}
	return looseDate(it.Updated, now)
}

// looseDate parses a date written in any common language and layout. It
// needs a four-digit year, so relative phrases ("yesterday") and two-digit
// years are not guessed at.
func looseDate(s string, now time.Time) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 || !fourDigitRE.Get().MatchString(s) {
		return time.Time{}
	}
	d, err := dateparser.Parse(&dateparser.Configuration{StrictParsing: true, CurrentTime: now}, s)
	if err != nil || d.Time.IsZero() {
		return time.Time{}
	}
	t := d.Time.UTC()
	if t.Year() < 1995 || t.After(now.Add(48*time.Hour)) {
		return time.Time{}
	}
	return t
}

var fourDigitRE = lazyre.New(`\b(19|20)\d\d\b`)

func itemLink(it *gofeed.Item) string {
	if l := strings.TrimSpace(it.Link); l != "" {
		return l
	}
	for _, l := range it.Links {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	// RSS items often carry the permalink only as an isPermaLink GUID.
	if g := strings.TrimSpace(it.GUID); isHTTP(g) {
		return g
	}
	return ""
}

// stableGUID rejects GUIDs that cannot identify an item across fetches:
// empty, absurdly long, with white space, or plain small numbers (item
// positions some generators emit).
func stableGUID(g string) bool {
	if g == "" || len(g) > 512 || strings.ContainsAny(g, " \t\r\n") {
		return false
	}
	if len(g) < 4 {
		return false
	}
	return true
}

// readCapped reads a file of at most max bytes.
func readCapped(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: file exceeds %d bytes", ErrTooLarge, max)
	}
	return data, nil
}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	return charset.NewReaderLabel(label, input)
}

func baseName(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
