package feed

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parsedParagraphs is what htmlParagraphs makes of s through the HTML
// parser, the way it went before simpleHTMLParagraphs.
func parsedParagraphs(t testing.TB, s string) []string {
	doc, err := xhtml.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return nodeParagraphs(doc)
}

// checkSimpleHTML fails t when simpleHTMLParagraphs reads s and gets
// other paragraphs than the parser's document; it reports whether it
// read s.
func checkSimpleHTML(t testing.TB, s string) bool {
	got, ok := simpleHTMLParagraphs(s)
	if !ok {
		return false
	}
	if want := parsedParagraphs(t, s); !slices.Equal(got, want) {
		t.Fatalf("simpleHTMLParagraphs(%q)\n got %q\nwant %q (the parsed document's)", s, got, want)
	}
	return true
}

// checkRawTagAtom fails t when rawTagAtom and TagName disagree on a tag
// of s that simpleHTMLParagraphs reads.
func checkRawTagAtom(t testing.TB, s string) {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			raw := string(z.Raw())
			got := rawTagAtom(z.Raw())
			name, _ := z.TagName()
			want := atom.Lookup(name)
			if got != want && (simpleTags.Get()[got] != simpleNone || simpleTags.Get()[want] != simpleNone) {
				t.Fatalf("rawTagAtom(%q) = %v, TagName's %v", raw, got, want)
			}
		}
	}
}

// TestSimpleHTMLParagraphs compares simpleHTMLParagraphs with the parsed
// document's paragraphs on hand-made fragments and on 200,000 random
// ones built of the tags it reads and some it leaves to the parser,
// entities, white space, comments and stray markup.
func TestSimpleHTMLParagraphs(t *testing.T) {
	for _, c := range []struct {
		in   string
		read bool
	}{
		{"<p>One &amp; two</p><p>three<br>four</p>", true},
		{"  <p>a <b>b</b> <a href=x>c</a></p>\r\n<ul><li>d</li><li>e<ul><li>f</li></ul></li></ul>", true},
		{"<h2>T</h2><div><p>x</p><hr><img src=y>z</div>", true},
		{"<p>a</p><figure><img src=y><figcaption>Photo: <b>Reuters</b><p>x</p></figcaption></figure>b", true},
		{"text <em>only</em>", true},
		{"<p>a<p>b", false},             // a <p> closes the open one
		{"<p>a<div>b</div></p>", false}, // so does a <div>
		{"<b><p>a</b>b</p>", false},     // misnested
		{"<p>a</b>", false},             // stray end tag
		{"<li>a</li>", false},           // li outside a list
		{"<a>x<a>y</a></a>", false},     // a in a
		{"<h1><h2>x</h2></h1>", false},  // heading in a heading
		{"<p/>x", false},                // self-closing p opens one
		{"a</br>b", false},              // </br> is a <br>
		{"<table><td>x</td></table>", false},
		{"<script>x</script>y", false},
		{"<!DOCTYPE html><p>x</p>", false},
		{"<P>a</p><DIV\tclass=x>b</Div\n><br/><BR>c", true},
		{"<p\x00>d</p\x00>", false}, // not a <p>
		{"<blockquotes>x</blockquotes>", false},
	} {
		if got := checkSimpleHTML(t, c.in); got != c.read {
			t.Errorf("simpleHTMLParagraphs(%q): read %v, want %v", c.in, got, c.read)
		}
	}
	tags := []string{"p", "div", "ul", "ol", "li", "a", "b", "i", "em", "strong", "span", "sub", "br", "hr", "img", "wbr",
		"h1", "h3", "blockquote", "section", "font", "code", "q", "del", "figure", "figcaption",
		// Left to the parser.
		"table", "td", "tr", "pre", "dd", "dl", "script", "style", "body", "html", "head",
		"title", "nobr", "button", "svg", "select", "option", "textarea", "x-custom", "image", "form", "template"}
	texts := []string{"a", "b c", " ", "\n", "\r\n", "\t", "&amp;", "&lt;p&gt;", "&nbsp;", "&#x41;", "&bogus;", "é", "\u00a0",
		"<!-- c -->", "<", "a < b", "]]>", "<![CDATA[x]]>", "&", "\x00", "x\u2028y"}
	r := rand.New(rand.NewPCG(17, 1))
	// Half the fragments are built of the tags read, closed innermost
	// first; the others of any tags, closed in any order.
	fragment := func(nested bool) string {
		var b strings.Builder
		var open []string
		for range 1 + r.IntN(20) {
			switch k := r.IntN(10); {
			case k < 4:
				b.WriteString(texts[r.IntN(len(texts))])
			case k < 7:
				tag := tags[r.IntN(26)]
				if !nested && r.IntN(3) == 0 {
					tag = tags[r.IntN(len(tags))]
				}
				if r.IntN(6) == 0 {
					tag = strings.ToUpper(tag[:1]) + tag[1:]
				}
				b.WriteString("<" + tag)
				if r.IntN(4) == 0 {
					b.WriteString([]string{" ", "\t", "\n", "\f", "\r\n"}[r.IntN(5)] + `class="x" href='y'`)
				}
				if !nested && r.IntN(12) == 0 {
					b.WriteString("/")
				}
				b.WriteString(">")
				open = append(open, tag)
			case k < 9 && len(open) > 0:
				i := len(open) - 1
				if !nested && r.IntN(8) == 0 {
					i = r.IntN(len(open))
				}
				b.WriteString("</" + open[i] + ">")
				open = slices.Delete(open, i, i+1)
			case !nested:
				b.WriteString("</" + tags[r.IntN(len(tags))] + ">")
			}
		}
		return b.String()
	}
	read, total := 0, 200000
	for i := range total {
		s := fragment(i%2 == 0)
		if checkSimpleHTML(t, s) {
			read++
		}
		checkRawTagAtom(t, s)
	}
	t.Logf("simpleHTMLParagraphs read %d of %d random fragments", read, total)
	if read < total/10 {
		t.Errorf("read only %d of %d random fragments: the test tests little", read, total)
	}
}
