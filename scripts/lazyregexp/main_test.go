package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRewriteDir rewrites a small package with the shapes found in the
// vendored libraries (a var block, a helper returning *regexp.Regexp, a
// typed spec, a use as an argument and in a package-level literal, a
// local of the same name, an expression built inside a function), checks
// the rewritten text, and runs the rewritten package's own test, which
// fails unless every expression still matches what it matched before.
func TestRewriteDir(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/p\n\ngo 1.22\n")
	write("a.go", `package p

import (
	"fmt"
	"regexp"
)

var (
	rxDigits = regexp.MustCompile(`+"`\\d+`"+`)
	rxYear   = compileF(`+"`^(%s)\\d\\d$`"+`, "19|20")
	plain    = "not a regexp"
)

var rxTyped *regexp.Regexp = regexp.MustCompile(`+"`^a+$`"+`)

var table = []struct{ re *regexp.Regexp }{{rxDigits}}

func compileF(pattern string, args ...any) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(pattern, args...))
}

func first(re *regexp.Regexp, s string) string { return re.FindString(s) }

func inside() bool {
	rxDigits := regexp.MustCompile("x")
	return rxDigits.MatchString("x")
}
`)
	write("b.go", `package p

func Uses(s string) (string, bool, bool, string) {
	return first(rxDigits, s), rxYear.MatchString(s), rxTyped.MatchString(s), table[0].re.String()
}
`)
	write("p_test.go", `package p

import "testing"

func TestUses(t *testing.T) {
	d, year, a, s := Uses("1999")
	if d != "1999" || !year || a || s != `+"`\\d+`"+` || !inside() {
		t.Fatal(d, year, a, s)
	}
	if _, year, _, _ := Uses("1899"); year {
		t.Fatal("1899 matched")
	}
	if _, _, a, _ := Uses("aaa"); !a {
		t.Fatal("aaa did not match")
	}
}
`)
	if err := rewriteDir(dir); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.go"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.go"))
	for _, want := range []string{
		"rxDigits = &lazyRegexp{compile: func() *regexp.Regexp { return regexp.MustCompile(`\\d+`) }}",
		"rxYear   = &lazyRegexp{compile: func() *regexp.Regexp { return compileF(`^(%s)\\d\\d$`, \"19|20\") }}",
		"var rxTyped *lazyRegexp = &lazyRegexp{",
		"{{rxDigits.get()}}",
		`rxDigits := regexp.MustCompile("x")`, // inside a function: left alone
		`return rxDigits.MatchString("x")`,
	} {
		if !strings.Contains(string(a), want) {
			t.Errorf("a.go lacks %q:\n%s", want, a)
		}
	}
	if want := "first(rxDigits.get(), s), rxYear.MatchString(s)"; !strings.Contains(string(b), want) {
		t.Errorf("b.go lacks %q:\n%s", want, b)
	}
	if _, err := os.Stat(filepath.Join(dir, "lazyregexp.go")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "test", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rewritten package: %v\n%s", err, out)
	}
}
