package main

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/internal/testutil"
)

// feedServer serves a copy of examples/feed.xml at /feed.xml, a page that
// links to it at /, a page without links at /bare, and an OPML list at
// /lists/trade (no .opml suffix). It counts the requests per path.
func feedServer(t *testing.T) (*httptest.Server, *requestCounts) {
	t.Helper()
	feedXML, err := os.ReadFile(filepath.Join(testutil.Root(t), "examples", "feed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	counts := &requestCounts{m: map[string]*atomic.Int64{}}
	for _, p := range []string{"/", "/feed.xml", "/bare", "/lists/trade"} {
		counts.m[p] = &atomic.Int64{}
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := counts.m[r.URL.Path]; ok {
			c.Add(1)
		}
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<!doctype html><html><head><title>Trade Wire</title>
				<link rel="alternate" type="application/rss+xml" title="Trade Wire" href="/feed.xml"></head><body>News</body></html>`)
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(feedXML)
		case "/bare":
			fmt.Fprint(w, `<!doctype html><html><head><title>Bare</title></head><body>No feed here</body></html>`)
		case "/lists/trade":
			fmt.Fprintf(w, `<?xml version="1.0"?><opml version="2.0"><body><outline text="Wire" xmlUrl="%s/feed.xml"/></body></opml>`, srv.URL)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, counts
}

type requestCounts struct{ m map[string]*atomic.Int64 }

func (c *requestCounts) get(p string) int64 { return c.m[p].Load() }

// loopbackEnv lets the fetcher reach the test servers on 127.0.0.1.
func loopbackEnv(dir string) map[string]string {
	return map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db"), "DIGEST_GATHER_ALLOW_HOSTS": "127.0.0.0/8:*"}
}

// TestSources_AddDiscovers: `sources add` on a site finds its feed and
// says which; an OPML list at a URL is kept as a list; a page without a
// feed is refused with nothing added; an address that cannot be read now
// is kept as given, with a warning.
func TestSources_AddDiscovers(t *testing.T) {
	srv, _ := feedServer(t)
	env := loopbackEnv(t.TempDir())
	run := func(args ...string) (int, string, string) { t.Helper(); return runCLI(t, env, args...) }

	code, out, errs := run("sources", "add", srv.URL+"/")
	if code != 0 || !strings.Contains(out, "is a web page; using its RSS feed "+srv.URL+"/feed.xml") ||
		!strings.Contains(out, `("Example Trade Wire")`) || !strings.Contains(out, `<link rel="alternate">`) {
		t.Fatalf("site: %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "added "+srv.URL+"/feed.xml") {
		t.Errorf("the feed, not the page, should be added:\n%s", out)
	}
	if code, out, _ = run("sources", "add", srv.URL+"/feed.xml"); code != 0 || !strings.Contains(out, "already there") {
		t.Errorf("the feed itself: %d %s", code, out)
	}

	code, out, errs = run("sources", "add", srv.URL+"/lists/trade")
	if code != 0 || !strings.Contains(out, "is an OPML list of 1 feed") {
		t.Fatalf("list: %d\n%s%s", code, out, errs)
	}
	if _, out, _ = run("sources", "show", srv.URL+"/lists/trade"); !strings.Contains(out, "OPML list") {
		t.Errorf("the list's kind is not kept:\n%s", out)
	}

	code, out, errs = run("sources", "add", srv.URL+"/bare")
	if code != 0 || !strings.Contains(out, "found at a common feed path (the page names none)") || !strings.Contains(out, "already there: "+srv.URL+"/feed.xml") {
		t.Errorf("page without a link, feed at /feed.xml: %d\n%s%s", code, out, errs)
	}
	htmlOnly := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html><head><title>Only pages</title></head><body>Nothing to subscribe to</body></html>`)
	}))
	defer htmlOnly.Close()
	code, out, errs = run("sources", "add", htmlOnly.URL+"/news")
	if code != 1 || !strings.Contains(errs, "no feed found") || !strings.Contains(errs, "nothing added") {
		t.Errorf("site without a feed: %d\n%s%s", code, out, errs)
	}
	dead := "http://127.0.0.1:1/feed.xml"
	code, out, errs = run("sources", "add", dead)
	if code != 0 || !strings.Contains(errs, "could not read") || !strings.Contains(out, "added "+dead) {
		t.Errorf("unreachable address: %d\n%s%s", code, out, errs)
	}
	_, out, _ = run("sources", "list")
	if strings.Contains(out, "/bare") || strings.Contains(out, htmlOnly.URL) || !strings.Contains(out, srv.URL+"/feed.xml") {
		t.Errorf("list:\n%s", out)
	}
}

// TestNow_SameFeedFetchedOnce: a feed given directly and listed in an OPML
// list (here one at a URL) is fetched once per run, and the report says
// so.
func TestNow_SameFeedFetchedOnce(t *testing.T) {
	srv, counts := feedServer(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "digest.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("sources:\n  - %s/feed.xml\n  - url: %s/lists/trade\n    kind: opml\n", srv.URL, srv.URL)), 0o644)
	env := loopbackEnv(dir)
	code, _, errs := runCLI(t, env, "now", "--config", cfg, "--dry-run", "--quiet", "--since", "8760h")
	if code != 0 {
		t.Fatalf("now: %d %s", code, errs)
	}
	if n := counts.get("/feed.xml"); n != 1 {
		t.Errorf("the feed was fetched %d times", n)
	}
	if counts.get("/lists/trade") != 1 || !strings.Contains(errs, "1 feed reached twice") {
		t.Errorf("list fetched %d times; report:\n%s", counts.get("/lists/trade"), errs)
	}
}

// TestSources_ShowSetExport: settings given to `sources add` are kept and
// shown; `sources set` changes them (but not a config file's); `sources
// export` writes OPML with the feeds' names and topics, which `sources
// add` reads back.
func TestSources_ShowSetExport(t *testing.T) {
	dir := t.TempDir()
	feedXML, _ := os.ReadFile(filepath.Join(testutil.Root(t), "examples", "feed.xml"))
	feedPath := filepath.Join(dir, "wire.xml")
	os.WriteFile(feedPath, feedXML, 0o644)
	articles := copyExamples(t)
	cfg := filepath.Join(dir, "digest.yaml")
	os.WriteFile(cfg, []byte("sources:\n  - url: "+articles+"\n    weight: 2\n    exclude: [football]\n"), 0o644)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db"), "DIGEST_CONFIG": cfg}
	run := func(args ...string) (int, string, string) { t.Helper(); return runCLI(t, env, args...) }

	if code, out, errs := run("sources", "add", feedPath, "--name", "Wire Desk", "--weight", "1.5", "--include", "tariff*;duty", "--full-text", "off"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	_, out, _ := run("sources", "show")
	for _, want := range []string{feedPath, "Wire Desk", "1.5", "tariff*; duty", "never (the feed's text only)", articles, "config file", "football"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if code, out, errs := run("sources", "set", feedPath, "--weight", "3", "--include", ""); code != 0 || !strings.Contains(out, "weight     3") || !strings.Contains(out, "(everything)") || !strings.Contains(out, "Wire Desk") {
		t.Errorf("set: %d\n%s%s", code, out, errs)
	}
	if code, _, errs := run("sources", "set", articles, "--weight", "3"); code != 2 || !strings.Contains(errs, "config file") {
		t.Errorf("set on a config source: %d %s", code, errs)
	}
	if code, _, errs := run("sources", "set", feedPath, "--selector", "div[("); code != 2 || !strings.Contains(errs, "selector") {
		t.Errorf("bad selector: %d %s", code, errs)
	}
	if code, _, errs := run("sources", "add", feedPath+".2", "--weight", "-1"); code != 2 || !strings.Contains(errs, "weight") {
		t.Errorf("negative weight: %d %s", code, errs)
	}

	// Gather once so the export knows the feed's topics, then export.
	if code, _, errs := run("now", "--dry-run", "--quiet", "--since", "8760h"); code != 0 {
		t.Fatalf("now: %d %s", code, errs)
	}
	opml := filepath.Join(dir, "out.opml")
	code, out, errs := run("sources", "export", "--out", opml)
	if code != 0 || !strings.Contains(out, "wrote 1 feeds") || !strings.Contains(errs, articles) {
		t.Fatalf("export: %d\n%s%s", code, out, errs)
	}
	data, _ := os.ReadFile(opml)
	var doc struct {
		Outlines []struct {
			Text     string `xml:"text,attr"`
			XMLURL   string `xml:"xmlUrl,attr"`
			Category string `xml:"category,attr"`
		} `xml:"body>outline"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil || len(doc.Outlines) != 1 {
		t.Fatalf("OPML %v:\n%s", err, data)
	}
	o := doc.Outlines[0]
	if o.Text != "Wire Desk" || o.XMLURL != feedPath || !strings.HasPrefix(o.Category, "/") {
		t.Errorf("outline %+v", o)
	}
	// Stdout by default, and it reads back as a list.
	_, stdout, _ := run("sources", "export")
	if !strings.HasPrefix(stdout, "<?xml") || !strings.Contains(stdout, `xmlUrl="`+feedPath+`"`) {
		t.Errorf("export to stdout:\n%s", stdout)
	}
	env2 := map[string]string{"DIGEST_DB": filepath.Join(dir, "other.db")}
	if code, out, errs := runCLI(t, env2, "sources", "add", opml); code != 0 {
		t.Fatalf("add the export: %d %s %s", code, out, errs)
	}
	if code, out, errs := runCLI(t, env2, "sources", "check"); code != 0 || !strings.Contains(out, feedPath) {
		t.Errorf("check the export: %d\n%s%s", code, out, errs)
	}
}

// TestNow_SourceWeightRanks: a source's weight moves its stories up the
// edition.
func TestNow_SourceWeightRanks(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	feedXML, _ := os.ReadFile(filepath.Join(testutil.Root(t), "examples", "feed.xml"))
	feedPath := filepath.Join(dir, "wire.xml")
	os.WriteFile(feedPath, feedXML, 0o644)
	first := func(weight string) string {
		t.Helper()
		cfg := filepath.Join(dir, "digest-"+weight+".yaml")
		os.WriteFile(cfg, []byte("sources:\n  - "+articles+"\n  - url: "+feedPath+"\n    weight: "+weight+"\n"), 0o644)
		env := map[string]string{"DIGEST_DB": filepath.Join(dir, weight+".db")}
		now := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
		code, out, errs := runCLIAt(t, env, now, "now", "--config", cfg, "--dry-run", "--quiet", "--format", "json", "--since", "72h")
		if code != 0 {
			t.Fatalf("now: %d %s", code, errs)
		}
		i := strings.Index(out, `"headline": "`)
		return out[i : i+80]
	}
	light, heavy := first("0.2"), first("20")
	if light == heavy || !strings.Contains(heavy, "softwood") && !strings.Contains(heavy, "Panama") && !strings.Contains(heavy, "Canal") {
		t.Errorf("weight 20 did not put the feed's story first: light %q, heavy %q", light, heavy)
	}
}
