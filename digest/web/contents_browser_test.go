package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/templates"
)

// nineStories is an edition of nine stories with full summaries and key
// points: the kind of digest whose phone view runs to several screens.
func nineStories() digest.Edition {
	day := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	ed := digest.Edition{
		Date: "2026-11-27", GeneratedAt: day, Since: day.Add(-24 * time.Hour),
		Recipient:      digest.Subscriber{Email: "ana@example.com", TimeZone: "Europe/Lisbon"},
		UnsubscribeURL: "https://digest.example.com/unsubscribe?t=tok", PreferencesURL: "https://digest.example.com/preferences?t=tok",
	}
	outlets := []string{"Example Trade Wire", "Port Economics Daily", "Customs Weekly"}
	for i := range 9 {
		text := fmt.Sprintf("Ministers agreed on the %d tariff schedule after eighteen months of talks over agricultural quotas, "+
			"cutting duties on 1,240 tariff lines over six years. Exporters of machinery and chemicals gain most; dairy stays "+
			"outside the deal, and a review of the rules of origin is due within two years.", 2020+i)
		ed.Stories = append(ed.Stories, digest.Story{
			Articles: []digest.Article{{
				Title: fmt.Sprintf("Story %d: ministers set a date for the tariff-schedule signing", i+1), SourceName: outlets[i%3],
				URL: fmt.Sprintf("https://wire.example.com/story/%d", i+1), Published: day.Add(-time.Duration(i) * time.Hour),
			}},
			Summary: digest.Summary{Backend: "extractive", Text: text,
				KeyPoints: []string{"Duties fall on 1,240 tariff lines", "Dairy quotas stay outside the deal"}},
		})
	}
	return ed
}

// TestBrowser_DigestContents renders a nine-story digest with the email
// templates and opens its HTML in headless Chromium at a phone's 390 px
// and a desktop's 1200 px: the "In this edition" list is on the first
// screen, lists every story with its outlet, each entry jumps to its
// story, and nothing is wider than the window. It logs the page heights
// and keeps screenshots as artefacts.
func TestBrowser_DigestContents(t *testing.T) {
	tab := startBrowser(t)
	r, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := r.Render(nineStories())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, msg.HTML)
	}))
	t.Cleanup(ts.Close)

	for _, vp := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"desktop", 1200, 900}} {
		t.Run(vp.name, func(t *testing.T) {
			if err := chromedp.Do(tab, chromedp.EmulateViewport(vp.width, vp.height), chromedp.Navigate(ts.URL),
				chromedp.WaitVisible(chromedp.CSS(`a[href="#story-1"]`))); err != nil {
				t.Fatal(err)
			}
			eval := func(js string) float64 {
				t.Helper()
				v, err := chromedp.Run(tab, chromedp.Evaluate[float64](js))
				if err != nil {
					t.Fatalf("%s: %v", js, err)
				}
				return v
			}
			if w := eval(`document.documentElement.scrollWidth`); w > float64(vp.width) {
				t.Errorf("page is %.0f px wide in a %d px window", w, vp.width)
			}
			links, err := chromedp.Run(tab, chromedp.Evaluate[[]string](
				`[...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute("href") + "|" + a.closest("td").textContent)`))
			if err != nil {
				t.Fatal(err)
			}
			if len(links) != 9 {
				t.Fatalf("contents has %d links, want 9: %q", len(links), links)
			}
			for i, l := range links {
				href, text, _ := strings.Cut(l, "|")
				if href != fmt.Sprintf("#story-%d", i+1) || !strings.Contains(text, fmt.Sprintf("Story %d:", i+1)) ||
					!strings.Contains(text, []string{"Example Trade Wire", "Port Economics Daily", "Customs Weekly"}[i%3]) {
					t.Errorf("entry %d is %q", i+1, l)
				}
			}
			if top := eval(`document.querySelector('a[href="#story-1"]').getBoundingClientRect().top`); top > float64(vp.height) {
				t.Errorf("the contents list starts at %.0f px, below the first screen (%d px)", top, vp.height)
			}
			height := eval(`document.documentElement.scrollHeight`)
			for suffix, shot := range map[string]chromedp.Action[[]byte]{"": chromedp.FullScreenshot(100), "-first-screen": chromedp.CaptureScreenshot()} {
				png, err := chromedp.Run(tab, shot)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(artifactDir(t), "digest-contents-"+vp.name+suffix+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// Story 8 is out of sight until its entry is followed.
			const target = `document.getElementById("story-8").getBoundingClientRect().top`
			if top := eval(target); top < float64(vp.height) {
				t.Fatalf("story 8 starts at %.0f px, already on the first screen: the jump cannot be checked", top)
			}
			if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(`a[href="#story-8"]`))); err != nil {
				t.Fatal(err)
			}
			// At the top of the window, or as high as the end of the page
			// lets it go.
			arrived := `(() => { const top = ` + target + `; const end = window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
				return window.scrollY > 0 && (Math.abs(top) < 2 || end && top >= 0 && top < window.innerHeight); })()`
			if _, err := chromedp.Run(tab, chromedp.Poll[bool](arrived, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Errorf("following the contents entry did not bring story 8 into view (top at %.0f px): %v", eval(target), err)
			}
			t.Logf("%s (%d px): page %.0f px tall, HTML %d bytes", vp.name, vp.width, height, len(msg.HTML))
		})
	}
}
