package testutil

import (
	"bufio"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// Golden holds a test's pinned outputs by name: a golden file of "name
// value" lines in name order, after any comment lines ("# ...") that say
// what the values are. Tests pin hashes of long outputs this way, so that
// a change made for speed is seen to leave every output as it was.
type Golden struct {
	Path     string
	Values   map[string]string // by name
	Comments []string          // the comment lines, without "# "
}

// ReadGolden reads the golden file at path.
func ReadGolden(tb testing.TB, path string) Golden {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	g := Golden{Path: path, Values: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if c, ok := strings.CutPrefix(line, "# "); ok {
			g.Comments = append(g.Comments, c)
		} else if name, value, ok := strings.Cut(line, " "); ok {
			g.Values[name] = value
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return g
}

// WriteGolden writes got to the golden file at path, after the comment
// lines given.
func WriteGolden(tb testing.TB, path string, got map[string]string, comments ...string) {
	tb.Helper()
	var b strings.Builder
	for _, c := range comments {
		b.WriteString("# " + c + "\n")
	}
	for _, n := range slices.Sorted(maps.Keys(got)) {
		b.WriteString(n + " " + got[n] + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("wrote %d values to %s", len(got), path)
}

// Compare reports each name of got that the file lacks or holds another
// value for, and each name of the file that got lacks unless optional
// (may be nil) says it may be missing.
func (g Golden) Compare(tb testing.TB, got map[string]string, optional func(name string) bool) {
	tb.Helper()
	for _, n := range slices.Sorted(maps.Keys(got)) {
		switch w, ok := g.Values[n]; {
		case !ok:
			tb.Errorf("%s: not in %s", n, g.Path)
		case w != got[n]:
			tb.Errorf("%s: %s, want %s (%s)", n, got[n], w, g.Path)
		}
	}
	for n := range g.Values {
		if _, ok := got[n]; !ok && (optional == nil || !optional(n)) {
			tb.Errorf("%s: in %s but not checked", n, g.Path)
		}
	}
}
