package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun rewrites a small package with the shapes found in the vendored
// libraries (a map literal, a table built by a helper, an immediately
// called function, a sync.OnceValue, a logger set through its pointer, a
// local of the same name, uses in another file), checks the rewritten
// text, and runs the package's own test before and after: it fails unless
// every table still holds what it held when built at start-up.
func TestRun(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	for name, src := range map[string]string{"go.mod": "module example.com/p\n\ngo 1.22\n", "a.go": aGo, "b.go": bGo, "p_test.go": pTest} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gotest := func(when string) {
		t.Helper()
		cmd := exec.Command(goCmd, "test", "./...")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", when, err, out)
		}
	}
	gotest("before")
	if err := run(dir, []string{"names", "set=map[string]bool", "list=[]string", "upper", "log=*logger"}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.go"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.go"))
	for _, want := range []string{
		"names = lazyValue[map[string]int]{build: func() map[string]int {",
		"set = lazyValue[map[string]bool]{build: func() map[string]bool {\n\t\treturn toSet(\"x\", \"y\")",
		"list = lazyValue[[]string]{build: func() []string {\n\t\treturn strings.Fields(\"p q r\")\n\t}}",
		`upper = lazyValue[string]{build: func() string { return strings.ToUpper("abc") }}`,
		"var log = lazyValue[*logger]{build: func() *logger {\n\tl := logger{level: 1}",
		"names := 7\n\treturn names\n", // a local: left alone
	} {
		if !strings.Contains(string(a), want) {
			t.Errorf("a.go lacks %q:\n%s", want, a)
		}
	}
	if strings.Contains(string(a), `"sync"`) {
		t.Errorf("a.go still imports sync:\n%s", a)
	}
	for _, want := range []string{
		"*log.get() = logger{level: 2}",
		`return names.get()["b"], set.get()["y"], list.get()[2], upper.get(), shadow(), log.get().level`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("b.go lacks %q:\n%s", want, b)
		}
	}
	gotest("after")
	if err := run(dir, []string{"missing"}); err == nil {
		t.Error("no error for a name that is not declared")
	}
}

// The package TestRun rewrites: a.go declares the tables, b.go reads them.
const (
	aGo = `package p

import (
	"strings"
	"sync"
)

var (
	names = map[string]int{"a": 1, "b": 2}
	set   = toSet("x", "y")
	list  = func() []string {
		return strings.Fields("p q r")
	}()
	upper = sync.OnceValue(func() string { return strings.ToUpper("abc") })
)

type logger struct{ level int }

var log = func() *logger {
	l := logger{level: 1}
	return &l
}()

func toSet(items ...string) map[string]bool {
	m := map[string]bool{}
	for _, s := range items {
		m[s] = true
	}
	return m
}

func shadow() int {
	names := 7
	return names
}
`
	bGo = `package p

func Report() (int, bool, string, string, int, int) {
	if log.level == 1 {
		*log = logger{level: 2}
	}
	return names["b"], set["y"], list[2], upper(), shadow(), log.level
}
`
	pTest = `package p

import "testing"

func TestReport(t *testing.T) {
	b, y, r, u, s, l := Report()
	if b != 2 || !y || r != "r" || u != "ABC" || s != 7 || l != 2 {
		t.Fatal(b, y, r, u, s, l)
	}
}
`
)
