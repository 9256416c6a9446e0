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

// FuzzParseReply checks that any reply text either parses into a reply
// that validates within the limits or is rejected with errInvalidReply;
// nothing panics and nothing over-long gets through.
func FuzzParseReply(f *testing.F) {
	f.Add(`{"headline":"h","summary":"s.","key_points":["a","b"],"countries":[],"topics":["tariffs"],"importance":3}`)
	f.Add("Here:\n```json\n{\"headline\":\"h\"}\n```")
	f.Add(`{"headline":"<b>x</b>","importance":"9"}`)
	f.Fuzz(func(t *testing.T, content string) {
		r, err := parseReply(content)
		if err != nil {
			return
		}
		ls, err := validate(r, []string{"tariffs"})
		if err != nil {
			return
		}
		if len(strings.Fields(ls.Headline)) > MaxHeadlineWords || len(strings.Fields(ls.Text)) > MaxSummaryWords ||
			len(ls.KeyPoints) > MaxKeyPoints || len(ls.KeyPoints) < MinKeyPoints || ls.Importance < 1 || ls.Importance > 5 {
			t.Fatalf("limits broken: %+v", ls)
		}
		if markup().MatchString(ls.Headline + ls.Text + strings.Join(ls.KeyPoints, " ")) {
			t.Fatalf("markup passed: %+v", ls)
		}
	})
}

// FuzzExtractive checks that any text yields at most three sentences, each
// one of the text's own sentences, in article order.
func FuzzExtractive(f *testing.F) {
	f.Add("The U.S. raised tariffs on steel by 25% on Monday. Officials said talks would resume. Subscribe now for more.")
	f.Add("Headline\n\nOne two three four five. One two three four five. Six seven eight nine ten!")
	e := NewExtractive()
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) {
			t.Skip()
		}
		got := e.Select("", text)
		if len(got) > 3 {
			t.Fatalf("%d sentences", len(got))
		}
		all := Sentences(text)
		next := 0
		for _, s := range got {
			found := false
			for next < len(all) {
				next++
				if all[next-1] == s {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("%q is not a sentence of the text in order", s)
			}
		}
	})
}
