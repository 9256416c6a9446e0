package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildOut  []byte
	buildErr  error
)

// TestMain removes the binary buildDigest built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// builtVersion is the version buildDigest stamps into the binary.
const builtVersion = "v9.8.7-test"

// buildDigest builds this command once, as a production build (no build
// tags) with main.Version stamped to builtVersion, and returns its path.
func buildDigest(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the digest binary; skipped with -short")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "digest-cmd-test-"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-buildvcs=auto", "-ldflags", "-X main.Version="+builtVersion,
			"-o", filepath.Join(binDir, "digest"), ".")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return filepath.Join(binDir, "digest")
}

// runBinary runs the built binary with args and returns its exit status,
// stdout and stderr.
func runBinary(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "DIGEST_DB="+filepath.Join(t.TempDir(), "digest.db"))
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// TestBinary_Help runs the real binary: every command and group answers
// --help on stdout with exit status 0, its synopsis, its own flags, the
// global flags and examples; mistakes exit 2 pointing to the help.
// TestCommands_Help runs the other spellings in-process.
func TestBinary_Help(t *testing.T) {
	bin := buildDigest(t)
	for _, cmd := range commands() {
		code, out, errs := runBinary(t, bin, append(strings.Fields(cmd.name), "--help")...)
		if code != 0 || errs != "" {
			t.Errorf("digest %s --help: exit %d, stderr %q; want 0 and nothing on stderr", cmd.name, code, errs)
		}
		if !strings.HasPrefix(out, "Usage: digest "+cmd.name+" ") {
			t.Errorf("digest %s --help: help does not open with the synopsis:\n%s", cmd.name, out)
		}
		if cmd.run == nil {
			for _, sub := range subcommands(cmd.name) {
				if !strings.Contains(out, sub.name+" ") {
					t.Errorf("digest %s --help: help does not list %q:\n%s", cmd.name, sub.name, out)
				}
			}
			continue
		}
		for _, want := range []string{"Global flags:\n  --config", "Examples:\n  digest " + cmd.name} {
			if !strings.Contains(out, want) {
				t.Errorf("digest %s --help: help lacks %q:\n%s", cmd.name, want, out)
			}
		}
	}

	for _, tt := range []struct {
		args []string
		code int
		out  string // on stdout for status 0, else on stderr
	}{
		{nil, 2, "Commands:\n  now "},
		{[]string{"--help"}, 0, "Commands:\n  now "},
		{[]string{"help"}, 0, "subscribers import"},
		{[]string{"help", "-h"}, 0, "subscribers import"},
		{[]string{"help", "--help"}, 0, "subscribers import"},
		{[]string{"sources"}, 2, "sources: want one of add, list, remove, check, show, set, export\nRun 'digest sources --help' for usage."},
		{[]string{"sources", "frobnicate"}, 2, `unknown action "frobnicate"`},
		{[]string{"now", "--bogus"}, 2, "now: flag provided but not defined: -bogus\nRun 'digest now --help' for usage."},
		{[]string{"runs", "show", "--articles"}, 2, "runs show: want one run ID\nRun 'digest runs show --help' for usage."},
		{[]string{"help", "nothing"}, 2, `no command "nothing"`},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	} {
		code, out, errs := runBinary(t, bin, tt.args...)
		got := errs
		if tt.code == 0 {
			got = out
		}
		if code != tt.code || !strings.Contains(got, tt.out) {
			t.Errorf("digest %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d and %q", strings.Join(tt.args, " "), code, out, errs, tt.code, tt.out)
		}
	}
}

// TestBinary_Version runs the real binary: it prints the version stamped
// with -ldflags, the revision the toolchain recorded (go version -m reads
// the same record) and the Go version.
func TestBinary_Version(t *testing.T) {
	bin := buildDigest(t)
	code, out, errs := runBinary(t, bin, "version")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if !strings.HasPrefix(out, "digest "+builtVersion+"\n") || strings.Contains(out, "test build") {
		t.Errorf("version line: %q", out)
	}
	if !strings.Contains(out, "go:        "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("no Go version in %q", out)
	}
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	rev := "unknown (built without version control information)"
	for _, line := range strings.Split(string(meta), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "build\tvcs.revision="); ok {
			rev = v
		}
	}
	if !strings.Contains(out, "revision:  "+rev) {
		t.Errorf("want revision %q in\n%s", rev, out)
	}
	if _, out2, _ := runBinary(t, bin, "--version"); out2 != out {
		t.Errorf("--version printed %q, version %q", out2, out)
	}
}

// TestCommands_Help checks the command table against the commands, in
// process: each command and group answers -h, --help and 'digest help
// NAME' alike with exit status 0, its flag set is named after its entry
// (so its help is found) and it has examples.
func TestCommands_Help(t *testing.T) {
	for _, cmd := range commands() {
		args := strings.Fields(cmd.name)
		code, want, errs := runCLI(t, nil, append(args, "--help")...)
		if code != 0 || !strings.HasPrefix(want, "Usage: digest "+cmd.name+" ") || errs != "" {
			t.Errorf("%s --help: exit %d\n%s%s", cmd.name, code, want, errs)
		}
		for _, spelling := range [][]string{append(args, "-h"), append([]string{"help"}, args...)} {
			if code, out, errs := runCLI(t, nil, spelling...); code != 0 || out != want || errs != "" {
				t.Errorf("digest %s: exit %d, stderr %q, and help\n%s\nwant exit 0 and\n%s", strings.Join(spelling, " "), code, errs, out, want)
			}
		}
		if cmd.run == nil {
			if len(subcommands(cmd.name)) == 0 {
				t.Errorf("group %q has no commands", cmd.name)
			}
			continue
		}
		if !strings.HasPrefix(want, "Usage: digest "+cmd.name+" [flags]") || cmd.examples == "" {
			t.Errorf("%s: no synopsis with flags, or no examples:\n%s", cmd.name, want)
		}
	}
}

// TestInterleave checks that a flag's need for a value is read from its
// definition: a boolean flag before a positional argument leaves it alone.
func TestInterleave(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Bool("articles", false, "")
	fs.Bool("json", false, "")
	fs.String("name", "", "")
	got := interleave(fs, []string{"12", "--articles", "13", "--name", "Ana", "-json", "--name=Bo", "--", "--x"})
	want := []string{"--articles", "--name", "Ana", "-json", "--name=Bo", "12", "13", "--x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("interleave\n got %q\nwant %q", got, want)
	}
}

// TestBinary_IgnoresFakeClock runs the production binary with the process
// tests' clock variables set: it keeps the real time (the edition's
// generated_at), since only a -tags digesttest build reads them.
func TestBinary_IgnoresFakeClock(t *testing.T) {
	bin := buildDigest(t)
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, "now", "--dry-run", "--format", "json", "--quiet", "--source", copyExamples(t))
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "DIGEST_DB="+filepath.Join(t.TempDir(), "digest.db"),
		"DIGEST_FAKE_NOW=2001-02-03T04:05:06Z", "DIGEST_FAKE_SPEED=3600")
	before := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("digest now: %v\n%s", err, errb.String())
	}
	var ed struct {
		GeneratedAt time.Time `json:"generated_at"`
	}
	if err := json.Unmarshal(out.Bytes(), &ed); err != nil {
		t.Fatalf("edition JSON: %v\n%s", err, out.String())
	}
	if ed.GeneratedAt.Before(before.Add(-time.Second)) || ed.GeneratedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("generated_at %s, want the real time (between %s and now)", ed.GeneratedAt, before)
	}
}
