package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/templates"
)

// TestPreview_ServeReloads: `digest preview --serve` renders with the
// templates directory as it is at each request, and its fingerprint (which
// the page polls to reload itself) changes when a template file changes.
func TestPreview_ServeReloads(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db"), "DIGEST_TEMPLATES_DIR": filepath.Join(dir, "tpl")}
	os.MkdirAll(env["DIGEST_TEMPLATES_DIR"], 0o755)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &cli{stdout: io.Discard, stderr: io.Discard, now: time.Now,
		env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	done := make(chan int, 1)
	articles := copyExamples(t)
	go func() {
		done <- c.run(ctx, []string{"preview", "--source", articles, "--serve", addr, "--quiet"})
	}()

	get := func(path string) string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", path, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	page := get("/")
	if !strings.Contains(page, "<table") || !strings.Contains(page, "/_version") {
		t.Fatalf("preview page lacks the digest or the reload script")
	}
	if text := get("/text"); !strings.Contains(text, "TRADE DIGEST") {
		t.Fatalf("text preview: %.200s", text)
	}
	v1 := get("/_version")

	// Override the subject template: the fingerprint changes and the next
	// render uses it.
	var subject string
	for _, f := range templates.Files() {
		if strings.HasPrefix(f, "subject") {
			subject = f
		}
	}
	os.WriteFile(filepath.Join(env["DIGEST_TEMPLATES_DIR"], subject), []byte("Edited preview subject {{.Date}}"), 0o644)
	if v2 := get("/_version"); v2 == v1 {
		t.Fatal("fingerprint did not change after a template edit")
	}
	if text := get("/text"); !strings.Contains(text, "Edited preview subject") {
		t.Fatalf("edited template not used: %.300s", text)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("preview exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("preview did not stop")
	}
}

// TestPreviewBanner: without a templates directory the banner says the
// embedded templates are used and how to override them, never `in ""`.
func TestPreviewBanner(t *testing.T) {
	b := previewBanner("127.0.0.1:8081", "")
	if strings.Contains(b, `""`) || !strings.Contains(b, "embedded templates") || !strings.Contains(b, "DIGEST_TEMPLATES_DIR") {
		t.Errorf("banner without a directory: %q", b)
	}
	if b := previewBanner("127.0.0.1:8081", "/srv/tpl"); !strings.Contains(b, "/srv/tpl") || !strings.Contains(b, "http://127.0.0.1:8081/") {
		t.Errorf("banner with a directory: %q", b)
	}
}
