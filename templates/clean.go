package templates

// The cleaners below are the ones the email templates rely on, exported for
// the other renderings of an edition (Markdown, JSON, the web feeds), so
// that untrusted text is cleaned and bounded the same way everywhere.

// Limits of untrusted text, in runes, shared with the other renderings.
const (
	MaxHeadline  = maxHeadline
	MaxParagraph = maxParagraph
	MaxKeyPoint  = maxKeyPoint
	MaxKeyPoints = maxKeyPoints
	MaxName      = maxName
)

// CleanLine makes untrusted text one line: invalid UTF-8 replaced, control
// characters and bidirectional overrides dropped, white space collapsed, at
// most maxRunes runes cut at a word with an ellipsis.
func CleanLine(s string, maxRunes int) string { return cleanLine(s, maxRunes) }

// CleanParagraphs splits untrusted text into cleaned paragraphs at blank
// lines, with at most maxRunes runes in all.
func CleanParagraphs(s string, maxRunes int) []string { return cleanParagraphs(s, maxRunes) }

// SafeURL returns raw as a clean absolute http(s) URL without credentials,
// or "" when it is anything else; only what it returns may become a link.
func SafeURL(raw string) string { return safeURL(raw) }

// HostOf returns the host of an http(s) URL without a leading "www.".
func HostOf(raw string) string { return hostOf(raw) }
