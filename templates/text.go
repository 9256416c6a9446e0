package templates

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on untrusted text. They keep one story to a few kilobytes whatever a
// feed or an LLM produced, so the size limit is met by dropping whole stories
// rather than by cutting a story in half.
const (
	maxHeadline  = 200  // runes
	maxParagraph = 1500 // runes, whole summary
	maxLead      = 1500 // runes, whole lead
	maxKeyPoint  = 280  // runes
	maxKeyPoints = 6
	maxName      = 80 // runes, outlet and site names
	maxAlso      = 8  // outlets listed by name in "Also reported by"
	maxURL       = 2000
)

// clip cuts s to at most n bytes on a rune boundary. It bounds the work the
// cleaners do on hostile input (a 1 MB summary) before they look at it.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// dropRune reports runes that never reach a message: control characters
// (C0 and C1, except the line breaks handled by the callers), bidirectional
// overrides that could make a headline read backwards, and byte-order marks.
func dropRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.IsControl(r):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0xFEFF:
		return true
	}
	return false
}

// cleanLine makes untrusted text one line: invalid UTF-8 replaced, control
// characters dropped, every run of white space (line breaks included) one
// space, at most maxRunes runes cut at a word with an ellipsis.
func cleanLine(s string, maxRunes int) string {
	s = clip(s, maxRunes*4+64)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if dropRune(r) {
			continue
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return truncate(b.String(), maxRunes)
}

// cleanParagraphs splits untrusted text into cleaned paragraphs at blank
// lines, with at most maxRunes runes in all.
func cleanParagraphs(s string, maxRunes int) []string {
	s = clip(s, maxRunes*4+64)
	if strings.ContainsAny(s, "\r\u2028\u2029") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
		s = strings.ReplaceAll(s, "\u2028", "\n")
		s = strings.ReplaceAll(s, "\u2029", "\n\n")
	}
	var out []string
	left := maxRunes
	for _, p := range strings.Split(s, "\n\n") {
		if left <= 0 {
			break
		}
		p = cleanLine(p, left)
		if p == "" {
			continue
		}
		left -= utf8.RuneCountInString(p)
		out = append(out, p)
	}
	return out
}

// truncate cuts s to at most n runes, at the last space when there is one
// in the second half, and marks the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	// Keep n-1 runes and the ellipsis.
	cut, seen := 0, 0
	for i := range s {
		if seen == n-1 {
			cut = i
			break
		}
		seen++
	}
	t := s[:cut]
	if i := strings.LastIndexByte(t, ' '); i > len(t)/2 {
		t = t[:i]
	}
	return strings.TrimRight(t, " ,;:.-") + "…"
}

// safeURL returns raw as a clean absolute http(s) URL, or "" when it is
// anything else: javascript:, data:, mailto:, relative, hostless, too long
// or malformed. Only what it returns may become a link.
func safeURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURL {
		return ""
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || dropRune(r) || unicode.IsSpace(r) {
			return ""
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return ""
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.User = nil // credentials in a link are either a mistake or a lure
	return u.String()
}

// safeMailto returns raw when it is a plain mailto: URI, else "".
func safeMailto(raw string) string {
	if len(raw) > maxURL || !strings.HasPrefix(strings.ToLower(raw), "mailto:") {
		return ""
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r == '"' || r == '<' || r == '>' || dropRune(r) {
			return ""
		}
	}
	return raw
}

// hostOf returns the host of an http(s) URL without a leading "www.".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// wrap fills text to width columns, every line starting with indent. Words
// longer than a line (URLs) stand alone on their line rather than break.
// Paragraphs separated by blank lines stay separated.
func wrap(width int, indent, text string) string {
	return fill(width, indent, indent, text)
}

// hang is wrap with a first-line prefix ("1.  ", "  - ") and the following
// lines indented to the prefix's width.
func hang(width int, prefix, text string) string {
	return fill(width, prefix, strings.Repeat(" ", utf8.RuneCountInString(prefix)), text)
}

func fill(width int, first, rest, text string) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/width*(len(rest)+1) + len(first))
	prefix := first
	for pi, para := range strings.Split(text, "\n\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			continue
		}
		if pi > 0 && b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(prefix)
		col := utf8.RuneCountInString(prefix)
		start := true
		for _, w := range words {
			n := utf8.RuneCountInString(w)
			if !start && col+1+n > width {
				b.WriteByte('\n')
				b.WriteString(rest)
				col = utf8.RuneCountInString(rest)
				start = true
			}
			if !start {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w)
			col += n
			start = false
		}
		prefix = rest
	}
	return b.String()
}

// plural returns "1 story", "3 stories".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
