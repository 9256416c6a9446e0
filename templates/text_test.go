package templates

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://wire.example.com/a?b=1&c=2", "https://wire.example.com/a?b=1&c=2"},
		{"  http://wire.example.com/a  ", "http://wire.example.com/a"},
		{"HTTPS://Wire.example.com/a", "https://Wire.example.com/a"},
		{"https://user:pw@wire.example.com/a", "https://wire.example.com/a"},
		{"javascript:alert(1)", ""},
		{"JAVASCRIPT:alert(1)", ""},
		{"java\tscript:alert(1)", ""},
		{"data:text/html,<b>", ""},
		{"vbscript:x", ""},
		{"mailto:a@example.com", ""},
		{"ftp://example.com/a", ""},
		{"//evil.example.com/a", ""},
		{"/relative/path", ""},
		{"https:opaque", ""},
		{"https://", ""},
		{"https://exa mple.com/", ""},
		{"https://example.com/\u202Egnp", ""},
		{"https://example.com/" + strings.Repeat("a", maxURL), ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := safeURL(tt.in); got != tt.want {
			t.Errorf("safeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeMailto(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mailto:u@example.com?subject=unsubscribe", "mailto:u@example.com?subject=unsubscribe"},
		{"MAILTO:u@example.com", "MAILTO:u@example.com"},
		{"mailto:u@example.com\r\nBcc: x", ""},
		{`mailto:u@example.com"><b>`, ""},
		{"https://example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := safeMailto(tt.in); got != tt.want {
			t.Errorf("safeMailto(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanLine(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"  Steel   quotas\r\nraised\t ", 100, "Steel quotas raised"},
		{"a\x00b\x1bc\x7fd\u0085e", 100, "abcde"},
		{"abc\u202Edef\u2066g\uFEFF", 100, "abcdefg"},
		{"bad \xff utf8", 100, "bad \uFFFD utf8"},
		{"one two three four five six", 15, "one two three…"},
		{"abcdefghij", 5, "abcd…"},
		{"ÄÖÜäöü", 4, "ÄÖÜ…"},
		{"", 10, ""},
	}
	for _, tt := range tests {
		got := cleanLine(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("cleanLine(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > tt.max {
			t.Errorf("cleanLine(%q, %d) has %d runes", tt.in, tt.max, n)
		}
	}
}

func TestCleanParagraphs(t *testing.T) {
	got := cleanParagraphs("First\r\nline.\r\n\r\n\r\n  \n\nSecond\u2029Third", 100)
	want := []string{"First line.", "Second", "Third"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("cleanParagraphs = %q, want %q", got, want)
	}
	long := cleanParagraphs(strings.Repeat("word ", 1000)+"\n\nnext", 50)
	if len(long) != 1 || utf8.RuneCountInString(long[0]) > 50 {
		t.Errorf("cap not applied: %q", long)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name, indent, text, want string
		width                    int
	}{
		{"fits", "  ", "short line", "  short line", 20},
		{"breaks at words", "", "aaa bbb ccc ddd", "aaa bbb\nccc ddd", 7},
		{"indent counts", "    ", "aaa bbb ccc", "    aaa\n    bbb\n    ccc", 9},
		{"long word alone", "  ", "a https://example.com/very/long/url b", "  a\n  https://example.com/very/long/url\n  b", 10},
		{"paragraphs", "", "aa bb\n\ncc", "aa bb\n\ncc", 10},
		{"runes not bytes", "", "ääää ööö", "ääää ööö", 8},
		{"empty", "  ", "", "", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wrap(tt.width, tt.indent, tt.text); got != tt.want {
				t.Errorf("wrap = %q, want %q", got, tt.want)
			}
		})
	}
	if got, want := hang(12, "10. ", "alpha beta gamma"), "10. alpha\n    beta\n    gamma"; got != want {
		t.Errorf("hang = %q, want %q", got, want)
	}
}

func TestInlineClasses(t *testing.T) {
	styles, err := parseStyles("s.css", "/* c */ .a { color: red; ; margin : 0 }\n.b, .c { padding: 1px }\n.a { border: 0 }")
	if err != nil {
		t.Fatal(err)
	}
	if styles["a"] != "color: red; margin : 0; border: 0" || styles["c"] != "padding: 1px" {
		t.Errorf("styles = %q", styles)
	}
	got, err := inlineClasses("t.html", `<p class="a b">x</p><td class="{{.X}}">`, styles)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<p style="color: red; margin : 0; border: 0; padding: 1px">x</p><td class="{{.X}}">`; got != want {
		t.Errorf("inlined = %q, want %q", got, want)
	}
	if _, err := inlineClasses("t.html", "<p>\n\n<i class=\"a zz\">", styles); err == nil || !strings.Contains(err.Error(), "t.html:3") {
		t.Errorf("unknown class: err = %v, want one naming t.html:3", err)
	}
}
