package summarize

import (
	"strings"
	"unicode"
)

// setOf returns the set of words. The package's word sets and tables are
// built on first use (sync.OnceValue, so that every use reads X()), not by
// the package initialiser: every command of the binary, `digest version`
// and the container's healthcheck included, ran that before main (48 maps,
// ~110 KB allocated), though only summarising reads them.
func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func firstWord(s string) string {
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i]
	}
	return s
}
