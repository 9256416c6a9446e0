package feed

import (
	"net/url"
	"strings"
	"unicode/utf8"

	readability "github.com/go-shiori/go-readability"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// go-trafilatura's result is checked before it is kept: when it looks
// wrong (much shorter than the page's paragraphs, or mostly the text of
// the page's links, as a teaser list is) go-readability is asked for a
// second opinion, and its text is kept when it is clearly better.
// go-trafilatura's own fallback compares lengths only; turning it off and
// relying on this check alone lost 0.7 points of F1 on the annotated
// pages, so both run.

// Thresholds of a result that looks wrong.
const (
	shortText      = 500  // runes of text...
	pageParagraphs = 1500 // ...on a page with at least this much paragraph text
	linkDense      = 0.3  // share of the text that repeats the page's link texts
)

// secondOpinion returns text, or the second extractor's text (alt, asked
// only when needed) when text looks wrong and alt's is clearly better.
func secondOpinion(text string, doc *xhtml.Node, alt func() string) string {
	links := linkTexts(doc)
	n := utf8.RuneCountInString(text)
	density := linkShare(text, links)
	short := n < shortText && paragraphRunes(doc) >= pageParagraphs
	if !short && density < linkDense {
		return text
	}
	other := alt()
	m := utf8.RuneCountInString(other)
	otherDensity := linkShare(other, links)
	switch {
	case short && 2*m >= 3*n && otherDensity < linkDense:
		return other
	case !short && otherDensity < density/2 && 2*m >= n:
		return other
	}
	return text
}

// readabilityText runs go-readability over doc once, for go-trafilatura's
// fallback and for secondOpinion, which both want it for the same page.
type readabilityText struct {
	node *xhtml.Node
	text *string
}

func newReadability(doc *xhtml.Node, base *url.URL) *readabilityText {
	art, err := readability.FromDocument(doc, base)
	if err != nil {
		return &readabilityText{}
	}
	return &readabilityText{node: art.Node}
}

// cleaned returns readability's text through clean, computed once.
func (r *readabilityText) cleaned(clean func(string) string) string {
	if r.text == nil {
		t := ""
		if r.node != nil {
			t = clean(nodeText(r.node))
		}
		r.text = &t
	}
	return *r.text
}

// linkTexts returns the normalised texts of doc's links long enough to be
// a headline.
func linkTexts(doc *xhtml.Node) map[string]bool {
	out := map[string]bool{}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && n.DataAtom == atom.A {
			if t := normTitle(nodeText(n)); utf8.RuneCountInString(t) >= 15 {
				out[t] = true
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// linkShare is the share of text's runes in paragraphs that are the text
// of one of the page's links.
func linkShare(text string, links map[string]bool) float64 {
	total, linked := 0, 0
	for _, p := range strings.Split(text, "\n\n") {
		k := utf8.RuneCountInString(p)
		total += k
		if links[normTitle(p)] {
			linked += k
		}
	}
	if total == 0 {
		return 0
	}
	return float64(linked) / float64(total)
}

// paragraphRunes counts the non-space runes inside doc's <p> elements.
func paragraphRunes(doc *xhtml.Node) int {
	k := 0
	var walk func(n *xhtml.Node, inP bool)
	walk = func(n *xhtml.Node, inP bool) {
		switch n.Type {
		case xhtml.TextNode:
			if inP {
				k += textRunes(n.Data)
			}
			return
		case xhtml.ElementNode:
			if skipTags.Get()[n.DataAtom] {
				return
			}
			inP = inP || n.DataAtom == atom.P
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inP)
		}
	}
	walk(doc, false)
	return k
}
