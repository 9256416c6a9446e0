package mail

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

func TestOutbox_Send(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "box")
	var (
		mu    sync.Mutex
		paths []string
	)
	ob, err := NewOutbox(dir, OutboxOptions{OnWrite: func(p string, _ digest.Message) {
		mu.Lock()
		paths = append(paths, p)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("outbox dir mode = %v, want 0700", st.Mode().Perm())
	}

	m := testMessage()
	if err := ob.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	p := ob.LastPath()
	if !regexp.MustCompile(`^2026-11-27-ada-example-org-[0-9a-f]{8}\.eml$`).MatchString(filepath.Base(p)) {
		t.Errorf("file name = %q, want <date>-<recipient-slug>-<hash>.eml", filepath.Base(p))
	}
	if filepath.Dir(p) != ob.Dir() || len(paths) != 1 || paths[0] != p {
		t.Errorf("path %q not reported by OnWrite %v / Dir %q", p, paths, ob.Dir())
	}
	st, err = os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("message file mode = %v, want 0600", st.Mode().Perm())
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := render(t, m, BuildOptions{}); string(raw) != string(want) {
		t.Errorf("file content differs from Build output")
	}
	if got := parse(t, raw).Header.Get("Message-Id"); got != "<"+m.MessageID+">" {
		t.Errorf("Message-Id = %q", got)
	}

	// The same message again replaces its file; another recipient adds one.
	if err := ob.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	m2 := testMessage()
	m2.To, m2.MessageID = "bob@example.net", "digest.2026-11-27.ffff@digest.example.com"
	if err := ob.Send(context.Background(), m2); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || ob.Written() != 3 {
		t.Errorf("files = %v (want 2, no temp files left), written = %d (want 3)", names, ob.Written())
	}
}

func TestOutbox_SendInvalidWritesNothing(t *testing.T) {
	dir := t.TempDir()
	ob, err := NewOutbox(dir, OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage()
	m.To = "not an address\r\nBcc: x@y"
	err = ob.Send(context.Background(), m)
	if !digest.IsPermanent(err) {
		t.Fatalf("Send = %v, want a permanent error", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 || ob.LastPath() != "" {
		t.Errorf("files written for an invalid message: %v", entries)
	}
}

func TestOutbox_Concurrent(t *testing.T) {
	ob, err := NewOutbox(t.TempDir(), OutboxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := testMessage()
			m.To = strings.Repeat("x", i%3+1) + "@example.org"
			m.MessageID = "digest." + strings.Repeat("a", i+1) + "@example.org"
			if err := ob.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	entries, _ := os.ReadDir(ob.Dir())
	if len(entries) != 40 {
		t.Errorf("%d files, want 40", len(entries))
	}
}

func TestFileName(t *testing.T) {
	m := testMessage()
	m.To = "ÄNNA+News@Exämple.ORG"
	name := FileName(m)
	if !regexp.MustCompile(`^2026-11-27-[a-z0-9-]{1,40}-[0-9a-f]{8}\.eml$`).MatchString(name) {
		t.Errorf("FileName = %q", name)
	}
	m.To = strings.Repeat("long", 50) + "@example.org"
	if n := FileName(m); len(n) > 80 {
		t.Errorf("FileName too long: %q", n)
	}
}

// TestFileName_EditionDate: a subscriber in Kiritimati (UTC+14) gets the
// edition of their local 6 December at 12:00 UTC on 5 December; the file
// is named after the edition, as the Message-ID is, not after the UTC day.
func TestFileName_EditionDate(t *testing.T) {
	m := testMessage()
	m.Date = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	m.Edition = "2026-12-06"
	m.MessageID = "digest.2026-12-06.0123456789abcdef@digest.example.com"
	if name := FileName(m); !strings.HasPrefix(name, "2026-12-06-") {
		t.Errorf("FileName = %q, want the edition date 2026-12-06", name)
	}
	m.Edition = "2026-W49"
	if name := FileName(m); !strings.HasPrefix(name, "2026-W49-") {
		t.Errorf("weekly FileName = %q", name)
	}
	// Without an edition, the UTC date of Date whatever zone it carries.
	m.Edition = ""
	m.Date = time.Date(2026, 12, 6, 1, 0, 0, 0, time.FixedZone("LINT", 14*3600))
	if name := FileName(m); !strings.HasPrefix(name, "2026-12-05-") {
		t.Errorf("FileName without edition = %q, want the UTC date", name)
	}
	m.Edition = "../../etc"
	if name := FileName(m); strings.Contains(name, "/") {
		t.Errorf("FileName took an unsafe edition key: %q", name)
	}
}
