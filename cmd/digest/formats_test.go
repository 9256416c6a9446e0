package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest/export"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

// TestNow_DryRunFormats: `digest now --dry-run --format F` prints the
// edition of the example articles in F on stdout and the report on stderr;
// the JSON follows the documented schema and carries the run's counts. The
// exact output of each format is pinned by the golden files of
// digest/export.
func TestNow_DryRunFormats(t *testing.T) {
	articles := copyExamples(t)
	for _, tt := range []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"text", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "Subject: Trade Digest") || !strings.Contains(out, "TRADE DIGEST") {
				t.Errorf("text: %.200s", out)
			}
		}},
		{"markdown", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "# Trade Digest") || !strings.Contains(out, "\n## 1. ") {
				t.Errorf("markdown: %.200s", out)
			}
		}},
		{"html", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "</html>") {
				t.Errorf("html: %.200s", out)
			}
		}},
		{"json", func(t *testing.T, out string) {
			var doc export.Document
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("json: %v\n%.300s", err, out)
			}
			if doc.Schema != export.Schema || len(doc.Stories) == 0 || doc.Run == nil || doc.Run.ArticlesFetched == 0 {
				t.Errorf("json document: %+v", doc)
			}
			testutil.CheckJSONSchema(t, filepath.Join(testutil.Root(t), "docs", "edition.schema.json"), []byte(out))
		}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			env := map[string]string{"DIGEST_DB": filepath.Join(t.TempDir(), "digest.db")}
			code, out, errs := runCLI(t, env, "now", "--dry-run", "--quiet", "--format", tt.format, "--source", articles)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if !strings.Contains(errs, "stories") || strings.Contains(out, "dry run (no delivery") {
				t.Errorf("the report belongs on stderr, the edition alone on stdout:\nstdout %.200s\nstderr %s", out, errs)
			}
			tt.check(t, out)
		})
	}

	t.Run("mistakes", func(t *testing.T) {
		env := map[string]string{"DIGEST_DB": filepath.Join(t.TempDir(), "digest.db")}
		if code, _, errs := runCLI(t, env, "now", "--dry-run", "--format", "pdf", "--source", articles); code != 2 || !strings.Contains(errs, "want text, markdown, json or html") {
			t.Errorf("--format pdf: %d %s", code, errs)
		}
		if code, _, errs := runCLI(t, env, "now", "--format", "json", "--source", articles, "--to", "a@example.com"); code != 2 || !strings.Contains(errs, "add --dry-run") {
			t.Errorf("--format without --dry-run: %d %s", code, errs)
		}
	})
}
