package feed

import (
	"html"
	"strings"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazy"
)

// blockTags end a paragraph before and after them.
var blockTags = lazy.Value[map[atom.Atom]bool]{Build: func() map[atom.Atom]bool {
	return map[atom.Atom]bool{
		atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
		atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
		atom.Blockquote: true, atom.Pre: true, atom.Tr: true, atom.Table: true, atom.Section: true,
		atom.Article: true, atom.Header: true, atom.Footer: true, atom.Hr: true, atom.Dd: true,
		atom.Dt: true, atom.Dl: true, atom.Main: true, atom.Aside: true, atom.Address: true,
		atom.Center: true, atom.Details: true, atom.Summary: true, atom.Td: true, atom.Th: true,
	}
}}

// skipTags hold no article text: scripts, styles, embedded media and their
// captions (photo credits live in figcaption).
var skipTags = lazy.Value[map[atom.Atom]bool]{Build: func() map[atom.Atom]bool {
	return map[atom.Atom]bool{
		atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Iframe: true,
		atom.Object: true, atom.Embed: true, atom.Svg: true, atom.Math: true, atom.Template: true,
		atom.Figcaption: true, atom.Button: true, atom.Form: true, atom.Select: true,
		atom.Textarea: true, atom.Head: true, atom.Nav: true, atom.Video: true, atom.Audio: true,
		atom.Canvas: true, atom.Picture: true,
	}
}}

// HTMLToText turns an HTML fragment (a feed item's body) into plain text:
// entities decoded, tags dropped, block elements as paragraphs separated by
// "\n\n", white space collapsed. Text that holds no markup keeps its own
// paragraph breaks.
func HTMLToText(s string) string {
	if !looksLikeHTML(s) {
		return plainParagraphs(html.UnescapeString(s))
	}
	doc, err := xhtml.Parse(strings.NewReader(s))
	if err != nil {
		return plainParagraphs(html.UnescapeString(s))
	}
	return nodeText(doc)
}

// nodeText renders the text of n and its descendants as paragraphs.
func nodeText(n *xhtml.Node) string {
	var paras []string
	var cur strings.Builder
	flush := func() {
		if t := collapseSpace(cur.String()); t != "" {
			paras = append(paras, t)
		}
		cur.Reset()
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.TextNode:
			cur.WriteString(n.Data)
			return
		case xhtml.ElementNode:
			if skipTags.Get()[n.DataAtom] {
				return
			}
			if n.DataAtom == atom.Img {
				return
			}
		case xhtml.CommentNode:
			return
		}
		block := n.Type == xhtml.ElementNode && blockTags.Get()[n.DataAtom]
		if block {
			flush()
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			flush()
		}
	}
	walk(n)
	flush()
	return strings.Join(paras, "\n\n")
}

// looksLikeHTML reports whether s has a tag or an entity worth parsing.
func looksLikeHTML(s string) bool {
	i := strings.IndexByte(s, '<')
	for i >= 0 && i+1 < len(s) {
		c := s[i+1]
		if c == '/' || c == '!' || (c|0x20 >= 'a' && c|0x20 <= 'z') {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// plainParagraphs normalises plain text: paragraphs at blank lines, lines
// within a paragraph joined, white space collapsed.
func plainParagraphs(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, p := range splitParagraphs(s) {
		if t := collapseSpace(p); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n\n")
}

// plainTitle makes a one-line plain-text title, at most
// digest.MaxTitleRunes long, from a feed title that may hold markup or
// entities.
func plainTitle(s string) string {
	if looksLikeHTML(s) {
		s = strings.ReplaceAll(HTMLToText(s), "\n\n", " ")
	} else {
		s = html.UnescapeString(s)
	}
	return digest.ClipTitle(collapseSpace(s))
}
