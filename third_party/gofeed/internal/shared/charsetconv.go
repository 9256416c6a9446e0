package shared

import (
	"bytes"
	"encoding/xml"
	"io"

	xpp "github.com/mmcdole/goxpp/v2"
	"golang.org/x/net/html/charset"
)

func NewReaderLabel(label string, input io.Reader) (io.Reader, error) {
	conv, err := charset.NewReaderLabel(label, input)

	if err != nil {
		return nil, err
	}

	return conv, nil
}

// NewXMLParser returns a pull parser configured the way every gofeed parser
// needs it: non-strict, so real-world feeds with unescaped entities and other
// common mistakes still tokenize, and with charset conversion for feeds that
// declare a non-UTF-8 encoding.
//
// Patched in this copy (see PATCHED.md): the document is read whole first,
// so that ParseText can take a text element's inner XML from its bytes
// (xpp.Parser.RawInner) instead of through the decoder a byte at a time.
// A read error is met where the stream broke, as before.
func NewXMLParser(r io.Reader) *xpp.Parser {
	src, err := io.ReadAll(r)
	if err != nil {
		return NewStreamXMLParser(io.MultiReader(bytes.NewReader(src), errReader{err}))
	}
	return xpp.NewBytes(src, configureDecoder)
}

// NewParser is NewXMLParser, or NewStreamXMLParser when decodeText is set
// (rss.Parser's and atom.Parser's DecodeText; added in this copy).
func NewParser(r io.Reader, decodeText bool) *xpp.Parser {
	if decodeText {
		return NewStreamXMLParser(r)
	}
	return NewXMLParser(r)
}

// NewStreamXMLParser is NewXMLParser as upstream has it: the decoder reads
// r as it goes, and every element is decoded through it.
func NewStreamXMLParser(r io.Reader) *xpp.Parser {
	d := xml.NewDecoder(r)
	configureDecoder(d)
	return xpp.New(d)
}

func configureDecoder(d *xml.Decoder) {
	d.Strict = false
	d.CharsetReader = NewReaderLabel
}

// errReader returns err from every read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
