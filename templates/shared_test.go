package templates

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// sharedReader is one reader of TestRenderer_Render_shared, and whether
// their message may come from a shared variant.
type sharedReader struct {
	email, name, unsubscribe, preferences, archive string
	shared                                         bool
	golden                                         bool // in the golden files (all are compared)
}

var sharedReaders = []sharedReader{
	{"ana@example.com", "Ana Ribeiro", "https://digest.example.com/unsubscribe?t=tok-ana",
		"https://digest.example.com/preferences?t=pref-ana", "https://digest.example.com/archive/2026-11-27", true, true},
	// The same lengths as Ana's: the same variant.
	{"ben@example.com", "Ben Okafor!", "https://digest.example.com/unsubscribe?t=tok-ben",
		"https://digest.example.com/preferences?t=pref-ben", "https://digest.example.com/archive/2026-11-27", true, false},
	// "+" is escaped in HTML text and kept in a URL; "&" in a URL is escaped.
	{"bob+trade@example.co.uk", "Bob O'Neil", "https://digest.example.com/unsubscribe?t=tok-bob&lang=en",
		"https://digest.example.com/preferences?t=pref-bob&x=%20y", "https://digest.example.com/archive/2026-11-27", true, true},
	// Long enough to wrap the text footer's line elsewhere.
	{"a.very.long.address.for.line.wrapping@subdomain.example.com", "", "https://digest.example.com/unsubscribe?t=tok-long",
		"", "https://digest.example.com/archive/2026-11-27", true, false},
	// No web links: the mailto fallback; a name outside ASCII that the
	// templates do not show.
	{"jose@example.pt", "José Müller", "", "", "", true, false},
	// Characters every HTML escaping changes.
	{`o'hara<x>"q"@example.com`, "O'Hara", "https://digest.example.com/unsubscribe?t=a'b<c>", "", "", true, true},
	// Shown, and outside ASCII or too short to hold a placeholder: alone.
	{"jörg@example.de", "Jörg", "https://digest.example.com/unsubscribe?t=tok-jorg", "", "", false, true},
	{"a@b.c", "A", "https://digest.example.com/unsubscribe?t=tok-a", "", "", false, false},
}

func (sr sharedReader) edition(base digest.Edition, id int64) digest.Edition {
	ed := base
	ed.Recipient.ID, ed.Recipient.Email, ed.Recipient.Name = id, sr.email, sr.name
	ed.UnsubscribeURL, ed.PreferencesURL, ed.ArchiveURL = sr.unsubscribe, sr.preferences, sr.archive
	return ed
}

// TestRenderer_Render_shared proves the messages made from shared
// variants byte-identical to each reader's own rendering (a Renderer
// without caches), HTML and text parts and subject, for readers whose
// values need every kind of escaping, over a daily and a weekly edition
// in two time zones; the golden files hold four of them.
func TestRenderer_Render_shared(t *testing.T) {
	weekly := fixtureEdition()
	weekly.Weekly, weekly.Key, weekly.More, weekly.Lead = true, digest.WeekKey(fixtureDay), 12, ""
	weekly.Since = fixtureDay.Add(-digest.Week)
	weekly.Recipient.TimeZone = "America/New_York"
	weekly.Stories = weekly.Stories[:2]
	editions := []struct {
		name string
		ed   digest.Edition
	}{
		{"daily", fixtureEdition()},
		{"weekly", weekly},
	}
	r := newRenderer(t, Options{})
	alone := newRenderer(t, Options{CacheBytes: -1})
	for _, e := range editions {
		t.Run(e.name, func(t *testing.T) {
			var text, html strings.Builder
			// The first pass sees each variant key once (rendered alone);
			// the second makes the variants and uses them.
			for pass := range 2 {
				for i, sr := range sharedReaders {
					ed := sr.edition(e.ed, int64(i+1))
					want := render(t, alone, ed)
					got := render(t, r, ed)
					sameMessage(t, sr.email, got, want)
					if pass == 0 {
						continue
					}
					if _, shared := r.renderShared(r.view(ed, false), ed.More); shared != sr.shared {
						t.Errorf("%s: made from a shared variant = %v, want %v", sr.email, shared, sr.shared)
					}
					if !sr.golden {
						continue
					}
					fmt.Fprintf(&text, "==> %s (shared %v)\nSubject: %s\n\n%s\n", sr.email, sr.shared, got.Subject, got.Text)
					fmt.Fprintf(&html, "==> %s (shared %v)\n%s\n", sr.email, sr.shared, got.HTML)
				}
			}
			golden(t, "shared-"+e.name+".txt.golden", text.String())
			golden(t, "shared-"+e.name+".html.golden", html.String())
		})
	}
}

// sameMessage fails unless got and want are byte-identical, naming the
// first difference.
func sameMessage(t *testing.T, who string, got, want digest.Message) {
	t.Helper()
	for _, p := range []struct{ part, got, want string }{
		{"subject", got.Subject, want.Subject}, {"text", got.Text, want.Text}, {"HTML", got.HTML, want.HTML},
		{"to", got.To, want.To}, {"to name", got.ToName, want.ToName},
	} {
		if p.got == p.want {
			continue
		}
		i := 0
		for i < min(len(p.got), len(p.want)) && p.got[i] == p.want[i] {
			i++
		}
		t.Errorf("%s: %s differs from the reader's own rendering at byte %d:\n got: %q\nwant: %q",
			who, p.part, i, p.got[max(0, i-40):min(len(p.got), i+40)], p.want[max(0, i-40):min(len(p.want), i+40)])
	}
}

// TestRenderer_Render_sharedRefused: overrides render every message alone;
// and with sharing forced on (as if they were embedded), templates that
// put a personal value in a script or an unquoted attribute, or change it,
// are caught by the variant's checks: every reader's message is rendered
// alone, and right. Ana's and Ben's values have the same lengths.
func TestRenderer_Render_sharedRefused(t *testing.T) {
	ana, ben := sharedReaders[0].edition(fixtureEdition(), 1), sharedReaders[1].edition(fixtureEdition(), 2)
	tests := []struct {
		name, file, content string
		shared              bool // the readers' variant may be used when forced
	}{
		{"script", htmlFile, `<p>{{.Date}}</p><script>var reader = "{{.Email}}";</script>`, false},
		{"unquoted attribute", htmlFile, `<p title={{.Email}}>{{.Date}}</p>`, false},
		{"changed", textFile, `{{upper .Email}} {{.Date}}`, false},
		{"cut", textFile, `{{printf "%.3s" .Email}} {{.Date}}`, false},
		{"quoted", textFile, `{{printf "%q" .Email}} {{.Date}}`, false},
		{"text/template html", textFile, `{{html .Email}} {{.Date}}`, false},
		// The length is part of the variant key: allowed.
		{"length", subjectFile, `{{.SiteName}}{{if gt (len .Name) 10}} (long name){{end}}`, true},
		{"verbatim", htmlFile, `<p>{{.Date}} for {{.Email}}, <a href="{{.UnsubscribeURL}}">unsubscribe</a></p>`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tt.file, tt.content)
			alone := newRenderer(t, Options{Dir: dir, CacheBytes: -1})
			for _, force := range []bool{false, true} {
				r := newRenderer(t, Options{Dir: dir})
				r.sharable = force
				for range 2 {
					for _, ed := range []digest.Edition{ana, ben} {
						sameMessage(t, ed.Recipient.Email, render(t, r, ed), render(t, alone, ed))
					}
				}
				for _, ed := range []digest.Edition{ana, ben} {
					if _, shared := r.renderShared(r.view(ed, false), ed.More); shared != (force && tt.shared) {
						t.Errorf("forced %v: %s: made from a shared variant = %v, want %v", force, ed.Recipient.Email, shared, force && tt.shared)
					}
				}
			}
		})
	}
}

// TestRenderer_Render_sharedSizeLimit: a reader whose own values would push
// the message over MaxBytes gets it rendered alone (stories trimmed), as
// before.
func TestRenderer_Render_sharedSizeLimit(t *testing.T) {
	full := render(t, newRenderer(t, Options{}), fixtureEdition())
	limit := wireSize(full.Text) + wireSize(full.HTML) + 40
	r := newRenderer(t, Options{MaxBytes: limit})
	alone := newRenderer(t, Options{MaxBytes: limit, CacheBytes: -1})
	short := fixtureEdition()
	// Same lengths as the fixture's values, but "&" and "+" weigh more once
	// escaped: over the limit.
	long := fixtureEdition()
	long.Recipient.Email = "a+b+c+d+e+f+g@x.z"[:len(short.Recipient.Email)]
	long.UnsubscribeURL = strings.Repeat("https://x.example/?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8", 1)[:len(short.UnsubscribeURL)]
	for range 2 {
		for _, ed := range []digest.Edition{short, long} {
			sameMessage(t, ed.Recipient.Email, render(t, r, ed), render(t, alone, ed))
		}
	}
	if _, shared := r.renderShared(r.view(short, false), short.More); !shared {
		t.Error("the fixture's reader, under the limit, was not made from the shared variant")
	}
	if _, shared := r.renderShared(r.view(long, false), long.More); shared {
		t.Error("a reader over the limit was made from the shared variant")
	}
	if got := render(t, r, long); got.HTML == render(t, r, short).HTML[:0] || !strings.Contains(got.Text, "more stories") {
		t.Error("the reader over the limit did not get a trimmed edition")
	}
}
