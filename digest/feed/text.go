package feed

import (
	"bytes"
	"html"
	"io"
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
	return strings.Join(htmlParagraphs(s), "\n\n")
}

// htmlParagraphs is HTMLToText's paragraphs, each trimmed, with its white
// space collapsed (so without line breaks), none empty.
func htmlParagraphs(s string) []string {
	if !looksLikeHTML(s) {
		return plainParagraphList(html.UnescapeString(s))
	}
	if paras, ok := simpleHTMLParagraphs(s); ok {
		return paras
	}
	doc, err := xhtml.Parse(strings.NewReader(s))
	if err != nil {
		return plainParagraphList(html.UnescapeString(s))
	}
	return nodeParagraphs(doc)
}

// nodeText renders the text of n and its descendants as paragraphs.
func nodeText(n *xhtml.Node) string {
	return strings.Join(nodeParagraphs(n), "\n\n")
}

// nodeParagraphs is nodeText's paragraphs.
func nodeParagraphs(n *xhtml.Node) []string {
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
	return paras
}

// Kinds of tag that simpleHTMLParagraphs reads; any other tag makes it
// leave the fragment to the parser.
const (
	simpleNone    = iota
	simpleInline  // a phrasing element: no paragraph break
	simpleBlock   // an element that closes an open <p> (address … ul, figure, figcaption)
	simpleHeading // h1 … h6
	simpleItem    // li
	simpleBreak   // br, hr: void, a paragraph break
	simpleVoid    // img, wbr: void, no text
)

// simpleTags are the tags simpleHTMLParagraphs reads, by kind.
var simpleTags = lazy.Value[map[atom.Atom]uint8]{Build: func() map[atom.Atom]uint8 {
	m := map[atom.Atom]uint8{atom.Li: simpleItem, atom.Br: simpleBreak, atom.Hr: simpleBreak, atom.Img: simpleVoid, atom.Wbr: simpleVoid}
	for _, a := range []atom.Atom{
		atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U,
		atom.Span, atom.Sub, atom.Sup, atom.Abbr, atom.Cite, atom.Mark, atom.Q, atom.Time, atom.Dfn, atom.Kbd, atom.Samp,
		atom.Var, atom.Ins, atom.Del, atom.Bdi, atom.Bdo, atom.Data,
	} {
		m[a] = simpleInline
	}
	for _, a := range []atom.Atom{
		atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Div, atom.Footer, atom.Header,
		atom.Main, atom.Ol, atom.P, atom.Section, atom.Ul, atom.Figure, atom.Figcaption,
	} {
		m[a] = simpleBlock
	}
	for _, a := range []atom.Atom{atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6} {
		m[a] = simpleHeading
	}
	return m
}}

// simpleHTMLParagraphs is nodeParagraphs of the document xhtml.Parse
// makes of s, read from s's tokens without building the document, for
// the fragments whose document is their tokens as they stand: ok is
// false, and s must be parsed, for any other. A feed item's body is
// mostly such a fragment (paragraphs, links, emphasis, lists), and
// building its tree was a third of what turning an item into an article
// cost.
//
// ok is false unless every tag is one of simpleTags, every end tag closes
// the element open innermost (nothing misnested, no stray end tag, no end
// tag of a void element), no element but a void one is self-closing, and
// no start tag makes the HTML parser close or reopen elements: no block
// (simpleBlock, simpleHeading, li, hr) while a <p> is open, no heading
// right inside a heading, no li but right inside ul or ol, no <a> while an
// <a> is open; there is no doctype and no NUL byte in text. Elements left
// open at the end are closed by the end of the fragment, as the parser
// closes them. Under those rules the parser puts each element in the one
// open innermost, as the tokens nest, and each text in the element it
// stands in (its list of active formatting elements is never used to
// reopen one), so the document's text and paragraph breaks are the
// tokens' (less the text inside a figcaption, which nodeParagraphs skips). TestSimpleHTMLParagraphs compares the two on random fragments.
func simpleHTMLParagraphs(s string) ([]string, bool) {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	kinds := simpleTags.Get()
	blocks := blockTags.Get()
	skips := skipTags.Get()
	var (
		paras        []string
		cur          []byte
		stack        []atom.Atom
		openP, openA int
		skip         int // open elements of skipTags (figcaption)
	)
	flush := func() {
		if len(cur) > 0 {
			if t := collapseSpace(string(cur)); t != "" {
				paras = append(paras, t)
			}
			cur = cur[:0]
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			if z.Err() != io.EOF {
				return nil, false
			}
			flush()
			return paras, true
		case xhtml.TextToken:
			t := z.Text()
			if bytes.IndexByte(t, 0) >= 0 {
				return nil, false
			}
			if skip == 0 {
				cur = append(cur, t...)
			}
		case xhtml.CommentToken:
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			a := rawTagAtom(z.Raw())
			kind := kinds[a]
			top := atom.Atom(0)
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
			switch kind {
			case simpleNone:
				return nil, false
			case simpleBlock, simpleBreak:
				if openP > 0 && a != atom.Br {
					return nil, false
				}
			case simpleHeading:
				if openP > 0 || kinds[top] == simpleHeading {
					return nil, false
				}
			case simpleItem:
				if openP > 0 || (top != atom.Ul && top != atom.Ol) {
					return nil, false
				}
			case simpleInline:
				if a == atom.A && openA > 0 {
					return nil, false
				}
			}
			if blocks[a] && skip == 0 && !skips[a] {
				flush()
			}
			if kind == simpleBreak || kind == simpleVoid {
				continue
			}
			if tt == xhtml.SelfClosingTagToken {
				return nil, false
			}
			stack = append(stack, a)
			switch a {
			case atom.P:
				openP++
			case atom.A:
				openA++
			}
			if skips[a] {
				skip++
			}
		case xhtml.EndTagToken:
			a := rawTagAtom(z.Raw())
			if len(stack) == 0 || stack[len(stack)-1] != a {
				return nil, false
			}
			stack = stack[:len(stack)-1]
			switch a {
			case atom.P:
				openP--
			case atom.A:
				openA--
			}
			if skips[a] {
				skip--
			} else if blocks[a] && skip == 0 {
				flush()
			}
		default: // a doctype
			return nil, false
		}
	}
}

// rawTagAtom is the atom of the name of the tag token raw (as the
// tokenizer's Raw gives it: "<p class=x>", "</P>"), the atom of the name
// TagName would give, without the copy TagName makes of it: the bytes
// after "<" or "</" up to white space, "/" or ">" (where the tokenizer
// ends a tag's name), ASCII letters lower-cased. A name no atom has, or
// longer than any whose tag simpleHTMLParagraphs reads, is 0; so is one
// holding a NUL byte, which TagName would have replaced.
func rawTagAtom(raw []byte) atom.Atom {
	raw = bytes.TrimPrefix(bytes.TrimPrefix(raw, []byte("<")), []byte("/"))
	var name [16]byte
	n := 0
	for _, c := range raw {
		switch c {
		case ' ', '\n', '\r', '\t', '\f', '/', '>':
			return atom.Lookup(name[:n])
		case 0:
			return 0
		}
		if n == len(name) {
			return 0
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		name[n] = c
		n++
	}
	return atom.Lookup(name[:n])
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
	return strings.Join(plainParagraphList(s), "\n\n")
}

// plainParagraphList is plainParagraphs' paragraphs.
func plainParagraphList(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, p := range splitParagraphs(s) {
		if t := collapseSpace(p); t != "" {
			out = append(out, t)
		}
	}
	return out
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
