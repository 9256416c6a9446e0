package templates

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
)

func TestRenderer_Render_golden(t *testing.T) {
	r := newRenderer(t, Options{})
	empty := fixtureEdition()
	empty.Stories, empty.More, empty.Lead = nil, 0, ""
	weekly := fixtureEdition()
	weekly.Weekly, weekly.Key, weekly.More = true, digest.WeekKey(fixtureDay), 12
	weekly.Since = fixtureDay.Add(-digest.Week)
	tests := []struct {
		name string
		ed   digest.Edition
	}{
		{"digest", fixtureEdition()},
		{"empty", empty},
		{"weekly", weekly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := render(t, r, tt.ed)
			golden(t, tt.name+".txt.golden", "Subject: "+msg.Subject+"\n\n"+msg.Text)
			golden(t, tt.name+".html.golden", msg.HTML)
		})
	}
	t.Run("public", func(t *testing.T) {
		ae, err := r.RenderPublic(fixtureEdition())
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "public.txt.golden", "Subject: "+ae.Subject+"\n\n"+ae.Text)
		golden(t, "public.html.golden", ae.HTML)
	})
}

func TestRenderer_Render(t *testing.T) {
	r := newRenderer(t, Options{})
	msg := render(t, r, fixtureEdition())
	checkSafe(t, msg, DefaultMaxBytes)

	if msg.To != "ana@example.com" || msg.ToName != "Ana Ribeiro" {
		t.Errorf("To = %q, ToName = %q", msg.To, msg.ToName)
	}
	if msg.From != "" || msg.MessageID != "" || msg.ListID != "" || msg.UnsubscribeURL != "" || !msg.Date.IsZero() {
		t.Errorf("renderer filled engine fields: %+v", msg)
	}
	for _, want := range []string{"Friday 27 November 2026", "4 stories"} {
		if !strings.Contains(msg.Subject, want) {
			t.Errorf("subject %q lacks %q", msg.Subject, want)
		}
	}

	parts := map[string]string{"text": msg.Text, "html": msg.HTML}
	for part, body := range parts {
		for _, want := range []string{
			"Friday 27 November 2026",
			"Ministers of the Northern Trade Area set 14 January",
			"Also reported by",
			"Customs Weekly",
			"Dairy quotas stay outside the deal",
			"ana@example.com subscribed to Trade Digest",
			"https://digest.example.com/unsubscribe?t=tok-ana",
			"https://digest.example.com/preferences?t=pref-ana",
			"https://digest.example.com/archive/2026-11-27",
			"View in browser",
			"…and 2 more stories",
			"Tariff diplomacy dominated the day",
			"27 Nov 2026, 03:30 WET", // story time in the reader's zone
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s part lacks %q", part, want)
			}
		}
		if strings.Contains(body, "javascript:") {
			t.Errorf("%s part carries the javascript: URL", part)
		}
		// The same outlet twice is listed once among the outlets, and its
		// second report is not hidden: "Also from" names it with its
		// headline and link.
		if n := strings.Count(body, "Also reported by: Harbour Ledger") + strings.Count(body, "Harbour Ledger</a>, "); n > 1 {
			t.Errorf("%s part lists Harbour Ledger among the outlets %d times", part, n)
		}
		if !strings.Contains(body, "Also from Harbour Ledger: ") || !strings.Contains(body, "Update") ||
			!strings.Contains(body, "https://ledger.example.org/news/tariff-signing-2") {
			t.Errorf("%s part hides Harbour Ledger's second report", part)
		}
	}

	t.Run("html layout", func(t *testing.T) {
		for _, want := range []string{`role="presentation"`, `width="600"`, `bgcolor="#ffffff"`, `<!--[if mso]>`, `lang="en"`} {
			if !strings.Contains(msg.HTML, want) {
				t.Errorf("HTML lacks %s", want)
			}
		}
		// Every class was inlined at start-up; nothing depends on a style sheet.
		if strings.Contains(msg.HTML, "class=") || strings.Contains(msg.HTML, "<style") {
			t.Error("HTML depends on classes or a style block")
		}
		if !strings.Contains(msg.HTML, `style="display: none;`) {
			t.Error("preheader is not hidden")
		}
		if !strings.Contains(msg.HTML, ">4 stories: Ministers of the Northern Trade Area") {
			t.Error("preheader lacks the count and first headline")
		}
		// The headline links to the lead article; the javascript: story's
		// headline is plain text.
		if !strings.Contains(msg.HTML, `href="https://wire.example.com/2026/11/tariff-schedule-signing">Ministers`) {
			t.Error("headline does not link to the lead URL")
		}
		if !regexp.MustCompile(`color: #16324f"><a name="story-\d+"></a>Exporters seek faster VAT refunds</h2>`).MatchString(msg.HTML) {
			t.Error("headline with a javascript: URL is not plain text")
		}
	})

	t.Run("text layout", func(t *testing.T) {
		for i, line := range strings.Split(msg.Text, "\n") {
			if utf8.RuneCountInString(line) > 72 && !strings.HasPrefix(strings.TrimSpace(line), "https://") {
				t.Errorf("line %d is %d columns: %q", i+1, utf8.RuneCountInString(line), line)
			}
		}
		for _, want := range []string{"\n1.  Ministers", "\n2.  Port of Valdemar", "\n    https://wire.example.com/2026/11/tariff-schedule-signing\n", "\nUnsubscribe: https://digest.example.com/unsubscribe?t=tok-ana\n"} {
			if !strings.Contains(msg.Text, want) {
				t.Errorf("text part lacks %q", want)
			}
		}
	})
}

func TestRenderer_Render_markers(t *testing.T) {
	tests := []struct {
		sum  digest.Summary
		want string
	}{
		{digest.Summary{Backend: "openai", Text: "x"}, "AI-generated summary"},
		{digest.Summary{Backend: "openai", Fallback: true, Text: "x"}, "Summary extracted from the article"},
		{digest.Summary{Backend: "extractive", Text: "x"}, "Summary extracted from the article"},
		{digest.Summary{Backend: "extractive", Fallback: true, FallbackReason: digest.FallbackUnfaithful + `"42%"`, Text: "x"},
			"Summary extracted from the article (the AI summary stated facts the article does not)"},
		{digest.Summary{Backend: "stub", Text: "x"}, "Summary extracted from the article"},
		{digest.Summary{}, ""},
	}
	for _, tt := range tests {
		if got := marker(tt.sum); got != tt.want {
			t.Errorf("marker(%+v) = %q, want %q", tt.sum, got, tt.want)
		}
	}
}

func TestRenderer_Render_empty(t *testing.T) {
	r := newRenderer(t, Options{SiteName: "Harbour Brief"})
	ed := fixtureEdition()
	ed.Stories, ed.More = nil, 0
	msg := render(t, r, ed)
	checkSafe(t, msg, DefaultMaxBytes)
	for part, body := range map[string]string{"text": msg.Text, "html": msg.HTML} {
		if !strings.Contains(flat(body), "There was no major trade news since Thursday 26 November 2026, 06:30 WET.") {
			t.Errorf("%s part does not say plainly there was no news:\n%s", part, body)
		}
		if !strings.Contains(body, "https://digest.example.com/unsubscribe?t=tok-ana") {
			t.Errorf("%s part lacks the unsubscribe link", part)
		}
	}
	if !strings.Contains(msg.Subject, "Harbour Brief") || !strings.Contains(msg.Subject, "no major trade news") {
		t.Errorf("subject %q", msg.Subject)
	}

	ed.Since = time.Time{}
	msg = render(t, r, ed)
	if !strings.Contains(flat(msg.Text), "since the last edition") {
		t.Errorf("no since time: text lacks a fallback:\n%s", msg.Text)
	}
}

func TestRenderer_Render_unsubscribeFallback(t *testing.T) {
	r := newRenderer(t, Options{})
	ed := fixtureEdition()
	ed.UnsubscribeURL = "javascript:alert(1)" // not http(s): the mailto is used
	ed.PreferencesURL = "ftp://digest.example.com/p"
	ed.ArchiveURL = ""
	msg := render(t, r, ed)
	checkSafe(t, msg, DefaultMaxBytes)
	mailto := `mailto:unsubscribe@digest.example.com?subject=unsubscribe`
	if !strings.Contains(msg.Text, "Unsubscribe: "+mailto) {
		t.Errorf("text part lacks the mailto unsubscribe:\n%s", msg.Text)
	}
	if !strings.Contains(msg.HTML, `href="`+mailto+`">Unsubscribe</a>`) {
		t.Error("HTML lacks the mailto unsubscribe link")
	}
	for _, no := range []string{"Preferences", "View in browser", "ftp:"} {
		if strings.Contains(msg.Text, no) || strings.Contains(msg.HTML, no) {
			t.Errorf("message shows %q though the link is unset or unsafe", no)
		}
	}
}

func TestRenderer_RenderPublic(t *testing.T) {
	r := newRenderer(t, Options{})
	ed := fixtureEdition()
	ae, err := r.RenderPublic(ed)
	if err != nil {
		t.Fatal(err)
	}
	if ae.Date != "2026-11-27" || ae.Stories != 4 || ae.CreatedAt != fixtureDay {
		t.Errorf("archived edition = date %q, %d stories, created %v", ae.Date, ae.Stories, ae.CreatedAt)
	}
	checkSafe(t, digest.Message{Subject: ae.Subject, HTML: ae.HTML, Text: ae.Text}, DefaultMaxBytes)
	for _, personal := range []string{"ana@example.com", "Ana Ribeiro", "tok-ana", "pref-ana", "unsubscribe", "Unsubscribe", "Preferences", "View in browser", "You receive this"} {
		if strings.Contains(ae.HTML, personal) || strings.Contains(ae.Text, personal) || strings.Contains(ae.Subject, personal) {
			t.Errorf("public edition contains %q", personal)
		}
	}
	for _, want := range []string{"public archive copy of Trade Digest", "Ministers of the Northern Trade Area", "27 Nov 2026, 03:30 WET"} {
		if !strings.Contains(ae.HTML, want) || !strings.Contains(flat(ae.Text), want) {
			t.Errorf("public edition lacks %q", want)
		}
	}
	// The personal edition is untouched by the public render.
	if ed.UnsubscribeURL == "" || ed.Recipient.Email == "" {
		t.Error("RenderPublic changed its argument")
	}
}

func TestNew_override(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, subjectFile, `Harbour notes for {{.DateISO}} ({{len .Stories}})`)
	r := newRenderer(t, Options{Dir: dir})
	msg := render(t, r, fixtureEdition())
	if msg.Subject != "Harbour notes for 2026-11-27 (4)" {
		t.Errorf("subject = %q, want the override's", msg.Subject)
	}
	// The other files are still the embedded ones.
	want := render(t, newRenderer(t, Options{}), fixtureEdition())
	if msg.Text != want.Text {
		t.Error("text part changed though only the subject was overridden")
	}
	if strings.Replace(msg.HTML, msg.Subject, want.Subject, 1) != want.HTML {
		t.Error("HTML part changed beyond the title though only the subject was overridden")
	}

	t.Run("styles", func(t *testing.T) {
		dir := t.TempDir()
		css, err := assets.ReadFile("assets/" + stylesFile)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, stylesFile, strings.Replace(string(css), "color: #16324f; text-decoration: none", "color: #aa0000", 1))
		msg := render(t, newRenderer(t, Options{Dir: dir}), fixtureEdition())
		if !strings.Contains(msg.HTML, `<a style="color: #aa0000" href="https://wire.example.com`) {
			t.Error("overridden style sheet is not inlined")
		}
	})
}

func TestNew_brokenOverride(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"html syntax", htmlFile, `<p>{{if .Stories}}unclosed`, "unexpected EOF"},
		{"html missing field", htmlFile, `<p>{{.NoSuchField}}</p>`, "NoSuchField"},
		{"html unknown class", htmlFile, "<p>\n<b class=\"shouty\">x</b></p>", `class "shouty" is not defined`},
		{"text syntax", textFile, `{{range .Stories}}`, "unexpected EOF"},
		{"text unknown func", textFile, `{{shout .SiteName}}`, `"shout" not defined`},
		{"subject syntax", subjectFile, `{{.SiteName`, "unclosed action"},
		{"styles selector", stylesFile, `h1 { color: red }`, "not a plain class"},
		{"styles unclosed", stylesFile, `.a { color: red`, "expected"},
		{"styles quote", stylesFile, `.a { font-family: "Arial" }`, "may not contain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, tt.file, tt.content)
			_, err := New(Options{Dir: dir})
			if err == nil {
				t.Fatal("New accepted a broken template")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestNew_options(t *testing.T) {
	if _, err := New(Options{Dir: filepath.Join(t.TempDir(), "absent")}); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing directory: err = %v", err)
	}
	if _, err := New(Options{MaxBytes: -1}); err == nil {
		t.Error("negative MaxBytes accepted")
	}
	_, err := New(Options{MaxBytes: 2000})
	if err == nil || !strings.Contains(err.Error(), "below the size of an empty edition") {
		t.Errorf("MaxBytes below an empty edition: err = %v", err)
	}
	r := newRenderer(t, Options{SiteName: "  Port\r\nWatch  "})
	if r.siteName != "Port Watch" {
		t.Errorf("site name = %q", r.siteName)
	}
}

func TestRenderer_Render_sizeLimit(t *testing.T) {
	r := newRenderer(t, Options{})
	ed := longEdition(200)
	ed.More = 5
	msg := render(t, r, ed)
	checkSafe(t, msg, DefaultMaxBytes)
	size := len(msg.HTML) + len(msg.Text)
	shown := strings.Count(msg.Text, "\n    Read at Example Trade Wire:")
	if shown < 10 || shown >= 200 {
		t.Fatalf("%d stories shown in %d bytes", shown, size)
	}
	more := 200 - shown + 5
	line := fmt.Sprintf("…and %d more stories", more)
	if !strings.Contains(msg.Text, line) || !strings.Contains(msg.HTML, line) {
		t.Errorf("message lacks %q", line)
	}
	if !strings.Contains(msg.Subject, fmt.Sprintf("%d stories", shown)) {
		t.Errorf("subject %q does not count the %d stories shown", msg.Subject, shown)
	}
	// As many stories as fit: one more would not.
	bigger := longEdition(shown + 1)
	full, err := r.execute(func() View {
		v := r.view(bigger, false)
		v.setStories(v.Stories, len(v.Stories), 0)
		return v
	}())
	if err != nil {
		t.Fatal(err)
	}
	if full.size <= DefaultMaxBytes {
		t.Errorf("%d stories would fit in %d bytes, but only %d were kept", shown+1, full.size, shown)
	}
	t.Logf("200 stories: %d shown, %d bytes (HTML %d, text %d)", shown, size, len(msg.HTML), len(msg.Text))

	t.Run("custom limit", func(t *testing.T) {
		r := newRenderer(t, Options{MaxBytes: 30_000})
		msg := render(t, r, longEdition(50))
		checkSafe(t, msg, 30_000)
	})
}

// TestRenderer_Render_concurrent renders for several readers at once, so
// that shared variants are made and used concurrently (run with -race).
func TestRenderer_Render_concurrent(t *testing.T) {
	r := newRenderer(t, Options{})
	alone := newRenderer(t, Options{CacheBytes: -1})
	var eds []digest.Edition
	var want []digest.Message
	for i, sr := range sharedReaders {
		eds = append(eds, sr.edition(fixtureEdition(), int64(i+1)))
		want = append(want, render(t, alone, eds[i]))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for j := range 20 {
				i := (g + j) % len(eds)
				got, err := r.Render(eds[i])
				if err != nil || got != want[i] {
					errs <- fmt.Sprintf("concurrent render for %s differs (err %v)", eds[i].Recipient.Email, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func writeFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// flat folds white space, so that checks on the text part ignore wrapping.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// The CSS is inlined into the parsed template once, in New: the template
// tree itself carries the style attributes, so executing it does no CSS work.
func TestNew_inlinesOnce(t *testing.T) {
	r := newRenderer(t, Options{})
	tree := r.html.Tree.Root.String()
	if strings.Contains(tree, "class=") || !strings.Contains(tree, `style="margin: 0; font-family: Arial`) {
		t.Error("parsed HTML template is not inlined")
	}
}

func TestRenderer_Render_dates(t *testing.T) {
	r := newRenderer(t, Options{Now: func() time.Time { return time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC) }})
	tests := []struct {
		name string
		ed   digest.Edition
		want string
	}{
		{"edition date", digest.Edition{Date: "2026-11-27"}, "Friday 27 November 2026"},
		{"no date: generated in the reader's zone", digest.Edition{GeneratedAt: time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC), Recipient: digest.Subscriber{TimeZone: "Asia/Tokyo"}}, "Tuesday 10 March 2026"},
		{"no date at all: the clock", digest.Edition{}, "Monday 9 March 2026"},
		{"bad zone is UTC", digest.Edition{Date: "garbage", GeneratedAt: time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC), Recipient: digest.Subscriber{TimeZone: "Mars/Olympus"}}, "Monday 9 March 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := render(t, r, tt.ed)
			if !strings.Contains(msg.Subject, tt.want) || !strings.Contains(msg.HTML, tt.want) {
				t.Errorf("subject %q lacks %q", msg.Subject, tt.want)
			}
		})
	}
}

func TestRenderer_Render_contents(t *testing.T) {
	r := newRenderer(t, Options{})
	msg := render(t, r, fixtureEdition())
	facts := parseHTML(t, msg.HTML)
	var internal []string
	for _, h := range facts.hrefs {
		if strings.HasPrefix(h, "#") {
			internal = append(internal, h)
		}
	}
	if want := []string{"#story-1", "#story-2", "#story-3", "#story-4"}; strings.Join(internal, " ") != strings.Join(want, " ") {
		t.Errorf("contents links %v, want %v", internal, want)
	}
	for _, h := range internal {
		if !facts.ids[h[1:]] {
			t.Errorf("%s has no target", h)
		}
	}
	// The list comes before the first story, in both parts, and the text
	// part numbers its lines as the stories are numbered below.
	for part, body := range map[string]string{"html": msg.HTML, "text": msg.Text} {
		list, first := strings.Index(body, "In this edition"), strings.Index(body, "Port of Valdemar")
		if list < 0 || first < list {
			t.Errorf("%s part: contents at %d, first mention of story 2 at %d", part, list, first)
		}
	}
	for _, want := range []string{
		"In this edition:\n1.  Ministers of the Northern Trade Area set 14 January for\n    tariff-schedule signing — Example Trade Wire\n2.  Port of Valdemar",
		"\n3.  Quarterly steel quota allocations published\n",
	} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}

	t.Run("one story", func(t *testing.T) {
		ed := fixtureEdition()
		ed.Stories = ed.Stories[:1]
		msg := render(t, r, ed)
		if strings.Contains(msg.HTML, "In this edition") || strings.Contains(msg.Text, "In this edition") || strings.Contains(msg.HTML, `href="#`) {
			t.Error("a one-story edition has a contents list")
		}
	})
	t.Run("trimmed", func(t *testing.T) {
		msg := render(t, r, longEdition(200))
		shown := strings.Count(msg.Text, "\n    Read at Example Trade Wire:")
		if n := strings.Count(msg.HTML, `href="#story-`); n != shown {
			t.Errorf("contents lists %d stories, the message shows %d", n, shown)
		}
		if n := strings.Count(msg.Text, " — Example Trade Wire"); n != shown {
			t.Errorf("text contents lists %d stories, the message shows %d", n, shown)
		}
	})
}
