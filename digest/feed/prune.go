package feed

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/lazyre"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Before go-trafilatura sees a page, pruneDocument removes what is plainly
// not the article, by the page's own structure: the articles an infinite
// scroll stacks after the first one, "next article" and "load more"
// containers, reader-comment areas with their prompts and forms, related
// and teaser lists, and subscription, newsletter and app promotions. A
// container is removed only when it does not hold the bulk of the page's
// paragraph text, so a page whose whole body carries a "comments" class
// keeps its article.

// Class and id vocabulary of what pruneDocument removes. Each pattern is
// matched against one lower-case class name or id at a time.
var (
	// Infinite scroll and next-article containers.
	nextClass = lazyre.New(`next[-_]?(article|story|stories|post|read)|infinite|load[-_]?more|read[-_]?next|up[-_]?next|more[-_]?stories|article[-_]?(stream|feed|list)|story[-_]?stream|endless|weiterlesen[-_]?teaser`)
	// Reader comments, their prompts and forms.
	commentClass = lazyre.New(`comment|kommentar|komment|commentaire|comentario|disqus|^respond$|^replies$|leserbrief|reader[-_]?reactions|^discussion|coral[-_]?talk|talk[-_]?stream`)
	// Related stories and recommendation widgets.
	relatedClass = lazyre.New(`related|recommend|more[-_]?from|also[-_]?(read|like)|read[-_]?also|you[-_]?may[-_]?like|further[-_]?reading|outbrain|taboola|plista|most[-_]?(read|popular|viewed|shared)|trending|^popular|weitere[-_]?artikel|mehr[-_]?zum[-_]?thema|empfehlung|lire[-_]?aussi|a[-_]?lire|relacionad|tambien[-_]?te`)
	// Subscription, newsletter, donation and app promotions.
	promoClass = lazyre.New(`newsletter|subscri|paywall|donat|membership|app[-_]?(promo|download|banner|teaser)|^promo|[-_]promo|sign[-_]?up|signup|^cta$|[-_]cta$|^cta[-_]|abo[-_]?(teaser|box|promo|hinweis|banner)|plus[-_]?teaser|support[-_]?us|contribut`)
	// Teaser cards and tiles: removed only when they are mostly links.
	teaserClass = lazyre.New(`teaser|card|tile`)
)

// nodeStats is how much text an element holds: in all, inside links, and
// inside paragraphs.
type nodeStats struct{ text, link, para int }

// pageHead returns the page's own headline (og:title, else <title>) and
// description (og:description, else the description <meta>).
func pageHead(doc *xhtml.Node) (title, description string) {
	var og, ogDesc, desc string
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.Body:
				return
			case atom.Title:
				if title == "" {
					title = nodeTextRaw(n)
				}
			case atom.Meta:
				switch key := strings.ToLower(firstNonEmpty(attr(n, "property"), attr(n, "name"))); key {
				case "og:title":
					og = firstNonEmpty(og, attr(n, "content"))
				case "og:description":
					ogDesc = firstNonEmpty(ogDesc, attr(n, "content"))
				case "description":
					desc = firstNonEmpty(desc, attr(n, "content"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return collapseSpace(firstNonEmpty(og, title)), collapseSpace(firstNonEmpty(ogDesc, desc))
}

// nodeTextRaw is the concatenated text of n's text children.
func nodeTextRaw(n *xhtml.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xhtml.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// pageStats holds the text counts of every element of a document.
type pageStats map[*xhtml.Node]nodeStats

// measure counts the text of n and its descendants into s.
func (s pageStats) measure(n *xhtml.Node, inLink, inPara bool) nodeStats {
	var st nodeStats
	switch n.Type {
	case xhtml.TextNode:
		k := textRunes(n.Data)
		st.text = k
		if inLink {
			st.link = k
		}
		if inPara {
			st.para = k
		}
		return st
	case xhtml.ElementNode:
		if skipTags.Get()[n.DataAtom] && n.DataAtom != atom.Form && n.DataAtom != atom.Button {
			return st
		}
		inLink = inLink || n.DataAtom == atom.A
		inPara = inPara || n.DataAtom == atom.P
	case xhtml.CommentNode:
		return st
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		cs := s.measure(c, inLink, inPara)
		st.text += cs.text
		st.link += cs.link
		st.para += cs.para
	}
	if n.Type == xhtml.ElementNode {
		s[n] = st
	}
	return st
}

// textRunes counts the non-space runes of s.
func textRunes(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

func (st nodeStats) linkDensity() float64 {
	if st.text == 0 {
		return 0
	}
	return float64(st.link) / float64(st.text)
}

// pruneDocument removes from doc the parts described above and returns the
// text counts of the elements left (stale for the ancestors of removed
// ones). title is the page's headline, used to tell the requested article
// from those an infinite scroll appends.
func pruneDocument(doc *xhtml.Node, title string) pageStats {
	stats := pageStats{}
	body := findElement(doc, atom.Body)
	if body == nil {
		return stats
	}
	total := stats.measure(body, false, false)
	if total.para == 0 {
		total.para = 1
	}
	remove := stackedArticles(body, stats, title)
	kinds := map[string]classKind{} // class names repeat across a page
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != xhtml.ElementNode {
				continue
			}
			if prunable(c, stats[c], total, kinds) {
				remove = append(remove, c)
				continue
			}
			walk(c)
		}
	}
	walk(body)
	for _, n := range remove {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	return stats
}

// classNeedles are substrings of which every name the class patterns match
// holds one; they spare the regular expressions on most names.
var classNeedles = []string{
	"next", "infinit", "load", "more", "stream", "feed", "list", "endless", "weiterlesen", "comment", "komment",
	"coment", "disqus", "respond", "repl", "leserbrief", "reaction", "discussion", "talk", "related", "recommend",
	"from", "also", "like", "further", "outbrain", "taboola", "plista", "most", "trending", "popular", "weitere",
	"mehr", "empfehlung", "lire", "relacionad", "tambien", "newsletter", "subscri", "paywall", "donat", "member",
	"app", "promo", "sign", "cta", "abo", "plus", "support", "contribut", "teaser", "card", "tile",
}

// classKind is what a class name or id says of its element.
type classKind uint8

const (
	plainClass classKind = iota
	nextOrComment
	relatedBox
	promoBox
	teaserBox
)

// kindOf classifies one lower-case class name or id, remembering the
// answer in cache.
func kindOf(name string, cache map[string]classKind) classKind {
	if k, ok := cache[name]; ok {
		return k
	}
	k := plainClass
	switch {
	case !containsAny(name, classNeedles):
	case nextClass.Get().MatchString(name), commentClass.Get().MatchString(name):
		k = nextOrComment
	case relatedClass.Get().MatchString(name):
		k = relatedBox
	case promoClass.Get().MatchString(name):
		k = promoBox
	case teaserClass.Get().MatchString(name):
		k = teaserBox
	}
	cache[name] = k
	return k
}

// prunable reports whether element n, whose text counts are st in a body
// with counts total, is a container to remove.
func prunable(n *xhtml.Node, st nodeStats, total nodeStats, kinds map[string]classKind) bool {
	switch n.DataAtom {
	case atom.Html, atom.Head, atom.Body, atom.Main, atom.H1:
		return false
	case atom.Form:
		// Comment, newsletter and login forms; a page is never one form
		// around its article.
		return 2*st.para < total.para
	}
	names := classNames(n)
	kind := plainClass
	for _, name := range names {
		if k := kindOf(name, kinds); k != plainClass && (kind == plainClass || k < kind) {
			kind = k
		}
	}
	switch kind {
	case plainClass:
		return false
	case nextOrComment:
		// A next article or a comment thread may be longer than the
		// article; it never holds the headline or the article body, and
		// the article is left when it goes.
		return !holdsArticle(n) && total.para-st.para >= minArticleLeft
	}
	// The bulk of the page's paragraphs is the article, whatever its class.
	if 2*st.para >= total.para {
		return false
	}
	switch kind {
	case relatedBox:
		return 4*st.para <= total.para || st.linkDensity() >= 0.5
	case promoBox:
		return st.text <= 800 || st.linkDensity() >= 0.5
	default: // teaserBox
		return st.text >= 20 && st.linkDensity() >= 0.6
	}
}

// holdsArticle reports whether n contains the page's headline (an h1) or
// an element marked as the article body.
func holdsArticle(n *xhtml.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != xhtml.ElementNode {
			continue
		}
		if c.DataAtom == atom.H1 || strings.EqualFold(attr(c, "itemprop"), "articleBody") || holdsArticle(c) {
			return true
		}
	}
	return false
}

// classNames returns n's class names and id, lower-cased.
func classNames(n *xhtml.Node) []string {
	var out []string
	for _, a := range n.Attr {
		switch a.Key {
		case "class":
			for _, c := range strings.Fields(strings.ToLower(a.Val)) {
				// State classes ("is-showing-comments", "has-related")
				// describe the page, not the element.
				if !strings.HasPrefix(c, "is-") && !strings.HasPrefix(c, "has-") && !strings.HasPrefix(c, "no-") &&
					!strings.HasPrefix(c, "with-") && !strings.HasPrefix(c, "show") {
					out = append(out, c)
				}
			}
		case "id":
			if v := strings.ToLower(strings.TrimSpace(a.Val)); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// minArticleLeft is the paragraph text a page must keep when a next-article
// or comment container goes.
const minArticleLeft = 500

// minStackedArticle is the paragraph text an <article> needs to count as a
// full article when a page stacks several; minOtherArticle is what one
// beside the page's own article needs to be removed.
const (
	minStackedArticle = 500
	minOtherArticle   = 200
)

// stackedArticles returns the articles a page stacks beside the one it was
// asked for (an infinite scroll, "next article", a promoted story). The
// requested one is the article whose headline matches the page's title;
// every other article with some paragraphs goes. Without a match, the
// first full article is the page's, and the full articles after it go.
// Live blogs, whose entries are short, are left alone.
func stackedArticles(body *xhtml.Node, stats pageStats, title string) []*xhtml.Node {
	var arts []*xhtml.Node
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != xhtml.ElementNode {
				continue
			}
			if c.DataAtom == atom.Article {
				if stats[c].para >= minOtherArticle && headline(c) != "" {
					arts = append(arts, c)
				}
				continue // an article inside an article is part of it
			}
			walk(c)
		}
	}
	walk(body)
	if len(arts) < 2 {
		return nil
	}
	if t := normTitle(title); t != "" {
		for i, a := range arts {
			if h := normTitle(headline(a)); h != "" && (strings.Contains(t, h) || strings.Contains(h, t)) {
				return append(arts[:i:i], arts[i+1:]...)
			}
		}
	}
	var out []*xhtml.Node
	first := true
	for _, a := range arts {
		if stats[a].para < minStackedArticle {
			continue
		}
		if first {
			first = false
			continue
		}
		out = append(out, a)
	}
	return out
}

// headline returns the text of the first h1 or h2 of n.
func headline(n *xhtml.Node) string {
	h := findElement(n, atom.H1)
	if h == nil {
		h = findElement(n, atom.H2)
	}
	if h == nil {
		return ""
	}
	return collapseSpace(nodeText(h))
}

// normTitle lower-cases a title and keeps only its letters and digits, so
// that "Steel duties rise – Example News" contains "Steel duties rise".
func normTitle(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	if utf8.RuneCountInString(b.String()) < 10 {
		return ""
	}
	return b.String()
}

// findElement returns the first element of type a in n's subtree (n
// included), in document order.
func findElement(n *xhtml.Node, a atom.Atom) *xhtml.Node {
	if n.Type == xhtml.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findElement(c, a); f != nil {
			return f
		}
	}
	return nil
}
