package summarize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSentences checks that splitting loses and invents no text: the
// sentences hold exactly the input's non-space characters, in order.
func FuzzSentences(f *testing.F) {
	f.Add("The U.S. and the E.U. met. No. 3 was 3.5% higher… Then \"quotes.\" Done")
	f.Add("Amazon UK.Retail analyst said so.\n\nMr. A. B. Smith\nwrapped line")
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			t.Skip()
		}
		got := Sentences(text)
		for _, s := range got {
			if strings.TrimSpace(s) == "" || s != strings.TrimSpace(s) {
				t.Fatalf("blank or untrimmed sentence %q", s)
			}
		}
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if a, b := squash(strings.Join(got, "")), squash(text); a != b {
			t.Fatalf("text changed:\n in %q\nout %q", b, a)
		}
	})
}
