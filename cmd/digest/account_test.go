package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// accountFeed is a feed with two items that share the placeholder body
// Google News feeds carry, a football report and a trade story.
func accountFeed(t *testing.T, at time.Time) string {
	t.Helper()
	d := at.UTC().Format(time.RFC1123Z)
	body := fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>Trade Wire</title><link>https://wire.example/</link>
<item><title>Peru sets 12%% anti-dumping duty on rice from Chile</title><link>https://wire.example/a</link><pubDate>%[1]s</pubDate><description>Something new here</description></item>
<item><title>Kenya sets 12%% anti-dumping duty on rice from Japan</title><link>https://wire.example/b</link><pubDate>%[1]s</pubDate><description>Something new here</description></item>
<item><title>Riverside United win the derby</title><link>https://wire.example/c</link><pubDate>%[1]s</pubDate><description>Riverside United beat Castlegate Rovers 3-1 at Millbrook Park on Saturday. Luis Ferraz equalised before half-time and Kofi Mensah sealed the win.</description></item>
<item><title>EU raises steel safeguard tariff to 40%%</title><link>https://wire.example/d</link><pubDate>%[1]s</pubDate><description>The European Commission will raise the tariff on steel imports above quota from 25%% to 40%% from 1 January, and cut quota volumes by 18%%, Trade Commissioner Helena Marwick said in Brussels. Eurofer welcomed the decision.</description></item>
</channel></rss>`, d)
	p := filepath.Join(t.TempDir(), "wire.xml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunsShow_Articles: every article a run reads is listed by `digest
// runs show ID --articles` (table and JSON) with what became of it; the two
// placeholder items are two articles; relevance.threshold 0 keeps the
// football report, the default drops it as off-topic with its score.
func TestRunsShow_Articles(t *testing.T) {
	dir := t.TempDir()
	feed := accountFeed(t, time.Now().Add(-time.Hour))
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db"), "DIGEST_RELEVANCE_THRESHOLD": "0"}
	run := func(args ...string) (int, string, string) { t.Helper(); return runCLI(t, env, args...) }
	code, out, errs := run("now", "--source", feed, "--dry-run", "--quiet")
	if code != 0 {
		t.Fatalf("now: %d %s %s", code, out, errs)
	}
	if !strings.Contains(out+errs, "4 fetched, 4 new") {
		t.Errorf("report does not say 4 fetched, 4 new:\n%s\n%s", out, errs)
	}
	code, out, errs = run("runs", "show", "1", "--articles")
	if code != 0 || !strings.Contains(out, "FATE") || !strings.Contains(out, "read 4 articles") || strings.Contains(out, "off_topic") {
		t.Fatalf("runs show --articles: %d\n%s\n%s", code, out, errs)
	}
	for _, title := range []string{"Peru sets 12% anti-dumping duty", "Kenya sets 12% anti-dumping duty", "Riverside United win", "EU raises steel"} {
		if !strings.Contains(out, title) {
			t.Errorf("account lacks %q:\n%s", title, out)
		}
	}
	_, out, _ = run("runs", "show", "1", "--articles", "--json")
	var lines []digest.ArticleFate
	if err := json.Unmarshal([]byte(out), &lines); err != nil || len(lines) != 4 {
		t.Fatalf("--json: %v, %d lines\n%s", err, len(lines), out)
	}
	ids := map[int64]bool{}
	for _, l := range lines {
		if l.Fate != digest.FateLead || l.ArticleID == 0 || ids[l.ArticleID] {
			t.Errorf("threshold 0: %+v, want each article leading its own story", l)
		}
		ids[l.ArticleID] = true
	}

	// The default threshold: the football story is off-topic, with its
	// score and the threshold.
	delete(env, "DIGEST_RELEVANCE_THRESHOLD")
	if code, out, errs = run("now", "--source", feed, "--dry-run", "--quiet"); code != 0 {
		t.Fatalf("second now: %d %s %s", code, out, errs)
	}
	_, out, _ = run("runs", "show", "2", "--articles", "--json")
	lines = nil
	if err := json.Unmarshal([]byte(out), &lines); err != nil {
		t.Fatal(err)
	}
	dup, off := 0, 0
	for _, l := range lines {
		switch {
		case l.Fate == digest.FateDuplicate:
			dup++
		case l.Fate == digest.FateOffTopic && strings.Contains(l.Title, "Riverside") && l.Threshold == 0.2 && l.Relevance < 0.2:
			off++
		}
	}
	// 4 fetched again (duplicates of the stored ones) and the 4 stored
	// articles of the window.
	if len(lines) != 8 || dup != 4 || off != 1 {
		t.Errorf("second run: %d lines, %d duplicates, %d off-topic football; want 8, 4, 1\n%s", len(lines), dup, off, out)
	}
}
