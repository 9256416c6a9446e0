package feed

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"github.com/tradedigest/tradedigest/internal/testutil"
)

// The copy of gofeed in third_party/gofeed reads a text element's inner
// XML from the document's bytes where it holds only text and CDATA
// (third_party/gofeed/PATCHED.md). These tests hold it to what upstream's
// way, every element through encoding/xml's DecodeElement (DecodeText),
// makes of the same document: the same feed, field by field, or the same
// error.

// sameAsDecoded parses doc both ways with the RSS and the Atom parser and
// fails when they differ.
func sameAsDecoded(t *testing.T, name string, doc []byte) (parsed bool) {
	t.Helper()
	fast, errFast := (&rss.Parser{}).Parse(bytes.NewReader(doc))
	slow, errSlow := (&rss.Parser{DecodeText: true}).Parse(bytes.NewReader(doc))
	if !sameResult(fast, slow, errFast, errSlow) {
		t.Errorf("%s: RSS parser: from the bytes %+v (error %v), decoded %+v (error %v)", name, fast, errFast, slow, errSlow)
	}
	afast, errAFast := (&atom.Parser{}).Parse(bytes.NewReader(doc))
	aslow, errASlow := (&atom.Parser{DecodeText: true}).Parse(bytes.NewReader(doc))
	if !sameResult(afast, aslow, errAFast, errASlow) {
		t.Errorf("%s: Atom parser: from the bytes %+v (error %v), decoded %+v (error %v)", name, afast, errAFast, aslow, errASlow)
	}
	return errSlow == nil || errASlow == nil
}

func sameResult(a, b any, errA, errB error) bool {
	if (errA == nil) != (errB == nil) {
		return false
	}
	if errA != nil {
		return errA.Error() == errB.Error()
	}
	return reflect.DeepEqual(a, b)
}

// TestGofeedText_SameAsDecoded parses every RSS, RDF and Atom document of
// the feeds corpus (real feeds and edge cases) both ways.
func TestGofeedText_SameAsDecoded(t *testing.T) {
	dir := testutil.CorpusDir(t, "feeds")
	n, parsed := 0, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".xml", ".rss", ".rdf", ".atom":
		default:
			return nil
		}
		doc, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if sameAsDecoded(t, strings.TrimPrefix(path, dir), doc) {
			parsed++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The corpus holds 53 such documents; a walk that finds few read
	// the wrong folder.
	if n < 40 || parsed < 30 {
		t.Fatalf("compared %d documents, %d parsed: the corpus is not where it was", n, parsed)
	}
}

// gofeedTextCases are documents whose text elements take every path:
// plain text, entities, CDATA (with markup, with "]]" inside), markup
// that is a child element (decoded), comments and processing instructions
// (decoded), empty and self-closing elements, a prefixed element, a
// declared charset (the decoder then reads through a buffer: decoded),
// characters XML forbids (as bytes or as character references), a stray "]]>", a missing end tag and an end tag
// of another name.
var gofeedTextCases = []string{
	`<rss version="2.0"><channel><title>T &amp; U</title><item><title>a &lt;b&gt; &#233; &eacute; &unknown; c</title><description><![CDATA[<p>Hello <b>world</b> ]] ok</p>]]></description><link>https://x.example/a</link></item></channel></rss>`,
	`<rss version="2.0"><channel><title>T</title><item><title>  spaced  </title><description>Text <b>bold</b> tail</description></item></channel></rss>`,
	`<rss version="2.0"><channel><title>T</title><item><title>a<!-- c -->b</title><description>x<?pi y?>z</description></item></channel></rss>`,
	`<rss version="2.0"><channel><title></title><item><title/><description /><link>u</link></item></channel></rss>`,
	`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item><title>t</title><content:encoded><![CDATA[<p>full</p>]]></content:encoded><content:encoded>second &amp; more</content:encoded></item></channel></rss>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>caf` + "\xe9" + `</title><item><title>na` + "\xef" + `ve</title><description>d</description></item></channel></rss>`,
	"<rss version=\"2.0\"><channel><title>bad \xff byte</title><item><title>t</title></item></channel></rss>",
	"<rss version=\"2.0\"><channel><title>not \xef\xbf\xbe allowed</title><item><title>t</title></item></channel></rss>",
	`<rss version="2.0"><channel><title>refs &#233; &#xE9; &#xd800; &#1114112; &#12 &#x; ok</title><item><title>&#0;</title></item></channel></rss>`,
	`<rss version="2.0"><channel><title>fine &#x1F600; &#9;</title><item><title>&#xFFFE;</title></item></channel></rss>`,
	`<rss version="2.0"><channel><title>a ]]> b</title><item><title>t</title></item></channel></rss>`,
	`<rss version="2.0"><channel><title>never closed`,
	`<rss version="2.0"><channel><title>mismatched</titel><item><title>t</title></item></channel></rss>`,
	`<rss version="2.0"><channel><title>a</title ><item><title
>b</title></item></channel></rss>`,
	`<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">A &lt;em&gt;b&lt;/em&gt;</title><entry><title type="text">t &amp; u</title><content type="html"><![CDATA[<p>c</p>]]></content><summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>s</p></div></summary><id>1</id></entry></feed>`,
	`<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="text/plain" mode="escaped">x</content><content type="image/png">aGVsbG8=</content><content mode="base64">aGVsbG8=</content><title xml:base="https://b.example/">t</title></entry></feed>`,
	`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel><item><title>i</title><description>d &amp; e</description></item></rdf:RDF>`,
}

func TestGofeedText_EdgeCases(t *testing.T) {
	for i, doc := range gofeedTextCases {
		sameAsDecoded(t, "case "+string(rune('a'+i)), []byte(doc))
	}
}

// FuzzGofeedText looks for a document the two ways read differently.
func FuzzGofeedText(f *testing.F) {
	for _, doc := range gofeedTextCases {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		sameAsDecoded(t, "input", doc)
	})
}
