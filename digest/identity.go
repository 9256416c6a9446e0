package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinIdentityWords is the fewest words a text needs before its content can
// identify an article. Feeds often carry items with an empty, one-line or
// placeholder body ("Something new here"); two such items are not thereby
// the same article.
const MinIdentityWords = 25

// IdentityKey returns the content key under which two articles are the same
// article even when their URLs and GUIDs differ (a feed that changed its
// GUIDs, a syndicated copy under the same headline), or "" when the content
// cannot identify the article and only its URL or GUID may:
//
//   - a text of MinIdentityWords words or more identifies the article
//     together with its title: the same body under another headline is
//     another article (the clusterer may still put both in one story);
//   - a shorter text identifies it only when nothing else can (no URL, no
//     GUID), and then only within its source and together with its title.
//
// Titles and texts are compared normalised (see ContentHash).
func IdentityKey(a Article) string {
	text := normalise(a.Text)
	if strings.Count(text, " ")+1 >= MinIdentityWords && text != "" {
		return "c:" + hashParts(normalise(a.Title), text)
	}
	if a.URL != "" || a.GUID != "" {
		return ""
	}
	title := normalise(a.Title)
	if title == "" && text == "" {
		return ""
	}
	return "s:" + hashParts(a.SourceID, title, text)
}

// hashParts returns the hex SHA-256 of parts joined by NUL bytes, which no
// normalised text contains.
func hashParts(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// normalise folds case, drops punctuation and collapses white space, so
// that copies differing only in markup or spacing compare equal.
func normalise(text string) string {
	return string(appendNormalised(make([]byte, 0, len(text)), text))
}

// appendNormalised appends normalise(text) to b.
func appendNormalised(b []byte, text string) []byte {
	start := len(b)
	space := false
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf { // ASCII: most of every text
			i++
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			default:
				space = true
				continue
			}
			if space && len(b) > start {
				b = append(b, ' ')
			}
			space = false
			b = append(b, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			space = true
			continue
		}
		if space && len(b) > start {
			b = append(b, ' ')
		}
		space = false
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return b
}
