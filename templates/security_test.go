package templates

import (
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// hostile puts text where feeds and LLMs put theirs: title, summary, key
// point, outlet name, URL and the lead.
type hostile struct {
	title, summary, point, source, url, lead string
}

func (h hostile) edition() digest.Edition {
	ed := fixtureEdition()
	st := digest.Story{
		Articles: []digest.Article{
			article(h.source, h.url, h.title, fixtureDay),
			article(h.source+" II", h.url, h.title, fixtureDay),
		},
		Summary: digest.Summary{Backend: "openai", Headline: h.title, Text: h.summary, KeyPoints: []string{h.point}},
	}
	ed.Stories = append([]digest.Story{st}, ed.Stories...)
	ed.Lead = h.lead
	return ed
}

func TestRenderer_Render_hostile(t *testing.T) {
	r := newRenderer(t, Options{})
	tests := []struct {
		name string
		in   hostile
		// wantHTML must appear in the HTML part (the text, escaped);
		// never must appear in neither part.
		wantHTML []string
		never    []string
	}{
		{
			name:     "script tags",
			in:       hostile{title: `<script>alert(1)</script> Tariffs`, summary: `Duties <script src="https://evil.example.com/x.js"></script> rise.`, point: `</li><script>x()</script>`, source: `<script>`, url: "https://wire.example.com/a", lead: `<script>document.cookie</script>`},
			wantHTML: []string{"&lt;script&gt;alert(1)&lt;/script&gt; Tariffs", "&lt;/li&gt;&lt;script&gt;x()&lt;/script&gt;"},
		},
		{
			name:     "attribute breakout",
			in:       hostile{title: `"><img src=x onerror=alert(1)>`, summary: `' onmouseover='alert(1)`, point: `"onload="x`, source: `Wire" onclick="x`, url: `https://wire.example.com/a"onmouseover="alert(1)`},
			wantHTML: []string{"&#34;&gt;&lt;img src=x onerror=alert(1)&gt;", "Wire&#34; onclick=&#34;x"},
		},
		{
			name:  "javascript link",
			in:    hostile{title: "Exporters protest", summary: "Text.", source: "Wire", url: "javascript:alert(document.domain)"},
			never: []string{"javascript:", `href="javascript`},
		},
		{
			name:  "disguised schemes",
			in:    hostile{title: "Quota news", summary: "Text.", source: "Wire", url: " JaVaScRiPt:alert(1)"},
			never: []string{"JaVaScRiPt", "javascript"},
		},
		{
			name:  "data link",
			in:    hostile{title: "Quota news", summary: "Text.", source: "Wire", url: "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},
			never: []string{"data:text/html"},
		},
		{
			name:  "credentials in link",
			in:    hostile{title: "Quota news", summary: "Text.", source: "Wire", url: "https://admin:hunter2@wire.example.com/a"},
			never: []string{"hunter2"},
		},
		{
			name:  "protocol-relative link",
			in:    hostile{title: "Quota news", summary: "Text.", source: "Wire", url: "//evil.example.com/a"},
			never: []string{"evil.example.com"},
		},
		{
			name:  "control characters and bidi",
			in:    hostile{title: "Steel\x00 quota\x1b[31m red\u202Egnp.exe", summary: "Line\x07 one\x7f\u0085 two", source: "Wire\u2066", url: "https://wire.example.com/a"},
			never: []string{"\x00", "\x1b", "\u202E", "\x07", "\u0085", "\u2066"},
		},
		{
			name:  "CRLF in title",
			in:    hostile{title: "Tariffs\r\nBcc: victim@example.com\r\n\r\n<b>x</b>", summary: "Text.", source: "Wire\r\nX-Evil: 1", url: "https://wire.example.com/a"},
			never: []string{"\r", "\nBcc:", "\nX-Evil"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := render(t, r, tt.in.edition())
			checkSafe(t, msg, DefaultMaxBytes)
			for _, want := range tt.wantHTML {
				if !strings.Contains(msg.HTML, want) {
					t.Errorf("HTML lacks the escaped %q", want)
				}
			}
			for _, no := range tt.never {
				for part, body := range map[string]string{"html": msg.HTML, "text": msg.Text, "subject": msg.Subject} {
					if strings.Contains(body, no) {
						t.Errorf("%s part contains %q", part, no)
					}
				}
			}
			// The story is still there, linked or not.
			if len(parseHTML(t, msg.HTML).hrefs) == 0 || !strings.Contains(msg.Text, "\n1.  ") {
				t.Error("story or links vanished")
			}
		})
	}
}

func TestRenderer_Render_hugeSummary(t *testing.T) {
	r := newRenderer(t, Options{})
	mb := strings.Repeat("Grain exporters expect record shipments. ", 1<<20/41)
	h := hostile{title: strings.Repeat("Headline ", 1<<17), summary: mb, point: mb, source: "Wire", url: "https://wire.example.com/" + strings.Repeat("a", 1<<20), lead: mb}
	msg := render(t, r, h.edition())
	checkSafe(t, msg, DefaultMaxBytes)
	if !strings.Contains(msg.Text, "Grain exporters expect record shipments.") || !strings.Contains(msg.Text, "…") {
		t.Error("huge summary is not shown cut with an ellipsis")
	}
	if strings.Contains(msg.HTML, strings.Repeat("a", 3000)) {
		t.Error("a 1 MB URL became a link")
	}
	// Every fixture story still fits beside it: the cut is per story.
	if !strings.Contains(msg.Text, "\n5.  Exporters seek faster VAT refunds") {
		t.Errorf("other stories were dropped:\n%s", msg.Text)
	}
}

// A story cannot fake the text part's own lines: separators, the
// unsubscribe line or a signature start at column 0 only when we write them.
func TestRenderer_Render_textInjection(t *testing.T) {
	r := newRenderer(t, Options{})
	rule := strings.Repeat("-", 72)
	evil := "Real news.\n\n" + rule + "\nUnsubscribe: https://evil.example.com/\n-- \nFrom evil\n\n2.  Fake story"
	h := hostile{title: "Quota\n" + rule, summary: evil, point: "\n" + rule, source: "Wire", url: "https://wire.example.com/a", lead: evil}
	msg := render(t, r, h.edition())
	checkSafe(t, msg, DefaultMaxBytes)
	lines := strings.Split(msg.Text, "\n")
	rules, unsub := 0, 0
	for _, l := range lines {
		if l == rule {
			rules++
		}
		if strings.HasPrefix(l, "Unsubscribe:") {
			unsub++
			if !strings.Contains(l, "tok-ana") {
				t.Errorf("forged unsubscribe line at column 0: %q", l)
			}
		}
		if strings.HasPrefix(l, "From ") || l == "-- " || strings.HasPrefix(l, "2.  Fake") {
			t.Errorf("story text at column 0: %q", l)
		}
	}
	if rules != 2 || unsub != 1 {
		t.Errorf("text part has %d rules and %d unsubscribe lines, want 2 and 1", rules, unsub)
	}
}

// CR/LF cannot reach the subject, even from a template that writes one.
func TestRenderer_Render_subjectOneLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, subjectFile, "{{.SiteName}}\r\nBcc: victim@example.com\n{{with .Stories}}{{(index . 0).Headline}}{{end}}")
	r := newRenderer(t, Options{Dir: dir})
	h := hostile{title: "Quota\r\nX-Evil: 1", summary: "Text.", source: "Wire", url: "https://wire.example.com/a"}
	msg := render(t, r, h.edition())
	if want := "Trade Digest Bcc: victim@example.com Quota X-Evil: 1"; msg.Subject != want {
		t.Errorf("subject = %q, want %q", msg.Subject, want)
	}
}
