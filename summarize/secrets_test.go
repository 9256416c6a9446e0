package summarize

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/summarize/openaitest"
)

// TestOpenAI_ReplyWithKeyRefused: an endpoint that echoes the API key in
// its reply gets it refused as invalid, is asked once more, and the story
// falls back to the extractive summary; the key reaches neither the
// summary nor the logs. Both a key shaped like OpenAI's and one that is
// not (a proxy's or a local server's) are recognised.
func TestOpenAI_ReplyWithKeyRefused(t *testing.T) {
	for _, key := range []string{testKey, "proxy-key-7f3a9c2e41d8b6"} {
		t.Run(key[:5], func(t *testing.T) {
			o, srv, logs := newTestOpenAI(t, func(c *OpenAIConfig) { c.APIKey = key })
			srv.SetFault(openaitest.EchoKey)
			s, err := o.ForRunScoped().Summarize(context.Background(), steelReq)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Fallback || !strings.Contains(s.FallbackReason, "API key") {
				t.Fatalf("fallback=%v reason=%q, want a fallback naming the API key", s.Fallback, s.FallbackReason)
			}
			if n := srv.Count(); n != 2 {
				t.Errorf("%d requests, want 2 (the invalid reply is asked again once)", n)
			}
			all := s.Headline + s.Text + strings.Join(s.KeyPoints, " ") + s.FallbackReason + logs.String()
			if strings.Contains(all, key) {
				t.Errorf("the key reached the summary or the logs")
			}
			for _, r := range srv.Requests() {
				if strings.Contains(r.Followup, key) || strings.Contains(r.User, key) {
					t.Errorf("the key was sent back to the model in a prompt")
				}
			}
		})
	}
}

// TestOpenAI_LeadWithKeyRefused: the same for the digest's opening.
func TestOpenAI_LeadWithKeyRefused(t *testing.T) {
	o, srv, _ := newTestOpenAI(t, func(c *OpenAIConfig) { c.Lead = true })
	srv.SetFault(openaitest.EchoKey)
	stories := []digest.Story{{Key: "a", Summary: digest.Summary{Headline: "Steel tariffs suspended", Text: "The U.S. and E.U. suspended tariffs."}}}
	lead, err := o.WriteLead(context.Background(), stories)
	if err == nil || lead != "" || !strings.Contains(err.Error(), "API key") || strings.Contains(err.Error(), testKey) {
		t.Fatalf("lead %q, err %v: want no lead and an error naming (not showing) the API key", lead, err)
	}
}

// TestOpenAI_LongTitleBounded: a 100 KB title reaches the prompt cut to
// digest.MaxTitleRunes.
func TestOpenAI_LongTitleBounded(t *testing.T) {
	o, srv, _ := newTestOpenAI(t, nil)
	req := steelReq
	req.Title = strings.Repeat("Steel tariffs ", 100000/14)
	if _, err := o.ForRunScoped().Summarize(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	user := srv.Requests()[0].User
	title := strings.TrimSpace(user[strings.Index(user, "Title:")+len("Title:"):])
	title, _, _ = strings.Cut(title, "\n")
	if n := utf8.RuneCountInString(title); n > digest.MaxTitleRunes {
		t.Errorf("title in the prompt has %d runes, want ≤ %d", n, digest.MaxTitleRunes)
	}
	t.Logf("prompt %d bytes for a %d-byte title (title in the prompt: %d runes)", len(user), len(req.Title), utf8.RuneCountInString(title))
	if len(user) > 20000 {
		t.Errorf("prompt is %d bytes for a %d-byte title", len(user), len(req.Title))
	}
}
