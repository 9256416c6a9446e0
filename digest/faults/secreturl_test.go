package faults

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestSecurity_SecretURLs gives `digest now` feeds whose URLs carry a
// password and API keys (one that answers, one that fails, so both the
// success and the error paths name them), then reads every place a source
// URL is shown: the run's output at debug level, `digest runs`,
// `digest runs show` (text and JSON), `digest sources list` and
// `digest sources check`. None may show a credential; each must still
// name the feed.
func TestSecurity_SecretURLs(t *testing.T) {
	needBinary(t)
	t.Parallel()
	w := newWorld(t)
	w.mux.HandleFunc("/private.xml", func(rw http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "feeduser" || p != "feedpass-91c2" || r.URL.Query().Get("apikey") != "feedkey-5e8a" {
			http.Error(rw, "no", http.StatusUnauthorized)
			return
		}
		http.Redirect(rw, r, "/healthy.xml", http.StatusFound)
	})
	w.mux.HandleFunc("/gone.xml", func(rw http.ResponseWriter, r *http.Request) { http.NotFound(rw, r) })
	private := strings.Replace(w.base, "http://", "http://feeduser:feedpass-91c2@", 1) + "/private.xml?apikey=feedkey-5e8a&lang=en"
	gone := w.base + "/gone.xml?access_token=tok-77d1&sig=sig-0b3f"
	secrets := []string{"feedpass-91c2", "feedkey-5e8a", "tok-77d1", "sig-0b3f"}
	assertClean := func(where, s string) {
		t.Helper()
		for _, v := range secrets {
			if strings.Contains(s, v) {
				t.Errorf("%s shows %q:\n%s", where, v, tail(s))
			}
		}
		if !strings.Contains(s, "private.xml") && !strings.Contains(s, "gone.xml") {
			t.Errorf("%s names neither feed; the check proves nothing:\n%s", where, tail(s))
		}
	}

	r := w.now("", "--source", private, "--source", gone, "--to", "ana@example.com", "--log-level", "debug")
	if !strings.Contains(r.Stdout+r.Stderr, "404") {
		t.Errorf("the failing feed's error is not shown:\n%s", tail(r.Stderr))
	}
	assertClean("digest now output", r.Stdout+r.Stderr)
	if rep := lastRun(t, w.open()); rep.ArticlesFetched == 0 {
		t.Errorf("the private feed was not read (credentials not used?): %+v", rep.Sources)
	}
	cfg := w.config("")
	cmd := func(args ...string) string {
		t.Helper()
		res := runDigest(t, w.environ(), append(args, "--config", cfg)...)
		return res.Stdout + res.Stderr
	}
	for _, args := range [][]string{{"runs", "show", "1"}, {"runs", "show", "1", "--json"}, {"runs", "--json"}} {
		assertClean("digest "+strings.Join(args, " "), cmd(args...))
	}
	// Added to the store, the private feed keeps its login (and is read).
	assertClean("digest sources add", cmd("sources", "add", private, gone))
	for _, args := range [][]string{{"sources", "list"}, {"sources", "list", "--json"}, {"sources", "show"}, {"sources", "show", "--json"},
		{"sources", "check", "--log-level", "debug"}} {
		assertClean("digest "+strings.Join(args, " "), cmd(args...))
	}
	db := w.open()
	reg, err := db.RegisteredSources(context.Background())
	if err != nil || len(reg) != 2 {
		t.Fatalf("registered sources %v, %v", reg, err)
	}
	st, err := db.SourceState(context.Background(), reg[0])
	if strings.Contains(reg[1], "private") {
		st, err = db.SourceState(context.Background(), reg[1])
	}
	if err != nil || st.ConsecutiveFailures != 0 || st.LastSuccess.IsZero() {
		t.Errorf("the added private feed was not read with its login: %+v %v", st, err)
	}
	// A source is removed by the name 'sources list' shows.
	shown := strings.Replace(private, "feedpass-91c2", "xxxxx", 1)
	shown = strings.Replace(shown, "feedkey-5e8a", "xxxxx", 1)
	if out := cmd("sources", "show", shown); !strings.Contains(out, "private.xml") {
		t.Errorf("sources show by the shown name: %s", out)
	}
	if out := cmd("sources", "remove", shown); !strings.Contains(out, "removed") {
		t.Errorf("sources remove by the shown name: %s", out)
	}
	if reg, _ := db.RegisteredSources(context.Background()); len(reg) != 1 || strings.Contains(reg[0], "private") {
		t.Errorf("registered sources after removal: %v", reg)
	}
}
