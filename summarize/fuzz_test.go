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
		if markup.MatchString(ls.Headline + ls.Text + strings.Join(ls.KeyPoints, " ")) {
			t.Fatalf("markup passed: %+v", ls)
		}
	})
}
