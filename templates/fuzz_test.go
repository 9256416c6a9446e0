package templates

import (
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// FuzzRender renders editions whose stories carry arbitrary text and URLs
// (seed corpus in testdata/fuzz/FuzzRender) and checks what must hold for
// any input: no markup or script from the input, only http(s) links, one-line
// subject, no control characters in the text part, nothing at column 0 of
// the text part that a story wrote, and the size limit.
func FuzzRender(f *testing.F) {
	const limit = 30_000
	r := newRenderer(f, Options{MaxBytes: limit})
	rule := strings.Repeat("-", 72)
	f.Fuzz(func(t *testing.T, title, summary, point, source, url string) {
		h := hostile{title: title, summary: summary, point: point, source: source, url: url, lead: summary}
		ed := h.edition()
		// Several copies make the size limit bite with large inputs.
		for range 6 {
			ed.Stories = append(ed.Stories, ed.Stories[0])
		}
		msg, err := r.Render(ed)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		checkSafe(t, msg, limit)
		facts := parseHTML(t, msg.HTML)
		for _, href := range facts.hrefs {
			if !strings.HasPrefix(href, "https://") && !strings.HasPrefix(href, "http://") && !facts.internal(href) {
				t.Errorf("non-http(s) link %q", href)
			}
		}
		rules, unsub := 0, 0
		for _, l := range strings.Split(msg.Text, "\n") {
			switch {
			case l == rule:
				rules++
			case strings.HasPrefix(l, "Unsubscribe:"):
				unsub++
			}
		}
		if rules != 2 || unsub != 1 {
			t.Errorf("text part has %d rules and %d unsubscribe lines, want 2 and 1", rules, unsub)
		}
		pub, err := r.RenderPublic(ed)
		if err != nil {
			t.Fatalf("RenderPublic: %v", err)
		}
		checkSafe(t, digest.Message{Subject: pub.Subject, HTML: pub.HTML, Text: pub.Text}, limit)
		if strings.Contains(pub.HTML, "tok-ana") || strings.Contains(pub.Text, "tok-ana") {
			t.Error("public edition carries the unsubscribe token")
		}
	})
}
