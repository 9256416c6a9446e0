package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Budgets for what the package initialisers of the production binary may
// allocate before main (issue 17: `digest version`, the container's
// `digest healthcheck` at every interval and `digest subscribers add`
// parse no date and must start small). Heap is only part of a start-up's
// RSS (the rest is the pages of the binary the initialisers run, see
// scripts/bench-startup.sh), but it is the part that grew back each time
// a table was built eagerly: go-dateparser's locale data (78 MB before
// main), gomoji's emoji map (1 MB), go-domdistiller's range tables
// (1.7 MB), whatlanggo's profiles (0.35 MB), our own regular expressions,
// the package-level regular expressions of go-trafilatura, go-htmldate,
// go-readability, go-domdistiller, go-dateparser and procfs (1 MB).
const (
	// initBudget bounds the sum over all packages (2.1 MB when written,
	// 1.1 MB since the libraries' regular expressions are lazy), below
	// the collector's first goal (4 MB), so no collection runs before
	// main either.
	initBudget = 2 << 20
	// lazyInitBudget bounds each package of the modules whose tables were
	// made lazy (ours, and the ones in third_party): the largest was
	// summarize's word sets, 104 KB when written.
	lazyInitBudget = 192 << 10
)

// TestStartup_InitAllocations runs the production binary's `digest version`
// with GODEBUG=inittrace=1 and checks what its package initialisers
// allocated against the budgets above. It measures bytes the runtime
// counts, not time, so load does not make it flaky.
func TestStartup_InitAllocations(t *testing.T) {
	bin := buildDigest(t)
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1") // the last GODEBUG wins
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("digest version: %v\n%s", err, stderr.Bytes())
	}
	inits, err := parseInitTrace(&stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(inits) < 50 {
		t.Fatalf("inittrace listed %d packages; GODEBUG=inittrace=1 not honoured?", len(inits))
	}
	var total int64
	for _, in := range inits {
		total += in.bytes
		if in.bytes > lazyInitBudget && inLazyModule(in.pkg) {
			t.Errorf("%s allocates %d bytes before main, over %d: build its tables on first use (internal/lazy, internal/lazyre, scripts/lazyvars)",
				in.pkg, in.bytes, lazyInitBudget)
		}
		if _, ok := initialisersKept[in.pkg]; !ok && inLazyModule(in.pkg) {
			t.Errorf("%s has a package initialiser (%d bytes): declare its tables as static data, internal/lazy.Value, "+
				"internal/lazyre.New with a constant pattern or scripts/lazyvars, so that `digest version` does not page in its code",
				in.pkg, in.bytes)
		}
	}
	slices.SortFunc(inits, func(a, b initTrace) int { return int(b.bytes - a.bytes) })
	var top []string
	for _, in := range inits[:min(8, len(inits))] {
		top = append(top, fmt.Sprintf("%s %d B in %d allocs", in.pkg, in.bytes, in.allocs))
	}
	t.Logf("%d package initialisers allocate %d bytes before main; the largest: %s", len(inits), total, strings.Join(top, ", "))
	if total > initBudget {
		t.Errorf("package initialisers allocate %d bytes before main, over %d; the largest: %s",
			total, initBudget, strings.Join(top, ", "))
	}
}

// initialisersKept are the packages of the lazy modules (inLazyModule)
// still run by a package initialiser, and why. Every other one was made
// static: an initialiser, even one that allocates nothing, is code (and
// often data) the kernel maps in 64 KB around each first touch, so each
// cost `digest version` ~64 KB of RSS; with 40 of them gone it fell from
// 20.8 to 19.1 MB (issue 17).
var initialisersKept = map[string]string{
	"github.com/tradedigest/tradedigest/digest/store":                "ErrNotSending is digest.ErrNotSending, a variable of another package",
	"github.com/RadhiFadlillah/whatlanggo":                           "its go.mod says go 1.12: no generics for scripts/lazyvars",
	"github.com/markusmobius/go-dateparser/internal/data":            "LanguageOrder and LocaleOrder are exported maps other packages read",
	"github.com/markusmobius/go-dateparser/internal/timezone":        "loadOffsets is a sync.OnceValues (scripts/vendor-dateparser.sh)",
	"github.com/markusmobius/go-dateparser/internal/parser/relative": "its patterns are concatenated with a variable",
}

// inLazyModule reports whether pkg belongs to a module whose package
// initialisers were made cheap: this one (internal/lazyre) and the patched
// copies in third_party (scripts/vendor-dateparser.sh,
// scripts/vendor-lazy-init.sh).
func inLazyModule(pkg string) bool {
	for _, m := range []string{
		"github.com/tradedigest/tradedigest",
		"github.com/markusmobius/go-dateparser",
		"github.com/markusmobius/go-domdistiller",
		"github.com/forPelevin/gomoji",
		"github.com/RadhiFadlillah/whatlanggo",
		"github.com/markusmobius/go-trafilatura",
		"github.com/markusmobius/go-htmldate",
		"github.com/go-shiori/go-readability",
		"github.com/prometheus/procfs",
	} {
		if pkg == m || strings.HasPrefix(pkg, m+"/") {
			return true
		}
	}
	return false
}

// initTrace is one line of GODEBUG=inittrace=1 output.
type initTrace struct {
	pkg    string
	bytes  int64
	allocs int64
}

// parseInitTrace reads the trace lines of r, ignoring other output.
func parseInitTrace(r io.Reader) ([]initTrace, error) {
	// The runtime's line, e.g.
	// "init net/http @4.2 ms, 0.11 ms clock, 18256 bytes, 180 allocs".
	initLine := regexp.MustCompile(`^init (\S+) @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`)
	var out []initTrace
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		b, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("inittrace %q: %w", sc.Text(), err)
		}
		a, err := strconv.ParseInt(m[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("inittrace %q: %w", sc.Text(), err)
		}
		out = append(out, initTrace{pkg: m[1], bytes: b, allocs: a})
	}
	return out, sc.Err()
}
