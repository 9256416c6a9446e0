package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

func TestSubscribers(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	run := func(args ...string) (int, string, string) { t.Helper(); return runCLI(t, env, args...) }

	if code, out, errs := run("subscribers", "add", "Ana@Example.com", "--name", "Ana", "--timezone", "Asia/Tokyo",
		"--send-time", "6:30", "--topics", "Tariffs;export controls"); code != 0 || !strings.Contains(out, "ana@example.com") {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	if code, _, errs := run("subscribers", "add", "ana@example.com"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("duplicate add: %d %s", code, errs)
	}
	if code, _, errs := run("subscribers", "add", "bo@example.com", "--topics", "fishing"); code != 2 || !strings.Contains(errs, "unknown topic") {
		t.Fatalf("bad topic: %d %s", code, errs)
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("email,name,timezone\ncy@example.com,Cy,UTC\nnot-an-email,X,UTC\ndi@example.com,Di,Nowhere/Zone\n"), 0o644)
	code, out, errs := run("subscribers", "import", bad)
	if code != 1 || !strings.Contains(errs, "line 3") || !strings.Contains(errs, "line 4") || !strings.Contains(errs, "nothing imported") ||
		!strings.Contains(errs, "2 bad rows") || !strings.Contains(errs, "import the 1 good row)") {
		t.Fatalf("import of a bad file: %d %s %s", code, out, errs)
	}
	if _, out, _ := run("subscribers", "list", "--json"); strings.Contains(out, "cy@example.com") {
		t.Fatal("a malformed file wrote rows")
	}
	if code, out, errs = run("subscribers", "import", "--skip-invalid", bad); code != 0 || !strings.Contains(out, "1 added") {
		t.Fatalf("--skip-invalid: %d %s %s", code, out, errs)
	}
	// Idempotent: the same file again adds nothing.
	if code, out, _ = run("subscribers", "import", "--skip-invalid", bad); code != 0 || !strings.Contains(out, "0 added, 1 updated") {
		t.Fatalf("re-import: %d %s", code, out)
	}

	_, out, _ = run("subscribers", "list", "--json")
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("list --json line %q: %v", line, err)
		}
		rows = append(rows, m)
	}
	if len(rows) != 2 || rows[0]["email"] != "ana@example.com" || rows[0]["send_time"] != "06:30" || rows[0]["timezone"] != "Asia/Tokyo" {
		t.Fatalf("rows = %v", rows)
	}
	if topics := rows[0]["topics"].([]any); len(topics) != 2 || topics[1] != "export-controls" {
		t.Fatalf("topics not canonical: %v", topics)
	}
	if _, out, _ = run("subscribers", "list"); !strings.Contains(out, "EMAIL") || !strings.Contains(out, "cy@example.com") {
		t.Fatalf("table: %s", out)
	}

	if code, out, _ = run("subscribers", "remove", "cy@example.com"); code != 0 || !strings.Contains(out, "unsubscribed") {
		t.Fatalf("remove: %d %s", code, out)
	}
	if _, out, _ = run("subscribers", "list", "--status", "active"); strings.Contains(out, "cy@example.com") {
		t.Fatal("removed subscriber still active")
	}
	code, _, errs = run("subscribers", "list", "--status", "bogus")
	if code != 2 || !strings.Contains(errs, "pending, active, paused, unsubscribed, bounced") {
		t.Fatalf("list --status bogus: exit %d, want 2 listing the statuses:\n%s", code, errs)
	}
	if code, _, _ = run("subscribers", "frobnicate"); code != 2 {
		t.Fatalf("unknown action exit %d, want 2", code)
	}
}

func TestSourcesRunsDoctor(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	run := func(args ...string) (int, string, string) { t.Helper(); return runCLI(t, env, args...) }

	if code, out, errs := run("sources", "add", articles); code != 0 || !strings.Contains(out, "added") {
		t.Fatalf("sources add: %d %s %s", code, out, errs)
	}
	if _, out, _ := run("sources", "add", articles); !strings.Contains(out, "already there") {
		t.Fatalf("second add: %s", out)
	}
	missing := filepath.Join(dir, "missing.xml")
	run("sources", "add", missing)
	code, out, errs := run("sources", "check")
	if code != 1 || !strings.Contains(out, articles) || !strings.Contains(out, "missing.xml") || !strings.Contains(errs, "1 of 2 sources failed") {
		t.Fatalf("check: %d\n%s\n%s", code, out, errs)
	}
	var health []sourceHealth
	_, out, _ = run("sources", "check", "--offline", "--json")
	if err := json.Unmarshal([]byte(out), &health); err != nil || len(health) < 2 {
		t.Fatalf("check --json: %v %s", err, out)
	}
	for _, h := range health {
		if strings.HasSuffix(h.Source, "missing.xml") && (h.ConsecutiveFailures != 1 || h.LastError == "") {
			t.Fatalf("failing source health = %+v", h)
		}
	}
	if code, _, _ = run("sources", "remove", missing); code != 0 {
		t.Fatal("remove failed")
	}

	// digest now with the registered source, then runs and runs show.
	if code, out, errs = run("now", "--to", "a@example.com", "--outbox", filepath.Join(dir, "outbox"), "--quiet",
		"--source", articles); code != 0 {
		t.Fatalf("now: %d %s %s", code, out, errs)
	}
	if _, out, _ = run("runs"); !strings.Contains(out, "now") || !strings.Contains(out, "check") {
		t.Fatalf("runs: %s", out)
	}
	if code, out, _ = run("runs", "show", "2"); code != 0 || !strings.Contains(out, "stories") || !strings.Contains(out, "SOURCE") {
		t.Fatalf("runs show: %d %s", code, out)
	}
	if code, _, errs = run("runs", "show", "99"); code != 1 || !strings.Contains(errs, "no run 99") {
		t.Fatalf("runs show 99: %d %s", code, errs)
	}
	if code, out, _ = run("doctor"); code != 0 || !strings.Contains(out, "consistent") {
		t.Fatalf("doctor: %d %s", code, out)
	}
	if code, out, _ = run("migrate"); code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate: %d %s", code, out)
	}
	if code, out, _ = run("version"); code != 0 || !strings.HasPrefix(out, "digest ") {
		t.Fatalf("version: %d %s", code, out)
	}
}

func TestPreviewAndExtract(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	out := filepath.Join(dir, "p.html")
	code, stdout, errs := runCLI(t, env, "preview", "--source", articles, "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("preview: %d %s %s", code, stdout, errs)
	}
	html, _ := os.ReadFile(out)
	txt, _ := os.ReadFile(strings.TrimSuffix(out, ".html") + ".txt")
	if !strings.Contains(string(html), "<table") || !strings.Contains(string(txt), "TRADE DIGEST") {
		t.Fatalf("preview files: %d bytes html, %d bytes text", len(html), len(txt))
	}
	code, stdout, _ = runCLI(t, env, "extract", filepath.Join(articles, "brussels-steel-duty.html"), "--json")
	var page map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &page) != nil {
		t.Fatalf("extract: %d %s", code, stdout)
	}
	text, _ := page["text"].(string)
	if !strings.Contains(page["title"].(string), "steel") || strings.Contains(strings.ToLower(text), "accept all cookies") ||
		!strings.HasPrefix(page["canonical_url"].(string), "https://meridiantrade.example.net/") || strings.Contains(page["canonical_url"].(string), "utm_") {
		t.Fatalf("extract page = %v", page)
	}
	if page["language"] != "en" {
		t.Errorf("extract --json language = %v, want en", page["language"])
	}

	// A wire story saved as plain text ends in the publisher's appeal:
	// extract shows the story without it, and its language.
	wire := filepath.Join(dir, "wire.txt")
	story := "SHANGHAI (AP) — Dozens of container ships waited outside Shanghai on Monday as a backlog built up after a week of storms.\n\n" +
		"Shipping lines said delays could last into next month. In a time of both misinformation and too much information, quality journalism is more crucial than ever. By subscribing, you can help us get the story right.\n"
	if err := os.WriteFile(wire, []byte(story), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs = runCLI(t, env, "extract", wire)
	if code != 0 || !strings.Contains(stdout, "Language: English (en)") || !strings.Contains(stdout, "could last into next month.") {
		t.Fatalf("extract wire.txt: %d %s %s", code, stdout, errs)
	}
	if strings.Contains(stdout, "quality journalism") || strings.Contains(stdout, "By subscribing") {
		t.Errorf("extract kept the wire story's appeal:\n%s", stdout)
	}
}

func TestHealthcheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte("ok"))
			return
		}
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()
	if code, _, errs := runCLI(t, nil, "healthcheck", "--addr", addr); code != 0 {
		t.Fatalf("healthy: %d %s", code, errs)
	}
	if code, _, _ := runCLI(t, nil, "healthcheck", "--addr", addr, "--path", "/readyz"); code != 1 {
		t.Fatalf("503 gave exit %d, want 1", code)
	}
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln2.Addr().String()
	ln2.Close()
	if code, _, _ := runCLI(t, nil, "healthcheck", "--addr", closed); code != 1 {
		t.Fatalf("nothing listening gave exit %d, want 1", code)
	}
}

// TestDoctor_Mail: doctor checks the relay (connect, EHLO, login) as well
// as the store, and fails naming the mailer when the relay does not answer.
func TestDoctor_Mail(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db"), "DIGEST_OUTBOX": filepath.Join(dir, "outbox")}
	if code, out, errs := runCLI(t, env, "doctor"); code != 0 || !strings.Contains(out, "does not exist yet") {
		t.Fatalf("doctor, outbox not created: %d\n%s%s", code, out, errs)
	}
	if err := os.Mkdir(env["DIGEST_OUTBOX"], 0o700); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, env, "doctor"); code != 0 || !strings.Contains(out, "is writable") {
		t.Fatalf("doctor, outbox: %d\n%s%s", code, out, errs)
	}

	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	env["DIGEST_SMTP_URL"] = "smtp://" + sink.Addr + "?tls=none"
	if code, out, errs := runCLI(t, env, "doctor"); code != 0 || !strings.Contains(out, "relay "+sink.Addr+" answers") {
		t.Fatalf("doctor, live relay: %d\n%s%s", code, out, errs)
	}
	if sink.Connections() != 1 {
		t.Errorf("relay saw %d connections, want 1", sink.Connections())
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	env["DIGEST_SMTP_URL"] = "smtp://" + closed + "?tls=none"
	code, out, errs := runCLI(t, env, "doctor")
	if code != 1 || !strings.Contains(out, "mail: ") || !strings.Contains(out, closed) || !strings.Contains(errs, "1 problem") {
		t.Fatalf("doctor, closed relay port: %d\n%s%s", code, out, errs)
	}
}

// TestMigrate_PasswordHidden: `digest migrate` names the store it migrated
// without the password of DIGEST_DB, in the userinfo or in the query; so do
// its logs at debug level.
func TestMigrate_PasswordHidden(t *testing.T) {
	dsn := storetest.NewSchema(t, storetest.PostgresDSN(t))
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "pg-pass-userinfo-8d2")
	q := u.Query()
	q.Set("password", "pg-pass-query-1c7") // the server trusts loopback; the value is only shown
	u.RawQuery = q.Encode()
	code, out, errs := runCLI(t, map[string]string{"DIGEST_DB": u.String()}, "migrate", "--log-level", "debug")
	if code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate: %d\n%s%s", code, out, errs)
	}
	for _, pw := range []string{"pg-pass-userinfo-8d2", "pg-pass-query-1c7"} {
		if strings.Contains(out+errs, pw) {
			t.Errorf("migrate shows the password %q:\n%s%s", pw, out, errs)
		}
	}
	if !strings.Contains(out, u.Host) {
		t.Errorf("migrate does not say which store: %s", out)
	}
}

// TestSubscribers_HostileAddresses: `subscribers add` refuses what the
// sign-up form refuses (exit 2 naming the address), and stores nothing.
func TestSubscribers_HostileAddresses(t *testing.T) {
	env := map[string]string{"DIGEST_DB": filepath.Join(t.TempDir(), "digest.db")}
	for _, addr := range []string{"victim@[127.0.0.1]", "victim@127.0.0.1", "ana\u202e@example.com", "ana\u2066@example.com"} {
		code, out, errs := runCLI(t, env, "subscribers", "add", addr)
		if code != 2 || !strings.Contains(errs, "email") {
			t.Errorf("subscribers add %q: exit %d, want 2 naming the email\n%s%s", addr, code, out, errs)
		}
	}
	if _, out, _ := runCLI(t, env, "subscribers", "list", "--json"); strings.TrimSpace(out) != "" {
		t.Errorf("refused addresses were stored:\n%s", out)
	}
}

// TestSubscribers_Frequency: --frequency on add and update, the frequency
// column of an import (an empty cell keeps the reader's own), and what
// list and show print.
func TestSubscribers_Frequency(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	run := func(args ...string) (int, string, string) { t.Helper(); return runCLI(t, env, args...) }

	if code, out, errs := run("subscribers", "add", "ana@example.com", "--frequency", "weekly:Friday"); code != 0 || !strings.Contains(out, "weekly:fri") {
		t.Fatalf("add --frequency: %d %s %s", code, out, errs)
	}
	if code, _, errs := run("subscribers", "add", "bo@example.com", "--frequency", "fortnightly"); code != 2 || !strings.Contains(errs, "frequency") {
		t.Fatalf("add with a bad frequency: %d %s", code, errs)
	}
	if code, out, errs := run("subscribers", "add", "bo@example.com"); code != 0 || !strings.Contains(out, "daily") {
		t.Fatalf("add without frequency: %d %s %s", code, out, errs)
	}
	if code, out, errs := run("subscribers", "update", "bo@example.com", "--frequency", "weekdays"); code != 0 || !strings.Contains(out, "weekdays") {
		t.Fatalf("update --frequency: %d %s %s", code, out, errs)
	}
	if code, _, errs := run("subscribers", "update", "bo@example.com", "--frequency", ""); code != 2 || !strings.Contains(errs, "weekly:<day>") {
		t.Fatalf("update --frequency '': %d %s", code, errs)
	}
	if code, _, errs := run("subscribers", "update", "bo@example.com"); code != 2 || !strings.Contains(errs, "nothing to change") {
		t.Fatalf("update without flags: %d %s", code, errs)
	}
	list := filepath.Join(dir, "list.csv")
	os.WriteFile(list, []byte("email,frequency\nana@example.com,\nbo@example.com,weekly:mon\ncy@example.com,weekdays\n"), 0o644)
	if code, out, errs := run("subscribers", "import", list); code != 0 || !strings.Contains(out, "1 added, 2 updated") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	_, out, _ := run("subscribers", "list", "--json")
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("list --json line %q: %v", line, err)
		}
		got[m["email"].(string)], _ = m["frequency"].(string)
	}
	want := map[string]string{"ana@example.com": "weekly:fri", "bo@example.com": "weekly:mon", "cy@example.com": "weekdays"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: frequency %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, out, _ := run("subscribers", "show", "ana@example.com"); !strings.Contains(out, "frequency: weekly:fri") {
		t.Errorf("show:\n%s", out)
	}
	if _, out, _ := run("subscribers", "list"); !strings.Contains(out, "FREQUENCY") || !strings.Contains(out, "weekly:mon") {
		t.Errorf("list:\n%s", out)
	}
}
