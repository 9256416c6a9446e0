package feed

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
)

// keywordFilter is a source's include/exclude setting. A keyword matches a
// whole word or phrase, case-insensitively ("EU" does not match "Europe");
// a trailing "*" matches any ending ("tariff*" matches "tariffs").
type keywordFilter struct {
	include, exclude []string
}

func newKeywordFilter(opts Options) keywordFilter {
	return keywordFilter{include: lowerAll(opts.Include), exclude: lowerAll(opts.Exclude)}
}

func lowerAll(in []string) []string {
	out := make([]string, 0, len(in))
	for _, k := range in {
		if k = strings.ToLower(strings.Join(strings.Fields(k), " ")); k != "" && k != "*" {
			out = append(out, k)
		}
	}
	return out
}

func (f keywordFilter) active() bool { return len(f.include) > 0 || len(f.exclude) > 0 }

// keep reports whether an article passes the filter: it mentions an
// include keyword (when there are any) and no exclude keyword.
func (f keywordFilter) keep(a digest.Article) bool {
	if !f.active() {
		return true
	}
	text := strings.ToLower(strings.Join(strings.Fields(a.Title+" \n "+a.Text), " "))
	for _, k := range f.exclude {
		if mentions(text, k) {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, k := range f.include {
		if mentions(text, k) {
			return true
		}
	}
	return false
}

// filter keeps the articles that pass and returns how many it dropped.
func (f keywordFilter) filter(arts []digest.Article) ([]digest.Article, int) {
	if !f.active() {
		return arts, 0
	}
	kept := arts[:0]
	for _, a := range arts {
		if f.keep(a) {
			kept = append(kept, a)
		}
	}
	return kept, len(arts) - len(kept)
}

// mentions reports whether text (lower-cased, spaces collapsed) holds the
// keyword k at word boundaries.
func mentions(text, k string) bool {
	prefix := strings.HasSuffix(k, "*")
	k = strings.TrimSuffix(k, "*")
	for i := 0; ; {
		j := strings.Index(text[i:], k)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(k)
		if boundaryBefore(text, start) && (prefix || boundaryAfter(text, end)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		i = start + size
	}
}

func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !isWordRune(r)
}

func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(r)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
