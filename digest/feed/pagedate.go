package feed

import (
	"encoding/json"
	"strings"
	"time"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// publishedMeta are the <meta> names and properties that state when an
// article was published, strongest first (Open Graph article, schema.org
// microdata, then the common publisher and Dublin Core conventions).
var publishedMeta = []string{
	"article:published_time", "og:article:published_time", "og:published_time", "datepublished",
	"parsely-pub-date", "sailthru.date", "pubdate", "publishdate", "publish-date", "publish_date",
	"article.published", "published_time", "dcterms.created", "dc.date.issued", "dcterms.issued", "dc.date", "date",
}

// pageDate returns the publication time a page states, with its time of
// day and zone where the page gives them: a <meta> such as
// article:published_time, else JSON-LD datePublished, else a <time
// datetime> marked as the publication time (itemprop="datePublished" or
// pubdate). An unmarked <time datetime> counts only when it falls on the
// day the extractor found (day), which corroborates it. When the page
// states no time of day, day (go-trafilatura's date, day precision) is
// returned as it is.
func pageDate(doc *xhtml.Node, day time.Time) time.Time {
	var metas = map[string]string{}
	var ldDates []string
	var marked, unmarked []string
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.Meta:
				key := strings.ToLower(firstNonEmpty(attr(n, "property"), attr(n, "name"), attr(n, "itemprop")))
				if v := attr(n, "content"); key != "" && v != "" {
					if _, ok := metas[key]; !ok {
						metas[key] = v
					}
				}
			case atom.Script:
				if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") && n.FirstChild != nil {
					ldDates = append(ldDates, jsonLDDates(n.FirstChild.Data)...)
				}
			case atom.Time:
				if v := firstNonEmpty(attr(n, "datetime"), attr(n, "content")); v != "" {
					if strings.EqualFold(attr(n, "itemprop"), "datePublished") || hasAttr(n, "pubdate") {
						marked = append(marked, v)
					} else {
						unmarked = append(unmarked, v)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	var candidates []string
	for _, k := range publishedMeta {
		if v, ok := metas[k]; ok {
			candidates = append(candidates, v)
		}
	}
	candidates = append(candidates, ldDates...)
	candidates = append(candidates, marked...)
	for _, c := range candidates {
		if t, precise := parsePageTime(c); precise {
			return t
		}
	}
	if !day.IsZero() {
		for _, c := range unmarked {
			if t, precise := parsePageTime(c); precise && onDay(t, day) {
				return t
			}
		}
		return day
	}
	// No extractor date: a stated day is better than none.
	for _, c := range candidates {
		if t, _ := parsePageTime(c); !t.IsZero() {
			return t
		}
	}
	return day
}

// jsonLDDates returns the datePublished values of a JSON-LD block: of the
// object itself, of each object of an array or @graph, and of the
// mainEntity an object wraps. Invalid JSON gives none.
func jsonLDDates(raw string) []string {
	var v any
	if len(raw) > 1<<20 || json.Unmarshal([]byte(raw), &v) != nil {
		return nil
	}
	var out []string
	var visit func(v any, depth int)
	visit = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				visit(e, depth+1)
			}
		case map[string]any:
			if s, ok := x["datePublished"].(string); ok && s != "" {
				out = append(out, s)
			}
			for _, k := range []string{"@graph", "mainEntity", "mainEntityOfPage"} {
				if e, ok := x[k]; ok {
					visit(e, depth+1)
				}
			}
		}
	}
	visit(v, 0)
	return out
}

// pageTimeLayouts are the forms pages write dates in; those without a zone
// are read as UTC.
var pageTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	time.RFC1123Z,
	time.RFC1123,
}

// parsePageTime reads one stated date and reports whether it carries a time
// of day; a bare date ("2026-12-05") gives midnight UTC and false.
func parsePageTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	for _, l := range pageTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	if len(s) >= 10 {
		if t, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return t, false
		}
	}
	return time.Time{}, false
}

// onDay reports whether t falls on day's calendar date, in t's own zone
// or in UTC (extractors report the page's local date).
func onDay(t, day time.Time) bool {
	y, m, d := day.Date()
	for _, u := range []time.Time{t, t.UTC()} {
		if uy, um, ud := u.Date(); uy == y && um == m && ud == d {
			return true
		}
	}
	return false
}

// plausibleDate returns t, or zero when t is more than two days after now:
// a typo or a wrong zone, not news from the future (see itemDate).
func plausibleDate(t, now time.Time) time.Time {
	if t.After(now.Add(48 * time.Hour)) {
		return time.Time{}
	}
	return t
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

func hasAttr(n *xhtml.Node, key string) bool {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}
