package digest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipTitle(t *testing.T) {
	short := "EU raises steel tariffs"
	if got := ClipTitle(short); got != short {
		t.Errorf("ClipTitle(short) = %q", got)
	}
	exact := strings.Repeat("é", MaxTitleRunes) // 600 bytes, 300 runes
	if got := ClipTitle(exact); got != exact {
		t.Errorf("a title of exactly MaxTitleRunes runes was cut")
	}
	for name, in := range map[string]string{
		"words":        strings.Repeat("tariff ", 20000), // 140 KB
		"one word":     strings.Repeat("x", 100000),
		"multibyte":    strings.Repeat("関税 ", 1000),
		"space at end": strings.Repeat("a", MaxTitleRunes-2) + " " + strings.Repeat("b", 10),
	} {
		got := ClipTitle(in)
		if n := utf8.RuneCountInString(got); n > MaxTitleRunes {
			t.Errorf("%s: %d runes, want ≤ %d", name, n, MaxTitleRunes)
		}
		if !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
			t.Errorf("%s: %q… does not end in an ellipsis or is not UTF-8", name, got[:20])
		}
		if name == "words" && strings.HasSuffix(got, "tari…") {
			t.Errorf("%s: cut inside a word: %q", name, got[len(got)-20:])
		}
	}
}
