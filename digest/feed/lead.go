package feed

import (
	"strings"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// A page's lead paragraph (standfirst, "Vorspann", "chapô", "entradilla")
// often sits outside the container that holds the article body, in the
// header beside the headline, and go-trafilatura then leaves it out.
// standfirst finds it by its class, id or itemprop, or as the paragraph
// that repeats the page's description, and withLead puts it back in front
// of the text.

// leadNames are the parts of class names ("article__lead", "c-leadtext",
// "dig-vorspann") that mark a lead paragraph.
var leadNames = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"lead": true, "leadtext": true, "lede": true, "standfirst": true, "intro": true, "introduction": true,
		"vorspann": true, "einleitung": true, "anrisstext": true, "sapo": true, "chapo": true,
		"chapeau": true, "chapô": true, "entradilla": true, "bajada": true,
	}
}}

// dekNames mark a headline's companion line (a "dek", a subtitle, a
// summary). English news keeps it apart from the article, as the
// annotated corpora do; in German, French or Spanish news it is the
// article's lead.
var dekNames = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"dek": true, "deck": true, "subtitle": true, "subheadline": true, "subhead": true, "summary": true,
		"excerpt": true, "abstract": true,
	}
}}

var classPartRE = lazyre.New(`[-_]+`)

// Bounds of a standfirst: a sentence or a few, not a caption and not a
// whole article.
const (
	minLead = 60
	maxLead = 700
)

// standfirst returns the page's lead paragraph and its element, or "" and
// nil. stats are the page's text counts (pruneDocument's); title is the
// page's headline; description its meta description,
// which a lead often repeats.
func standfirst(doc *xhtml.Node, stats pageStats, title, description string) (string, *xhtml.Node) {
	body := findElement(doc, atom.Body)
	if body == nil {
		return "", nil
	}
	desc := normTitle(description)
	var found, dek, byDesc *xhtml.Node
	var walk func(n *xhtml.Node) bool
	walk = func(n *xhtml.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != xhtml.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Nav, atom.Footer, atom.Aside, atom.Form, atom.Script, atom.Style, atom.Figure, atom.Figcaption, atom.A:
				continue
			}
			// The counts spare reading the text of elements that cannot be
			// a lead (they are stale only for ancestors of pruned parts,
			// which are larger still).
			fits := stats[c].text >= minLead/2 && stats[c].text <= maxLead
			if kind := leadKind(c); kind != 0 && fits && leadText(c, title) != "" {
				if kind == leadParagraph {
					found = c
					return true
				}
				if dek == nil {
					dek = c
				}
			}
			if byDesc == nil && desc != "" && fits && (c.DataAtom == atom.P || c.DataAtom == atom.Div) {
				if t := leadText(c, title); t != "" && normTitle(t) == desc {
					byDesc = c
				}
			}
			if c.DataAtom == atom.P {
				continue
			}
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(body)
	if found != nil {
		return leadText(found, title), found
	}
	// A dek, or the paragraph that repeats the description, is the lead
	// only outside English.
	for _, n := range []*xhtml.Node{dek, byDesc} {
		if n == nil {
			continue
		}
		if t := leadText(n, title); detectLanguage(t, declaredLanguage(doc)) != "en" {
			return t, n
		}
	}
	return "", nil
}

const (
	leadParagraph = 1 + iota
	leadDek
)

// leadKind tells whether n's class, id or itemprop marks a lead paragraph
// or a dek (0: neither).
func leadKind(n *xhtml.Node) int {
	switch n.DataAtom {
	case atom.P, atom.Div, atom.H2, atom.Section, atom.Header, atom.Span, atom.Strong, atom.B:
	default:
		return 0
	}
	kind := 0
	if strings.EqualFold(attr(n, "itemprop"), "description") {
		kind = leadDek
	}
	for _, name := range classNames(n) {
		for _, part := range classPartRE.Get().Split(name, -1) {
			if leadNames.Get()[part] {
				return leadParagraph
			}
			if dekNames.Get()[part] {
				kind = leadDek
			}
		}
	}
	return kind
}

// leadText returns n's text when it reads as a lead: a sentence or a few,
// ending as a sentence ends, not mostly links, and not a header block that
// holds the headline; else "".
func leadText(n *xhtml.Node, title string) string {
	t := collapseSpace(strings.ReplaceAll(nodeText(n), "\n\n", " "))
	k := utf8.RuneCountInString(t)
	if k < minLead || k > maxLead || len(strings.Fields(t)) < 10 {
		return ""
	}
	last, _ := utf8.DecodeLastRuneInString(t)
	if !strings.ContainsRune(".!?…\"”»“:)", last) {
		return ""
	}
	if nt := normTitle(title); nt != "" && strings.Contains(normTitle(t), nt) {
		return ""
	}
	if linkRunes(n)*4 > textRunes(t) {
		return ""
	}
	return t
}

// linkRunes counts the non-space runes inside links under n.
func linkRunes(n *xhtml.Node) int {
	k := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == xhtml.ElementNode && c.DataAtom == atom.A:
			k += textRunes(nodeText(c))
		case c.Type == xhtml.ElementNode:
			k += linkRunes(c)
		}
	}
	return k
}

// withLead puts lead in front of text when the text lacks it and the lead
// stands before the text's first paragraph in the page (a lead found
// after the body start is some other summary box).
func withLead(text, lead string, leadNode *xhtml.Node, doc *xhtml.Node) string {
	if lead == "" || leadNode == nil {
		return text
	}
	nt := normTitle(text)
	nl := normTitle(lead)
	if nl == "" || strings.Contains(nt, prefixRunes(nl, 80)) {
		return text
	}
	first, _, _ := strings.Cut(text, "\n\n")
	if !precedes(doc, leadNode, prefixRunes(collapseSpace(first), 30)) {
		return text
	}
	// A lead follows the headline; a summary above it belongs to some
	// other story (a teaser, a ticker).
	if h1 := findElement(doc, atom.H1); h1 != nil && !before(doc, h1, leadNode) {
		return text
	}
	return lead + "\n\n" + text
}

// precedes reports whether node comes before the first text node of doc
// that contains needle (or holds it); false when needle is not found.
func precedes(doc, node *xhtml.Node, needle string) bool {
	if needle == "" {
		return false
	}
	seen := false
	var result, done bool
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if done {
			return
		}
		if n == node {
			seen = true
		}
		if n.Type == xhtml.TextNode && strings.Contains(collapseSpace(n.Data), needle) {
			result, done = seen, true
			return
		}
		for c := n.FirstChild; c != nil && !done; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return result
}

// before reports whether a comes before b in document order.
func before(doc, a, b *xhtml.Node) bool {
	found := 0
	var walk func(n *xhtml.Node) bool
	walk = func(n *xhtml.Node) bool {
		switch n {
		case a:
			return true
		case b:
			found = -1
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(doc)
	return found == 0
}

func prefixRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
