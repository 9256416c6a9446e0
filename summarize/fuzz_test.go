package summarize

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/nlp"
)

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
		if markup.Get().MatchString(ls.Headline + ls.Text + strings.Join(ls.KeyPoints, " ")) {
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
		all := nlp.Sentences(text)
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

// FuzzHeadline holds the derived headline to its rules on any text: at most
// MaxDerivedHeadlineWords words, valid UTF-8, and never ending on a function
// word or with a quote or bracket open.
func FuzzHeadline(f *testing.F) {
	f.Add("WASHINGTON (Reuters) - The U.S. Commerce Department extended duties on Monday, officials said.")
	f.Add("O Presidente dos Estados Unidos declarou, esta quarta-feira, o estado de desastre.")
	f.Add("Es war ein kalter Morgen. Der Hafen Hamburg meldet einen Rückgang. Der Hafen Hamburg sank.")
	f.Add("Access to Wikipedia is being restored.* This follows a ruling — and “more” (soon")
	f.Fuzz(func(t *testing.T, text string) {
		h := Headline(text)
		if n := len(strings.Fields(h)); n > MaxDerivedHeadlineWords {
			t.Errorf("Headline(%q) = %q: %d words", text, h, n)
		}
		if !utf8.ValidString(h) {
			t.Errorf("Headline(%q) = %q: invalid UTF-8", text, h)
		}
		if EndsBadly(h) {
			t.Errorf("Headline(%q) = %q ends badly", text, h)
		}
	})
}
