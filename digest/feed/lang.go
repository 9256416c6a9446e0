package feed

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/RadhiFadlillah/whatlanggo"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/tradedigest/tradedigest/internal/lazy"
)

// Language detection uses whatlanggo (a trigram detector for 84 languages,
// the one go-trafilatura links already): lingua-go was more accurate on
// 60-character snippets but adds 131 MB to the binary and takes seconds and
// hundreds of MB to load its models; on article-length text both were right
// on 128 of the 130 extraction-realworld pages.

// langSample is how many runes of a text (its title first) the detector
// reads: enough for the guess it makes on the whole text, bounded so that
// a long article costs no more than a short one. Chosen by
// TestDetectLanguage_Sample on the corpora's 677 texts: at 400 runes the
// language is the whole text's for all but one (as with the first 600
// bytes read before), and the labelled one for 238 of 240, as with the
// whole text; at 300 runes seven differ.
const langSample = 400

// minLangLetters is the fewest letters a text needs for the detector to be
// asked; below it only a declared language counts.
const minLangLetters = 40

// detectLanguage returns the ISO 639-1 code of text's language, or "" when
// it cannot tell. declared is what the source says ("de-DE", "en", a feed's
// <language>, a page's <html lang>); it decides when the text is too short
// or the detector unsure, and it is what a detector's guess must beat with
// confidence to win. Only the text's opening (langPrefix) is read.
func detectLanguage(text, declared string) string {
	return detectSample(langPrefix(text, langSample), declared)
}

// detectTitledLanguage is detectLanguage(title+"\n\n"+text, declared)
// without copying all of a long text: only as much of it is joined to
// the title as holds the langSample+1 runes that langPrefix looks at.
func detectTitledLanguage(title, text, declared string) string {
	return detectSample(titledSample(title, text), declared)
}

// titledSample is langPrefix(title+"\n\n"+text, langSample).
func titledSample(title, text string) string {
	const enough = utf8.UTFMax * (langSample + 1)
	if len(text) > enough {
		text = text[:enough]
	}
	return langPrefix(title+"\n\n"+text, langSample)
}

// detectSample is detectLanguage on the whole of sample.
func detectSample(sample, declared string) string {
	declared = primaryLanguage(declared)
	if letters(sample) < minLangLetters {
		return declared
	}
	info := whatlanggo.Detect(sample)
	code := iso6391(info.Lang)
	switch {
	case code == "":
		return declared
	case declared == "" || code == declared:
		return code
	case info.IsReliable():
		return code
	}
	return declared
}

// langPrefix returns text's first n runes, cut back to the end of the
// last word they finish (the detector counts a cut word's letters as a
// word of its own); the whole text when it is no longer.
func langPrefix(text string, n int) string {
	if len(text) <= n {
		return text // n runes are at least n bytes
	}
	cut, runes := 0, 0
	for cut < len(text) && runes < n {
		_, size := utf8.DecodeRuneInString(text[cut:])
		cut += size
		runes++
	}
	if cut == len(text) {
		return text
	}
	if r, _ := utf8.DecodeRuneInString(text[cut:]); !unicode.IsLetter(r) {
		return text[:cut] // the cut falls between words
	}
	word := strings.LastIndexFunc(text[:cut], func(r rune) bool { return !unicode.IsLetter(r) })
	if word <= 0 {
		return text[:cut] // one long word: cut it
	}
	return text[:word]
}

// langCodes holds the ISO 639-1 code of every language whatlanggo
// names: Lang.Iso6391 builds a map of them on every call, a quarter of
// detectLanguage's CPU.
var langCodes = lazy.Value[map[whatlanggo.Lang]string]{Build: func() map[whatlanggo.Lang]string {
	codes := make(map[whatlanggo.Lang]string, len(whatlanggo.Langs))
	for l := range whatlanggo.Langs {
		codes[l] = l.Iso6391()
	}
	return codes
}}

// iso6391 is lang.Iso6391(), from langCodes when it is there.
func iso6391(lang whatlanggo.Lang) string {
	if code, ok := langCodes.Get()[lang]; ok {
		return code
	}
	return lang.Iso6391()
}

// letters counts the letters in s, stopping at minLangLetters; a Chinese,
// Japanese or Korean character, a word or syllable of its own, counts as
// two.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		n++
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			n++
		}
		if n >= minLangLetters {
			break
		}
	}
	return n
}

// primaryLanguage returns the lower-case primary subtag of a language tag
// ("de-DE" → "de", "en_US" → "en"), or "" when it is not a two-letter code.
func primaryLanguage(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) != 2 || tag[0] < 'a' || tag[0] > 'z' || tag[1] < 'a' || tag[1] > 'z' {
		return ""
	}
	return tag
}

// declaredLanguage is the language an HTML document declares: its <html
// lang> (or xml:lang), else a <meta http-equiv="content-language">, else
// og:locale.
func declaredLanguage(doc *xhtml.Node) string {
	var htmlLang, metaLang, ogLocale string
	var walk func(n *xhtml.Node, depth int)
	walk = func(n *xhtml.Node, depth int) {
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				htmlLang = firstNonEmpty(attr(n, "lang"), attr(n, "xml:lang"))
			case atom.Meta:
				switch {
				case strings.EqualFold(attr(n, "http-equiv"), "content-language"):
					metaLang = attr(n, "content")
				case strings.EqualFold(attr(n, "property"), "og:locale"):
					ogLocale = attr(n, "content")
				}
			case atom.Body:
				return
			}
		}
		if depth > 3 {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(doc, 0)
	for _, l := range []string{htmlLang, metaLang, ogLocale} {
		if p := primaryLanguage(l); p != "" {
			return p
		}
	}
	return ""
}
