package export_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/export"
	"github.com/tradedigest/tradedigest/internal/testutil"
	"github.com/tradedigest/tradedigest/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The stories below are invented for these tests.

var day = time.Date(2026, 11, 27, 6, 30, 0, 0, time.UTC)

// fixture is an edition with what the formats must handle: several
// outlets, key points, topics, an LLM and an extractive summary, a file
// without URL, and hostile text (markup, a javascript: link, Markdown
// syntax, control characters).
func fixture() (digest.Edition, digest.Report) {
	ed := digest.Edition{
		Date:        "2026-11-27",
		Recipient:   digest.Subscriber{Email: "reader@example.com", TimeZone: "Europe/Lisbon"},
		GeneratedAt: day,
		Since:       day.Add(-24 * time.Hour),
		More:        2,
		Lead:        "Tariff diplomacy dominated the day.",
		Stories: []digest.Story{
			{
				Key: "story-1",
				Articles: []digest.Article{
					{SourceName: "Example Trade Wire", URL: "https://wire.example.com/2026/11/tariff-signing", Title: "Ministers set date for tariff signing", Published: day.Add(-3 * time.Hour)},
					{SourceName: "Harbour Ledger", URL: "https://ledger.example.org/news/tariff-(signing)", Title: "Signing date agreed", Published: day.Add(-2 * time.Hour)},
					{SourceName: "Customs Weekly", URL: "javascript:alert(1)", Title: "Tariff deal to be signed", Published: day.Add(-time.Hour)},
				},
				Topics: []string{"tariffs", "trade-agreements"},
				Summary: digest.Summary{
					Backend:    "openai",
					Headline:   "Ministers set 14 January for tariff-schedule signing",
					Text:       "Trade ministers agreed to sign the revised tariff schedule on 14 January.\n\nThe schedule lowers duties on 1,240 tariff lines over six years.",
					KeyPoints:  []string{"Signing set for 14 January", "Duties fall on 1,240 lines"},
					Countries:  []string{"Estonia", "Finland"},
					Topics:     []string{"Tariffs"},
					Importance: 4,
				},
			},
			{
				Key: "story-2",
				Articles: []digest.Article{
					{SourceName: "Local file", Title: "# Not a heading [click](javascript:x) <b>bold</b>", Published: day.Add(-5 * time.Hour)},
				},
				Topics: []string{"supply-chains"},
				Summary: digest.Summary{
					Backend: "extractive", Fallback: true, FallbackReason: digest.FallbackUnfaithful + `"42%"`,
					Text: "1. Not a list: port fees fall *15%* from January\x00 & <script>alert(1)</script> | pipes | ~strike~.",
				},
			},
		},
	}
	rep := digest.Report{
		Sources:         []digest.SourceReport{{ID: "a"}, {ID: "b", Error: "fetch failed"}},
		ArticlesFetched: 9, ArticlesNew: 6, Stories: 3, StoriesDropped: 1, SummariesNew: 2, SummariesCached: 1,
		SummariesFallback: 1, SummariesUnfaithful: 1,
		Errors: []string{"source b: fetch failed"},
	}
	return ed, rep
}

// TestFormats_Golden renders the fixture in every --format and compares
// with testdata/edition.{txt,md,json,html}.golden. The text and HTML are
// the email's parts as the embedded templates make them.
func TestFormats_Golden(t *testing.T) {
	ed, rep := fixture()
	r, err := templates.New(templates.Options{Now: func() time.Time { return day }})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := r.Render(ed)
	if err != nil {
		t.Fatal(err)
	}
	doc := export.FromEdition(ed, msg, &rep)
	js, err := export.JSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{
		"edition.txt.golden":  "Subject: " + msg.Subject + "\n\n" + msg.Text,
		"edition.html.golden": msg.HTML,
		"edition.md.golden":   export.Markdown(doc),
		"edition.json.golden": string(js),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs (check the change, then go test ./digest/export -update):\n%s", name, firstDiff(got, string(want)))
		}
	}
	testutil.CheckJSONSchema(t, filepath.Join(testutil.Root(t), "docs", "edition.schema.json"), js)
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return " got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}

// TestFromEdition: untrusted text is cleaned, only http(s) links are kept,
// outlets keep their order with the lead first, and the run's counts come
// from the report.
func TestFromEdition(t *testing.T) {
	ed, rep := fixture()
	d := export.FromEdition(ed, digest.Message{Subject: "Subject\r\nBcc: x@example.com"}, &rep)
	if d.Schema != export.Schema || d.Version != 1 || d.Edition != "2026-11-27" || d.Frequency != "daily" || d.TimeZone != "Europe/Lisbon" {
		t.Errorf("header: %+v", d)
	}
	if strings.ContainsAny(d.Subject, "\r\n") {
		t.Errorf("subject keeps a line break: %q", d.Subject)
	}
	s := d.Stories[0]
	if s.Rank != 1 || s.Key != "story-1" || s.SummaryBy != "llm" || s.Importance != 4 || len(s.Summary) != 2 || len(s.KeyPoints) != 2 {
		t.Errorf("story 1: %+v", s)
	}
	if got := strings.Join(s.Topics, ","); got != "tariffs,trade-agreements" {
		t.Errorf("topics %q: the summary's Tariffs repeats tariffs", got)
	}
	if len(s.Outlets) != 3 || s.Outlets[0].Name != "Example Trade Wire" || s.Outlets[2].URL != "" {
		t.Errorf("outlets (the javascript: link must go): %+v", s.Outlets)
	}
	if strings.ContainsRune(d.Stories[1].Summary[0], 0) {
		t.Error("a NUL reached the document")
	}
	if d.Run == nil || d.Run.Sources != 2 || d.Run.SourcesFailed != 1 || d.Run.Fates["new"] != 6 || d.Run.Fates["not_new"] != 3 {
		t.Errorf("run: %+v", d.Run)
	}
	// A report with the run's account gives its fates as they are.
	rep2 := digest.Report{ArticlesFetched: 9, ArticlesNew: 6, ArticlesRead: 9,
		Fates: map[string]int{digest.FateLead: 3, digest.FateMerged: 1, digest.FateDuplicate: 3, digest.FateOffTopic: 2}}
	if r := export.FromEdition(ed, digest.Message{}, &rep2).Run; r == nil || r.Fates[digest.FateMerged] != 1 || r.Fates[digest.FateDuplicate] != 3 || r.Fates["new"] != 0 {
		t.Errorf("run with an account: %+v", r)
	}
	if d := export.FromEdition(ed, digest.Message{}, nil); d.Run != nil {
		t.Error("no report, yet a run section")
	}
	// A weekly edition is keyed by its ISO week and says so.
	week := ed
	week.Weekly, week.Key, week.More = true, "2026-W48", 7
	if w := export.FromEdition(week, digest.Message{}, nil); w.Edition != "2026-W48" || w.Date != "2026-11-27" || w.Frequency != "weekly" || w.More != 7 {
		t.Errorf("weekly header: edition %q date %q frequency %q more %d", w.Edition, w.Date, w.Frequency, w.More)
	} else if md := string(export.Markdown(w)); !strings.Contains(md, "7 more this week") {
		t.Errorf("weekly markdown lacks the week's count:\n%s", md)
	}
	var back export.Document
	js, _ := export.JSON(d)
	if err := json.Unmarshal(js, &back); err != nil || len(back.Stories) != 2 {
		t.Errorf("round trip: %v", err)
	}
}

// TestMarkdown_Escapes: nothing from a story becomes Markdown structure or
// HTML.
func TestMarkdown_Escapes(t *testing.T) {
	ed, rep := fixture()
	md := export.Markdown(export.FromEdition(ed, digest.Message{Subject: "Digest"}, &rep))
	for _, bad := range []string{"<script>", "<b>", "](javascript:", "\n# Not", "\n1. Not", "*15%*", "~strike~", "(signing)"} {
		if strings.Contains(md, bad) {
			t.Errorf("Markdown carries %q unescaped:\n%s", bad, md)
		}
	}
	for _, want := range []string{
		"## 1. [Ministers set 14 January for tariff-schedule signing](https://wire.example.com/2026/11/tariff-signing)",
		"[Harbour Ledger](https://ledger.example.org/news/tariff-%28signing%29)",
		"1\\. Not a list", "\\<script\\>", "- Signing set for 14 January",
		"…and 2 more stories",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}
