package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNow_Profiles: --cpuprofile and --memprofile write gzip-compressed
// pprof files of the run, --trace an execution trace with the run's
// stages as regions; an unwritable path is a usage error before anything
// runs.
func TestNow_Profiles(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DIGEST_DB": filepath.Join(dir, "digest.db")}
	cpu, mem, trace := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof"), filepath.Join(dir, "run.trace")
	code, _, errs := runCLI(t, env, "now", "--source", copyExamples(t), "--dry-run", "--cpuprofile", cpu, "--memprofile", mem, "--trace", trace)
	if code != 0 {
		t.Fatalf("now: exit %d: %s", code, errs)
	}
	for _, p := range []string{cpu, mem} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 100 || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: %d bytes, not a gzip-compressed profile", filepath.Base(p), len(data))
		}
	}
	data, err := os.ReadFile(trace)
	if err != nil || !bytes.HasPrefix(data, []byte("go 1.")) {
		t.Errorf("run.trace: %d bytes (%v), not a Go execution trace", len(data), err)
	}
	// The stages and the cluster stage's steps are regions of the trace
	// (scripts/trace-regions.sh sums them); the trace holds each region
	// type's name once in its table of strings. Only names no function or
	// file of the binary has are looked for: the trace's stacks name
	// functions such as (*Engine).gather too.
	for _, region := range []string{"cluster: window", "cluster: features", "cluster: weigh", "cluster: links", "cluster: join", "cluster: leads", "cluster: rank", "cluster: account", "summarise"} {
		if !bytes.Contains(data, []byte(region)) {
			t.Errorf("run.trace has no region %q", region)
		}
	}
	for _, flag := range []string{"--cpuprofile", "--trace"} {
		code, _, errs = runCLI(t, env, "now", "--source", copyExamples(t), "--dry-run", flag, filepath.Join(dir, "missing", "out"))
		if code != 2 || !strings.Contains(errs, flag) {
			t.Errorf("unwritable %s: exit %d, %q", flag, code, errs)
		}
	}
}

// TestPprofServer: DIGEST_PPROF serves the runtime profiles on its own
// address, and nothing else.
func TestPprofServer(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.ApplyEnv(envOf(map[string]string{"DIGEST_PPROF": "127.0.0.1:0"})); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, ln, err := pprofServer(cfg.HTTP.PprofAddr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	})
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Errorf("heap: %d %.80q", code, body)
	}
	if code, body := get("/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("index: %d %.80q", code, body)
	}
	if code, _ := get("/metrics"); code != 404 {
		t.Errorf("/metrics on the profile address: %d, want 404", code)
	}
	if s, l, err := pprofServer(""); s != nil || l != nil || err != nil {
		t.Error("an empty DIGEST_PPROF started a server")
	}
	bad := DefaultConfig()
	if err := bad.ApplyEnv(envOf(map[string]string{"DIGEST_PPROF": "6060"})); err != nil {
		t.Fatal(err)
	}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "DIGEST_PPROF") {
		t.Errorf("DIGEST_PPROF=6060: %v, want an error naming it", err)
	}
}
