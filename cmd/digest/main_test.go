package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/internal/testutil"
)

// runCLI runs the command in-process with the given environment and
// returns its exit code, stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return runCLIClock(t, env, time.Now, args...)
}

// runCLIClock is runCLI with the given clock.
func runCLIClock(t *testing.T, env map[string]string, now func() time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		env: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		now: now,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := c.run(ctx, args)
	return code, out.String(), errb.String()
}

// copyExamples copies examples/articles into a temp dir so that file
// modification times are fresh (the default 24 h window keeps them).
func copyExamples(t *testing.T) string {
	t.Helper()
	src := filepath.Join(testutil.Root(t), "examples", "articles")
	dst := filepath.Join(t.TempDir(), "articles")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestNow_OutboxOnceThenLedger(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	outbox := filepath.Join(dir, "outbox")

	code, out, errs := runCLI(t, env, "now", "--source", articles, "--to", "Reader@Example.com", "--outbox", outbox, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("outbox has %d .eml files, want 1; stdout:\n%s", len(files), out)
	}
	if !strings.Contains(out, files[0]) && !strings.Contains(out, outbox) {
		t.Fatalf("output does not say where the message went:\n%s", out)
	}
	eml, _ := os.ReadFile(files[0])
	msg := string(eml)
	for _, want := range []string{"multipart/alternative", "text/plain", "text/html", "Message-ID: <digest.", "To: <reader@example.com>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q", want)
		}
	}
	info, _ := os.Stat(files[0])
	if info.Mode().Perm() != 0o600 {
		t.Errorf("outbox file mode %v, want 0600", info.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(dir, "digest.db")); st.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, want 0600", st.Mode().Perm())
	}

	code, out, errs = runCLI(t, env, "now", "--source", articles, "--to", "reader@example.com", "--outbox", outbox, "--quiet")
	if code != 0 {
		t.Fatalf("second run exit %d: %s %s", code, out, errs)
	}
	if !strings.Contains(out, "already sent today") {
		t.Fatalf("second run does not say why nothing was sent:\n%s", out)
	}
	if files2, _ := filepath.Glob(filepath.Join(outbox, "*.eml")); len(files2) != 1 {
		t.Fatalf("second run wrote another message: %v", files2)
	}

	code, out, _ = runCLI(t, env, "now", "--source", articles, "--to", "reader@example.com", "--outbox", outbox, "--quiet", "--force")
	if files3, _ := filepath.Glob(filepath.Join(outbox, "*.eml")); code != 0 || len(files3) != 2 {
		t.Fatalf("--force: exit %d, %d files, output:\n%s", code, len(files3), out)
	}
}

func TestNow_DryRunSingleArticle(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	path := filepath.Join(articles, "port-congestion.txt")
	raw, _ := os.ReadFile(path)
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	code, out, errs := runCLI(t, env, "now", "--dry-run", "--source", path, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.HasPrefix(out, "Subject: ") {
		t.Fatalf("dry run output does not start with the subject:\n%s", out)
	}
	// The summary is made of the article's own sentences: find at least one
	// sentence of 8+ words from the output verbatim in the file.
	found := false
	for _, sent := range strings.Split(strings.Join(strings.Fields(string(raw)), " "), ". ") {
		if len(strings.Fields(sent)) >= 8 && strings.Contains(strings.Join(strings.Fields(out), " "), sent) {
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("no sentence of the article in the digest:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "outbox")); err == nil {
		t.Fatal("dry run created an outbox")
	}
}

func TestNow_Errors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	articles := copyExamples(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"unknown flag", env, []string{"now", "--bogus"}, 2, "bogus"},
		{"bad address", env, []string{"now", "--source", articles, "--to", "not an address"}, 2, "not an email address"},
		{"IP-literal address", env, []string{"now", "--source", articles, "--to", "victim@[127.0.0.1]"}, 2, "victim@[127.0.0.1]"},
		{"bidi in address", env, []string{"now", "--source", articles, "--to", "ana\u202e@example.com"}, 2, "U+202E"},
		{"no sources", env, []string{"now", "--to", "a@example.com"}, 2, "no sources"},
		{"bad env", map[string]string{"DIGEST_DB": env["DIGEST_DB"], "DIGEST_SEND_EMPTY": "maybe"}, []string{"now", "--source", articles, "--to", "a@example.com"}, 2, "DIGEST_SEND_EMPTY"},
		{"unknown command", env, []string{"frobnicate"}, 2, "unknown command"},
		{"missing source", env, []string{"now", "--source", filepath.Join(dir, "nope.txt"), "--to", "a@example.com"}, 2, "nope.txt"},
		{"not a source", env, []string{"now", "--source", "/etc/passwd", "--to", "a@example.com"}, 2, "want a feed URL"},
		{"missing source says what a source is", env, []string{"now", "--source", "/nonexistent", "--dry-run"}, 2, "a source is a feed URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", code, tt.code, tt.want, out, errs)
			}
		})
	}
}

func TestNow_BadConfigKey(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "digest.yaml")
	os.WriteFile(cfgPath, []byte("db: x.db\nedition:\n  max_storys: 5\n"), 0o644)
	code, out, errs := runCLI(t, map[string]string{}, "now", "--config", cfgPath, "--to", "a@example.com")
	if code != 2 || !strings.Contains(errs, "max_storys") {
		t.Fatalf("exit %d, want 2 naming the key:\n%s%s", code, out, errs)
	}
}

// TestNow_MissingSourceGoesOn: a configured source that has gone missing
// (unlike a mistyped --source, a usage error) is reported and the rest of
// the run goes on.
func TestNow_MissingSourceGoesOn(t *testing.T) {
	dir := t.TempDir()
	articles := copyExamples(t)
	missing := filepath.Join(dir, "nope.txt")
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db"), "DIGEST_SOURCES": missing + "," + articles}
	code, out, errs := runCLI(t, env, "now", "--to", "a@example.com",
		"--outbox", filepath.Join(dir, "outbox"), "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, missing) {
		t.Fatalf("the missing source is not named:\n%s", out)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml")); len(files) != 1 {
		t.Fatalf("the rest of the run did not go on: %v", files)
	}
}
