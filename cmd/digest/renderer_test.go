package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/templates"
)

// TestNewRenderer: the built-in templates, parsed on first use, render the
// same message as templates.New; an override directory with a broken
// template is refused at once, before any render.
func TestNewRenderer(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC) }
	opts := templates.Options{SiteName: "Test Digest", Now: now}
	lazy, err := newRenderer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lazy.(lazyRenderer); !ok {
		t.Fatalf("built-in templates: %T, want a lazyRenderer", lazy)
	}
	eager, err := templates.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ed := digest.Edition{
		Date: "2026-03-02", GeneratedAt: now(),
		Recipient: digest.Subscriber{Email: "reader@example.com"},
		Stories: []digest.Story{{
			Articles: []digest.Article{{Title: "EU sets steel safeguard", URL: "https://news.example.com/steel", SourceName: "Wire"}},
			Summary:  digest.Summary{Headline: "EU sets steel safeguard", Text: "The EU extended its steel safeguard."},
		}},
	}
	got, err := lazy.Render(ed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := eager.Render(ed)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || !strings.Contains(got.Text, "steel safeguard") {
		t.Errorf("lazy render differs from templates.New's:\n%+v\n%+v", got, want)
	}
	gotPub, err := lazy.RenderPublic(ed)
	if err != nil {
		t.Fatal(err)
	}
	wantPub, err := eager.RenderPublic(ed)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotPub, wantPub) {
		t.Errorf("lazy public render differs from templates.New's")
	}

	dir := t.TempDir()
	for _, f := range templates.Files() {
		if strings.HasPrefix(f, "subject") {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("{{.Date"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r, err := newRenderer(templates.Options{Dir: dir, Now: now}); err == nil {
		t.Errorf("a broken override was accepted (%T)", r)
	}
}
