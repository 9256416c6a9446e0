package digest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sync"
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
	// The normalised title, a NUL and the normalised text are written
	// into one reused buffer and hashed where they lie: a text was copied
	// three times (normalised, made a string, made bytes again for the
	// hash), and the key is taken for every new article.
	bp := normBufs.Get().(*[]byte)
	defer normBufs.Put(bp)
	b := appendNormalised((*bp)[:0], a.Title)
	titleEnd := len(b)
	b = append(b, 0)
	b = appendNormalised(b, a.Text)
	*bp = b
	title, text := b[:titleEnd], b[titleEnd+1:]
	if bytes.Count(text, []byte(" "))+1 >= MinIdentityWords && len(text) > 0 {
		return hexKey("c:", sha256.Sum256(b)) // of title, NUL, text
	}
	if a.URL != "" || a.GUID != "" {
		return ""
	}
	if len(title) == 0 && len(text) == 0 {
		return ""
	}
	h := sha256.New() // of source, NUL, title, NUL, text
	h.Write([]byte(a.SourceID))
	h.Write([]byte{0})
	h.Write(b)
	var sum [sha256.Size]byte
	return hexKey("s:", [sha256.Size]byte(h.Sum(sum[:0])))
}

// normBufs are the buffers IdentityKey normalises titles and texts
// into.
var normBufs = sync.Pool{New: func() any { return new([]byte) }}

// hexKey returns prefix followed by the hex digits of sum, in one
// allocation.
func hexKey(prefix string, sum [sha256.Size]byte) string {
	var buf [8 + 2*sha256.Size]byte
	b := append(buf[:0], prefix...)
	return string(hex.AppendEncode(b, sum[:]))
}

// appendNormalised appends text to b with case folded, punctuation
// dropped and white space collapsed, so that copies differing only in
// markup or spacing compare equal.
func appendNormalised(b []byte, text string) []byte {
	start := len(b)
	space := false
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf { // ASCII: most of every text, folded by table
			i++
			if c = asciiFold[c]; c == 0 {
				space = true
				continue
			}
			if space && len(b) > start {
				b = append(b, ' ')
			}
			space = false
			// The bytes after it that fold to themselves go with it in
			// one append: most of a word, where an append a byte was
			// most of the time the key took.
			j := i
			for j < len(text) && selfFolding(text[j]) {
				j++
			}
			b = append(append(b, c), text[i:j]...)
			i = j
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

// selfFolding reports whether appendNormalised writes c as it is: a
// lower-case ASCII letter or a digit.
func selfFolding(c byte) bool { return c-'a' < 26 || c-'0' < 10 }

// asciiFold is, by ASCII byte, the byte appendNormalised writes for it:
// a letter lower-cased, a digit as it is, 0 for anything else (a space).
// A constant: no table to build when the package starts.
const asciiFold = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x000123456789\x00\x00\x00\x00\x00\x00" +
	"\x00abcdefghijklmnopqrstuvwxyz\x00\x00\x00\x00\x00" +
	"\x00abcdefghijklmnopqrstuvwxyz\x00\x00\x00\x00\x00"
