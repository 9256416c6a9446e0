package faults

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

// binPath is the digest binary built once by TestMain; buildErr says why
// it is missing.
var (
	binPath  string
	buildErr error
	modRoot  string
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "digest-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	modRoot, buildErr = testutil.ModuleRoot()
	if buildErr == nil && testing.Short() {
		buildErr = fmt.Errorf("-short: the end-to-end scenarios build and run the binary")
	}
	if buildErr == nil {
		binPath = filepath.Join(dir, "digest")
		buildErr = buildDigest(modRoot, binPath)
	}
	code := m.Run()
	printTable(os.Stdout)
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildDigest(root, out string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build digest: go not on PATH: %w", err)
	}
	cmd := exec.Command(goBin, "build", "-o", out, "./cmd/digest")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build digest: %v\n%s", err, b)
	}
	return nil
}

// needBinary skips the test under -short and fails it when cmd/digest did
// not build.
func needBinary(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the end-to-end scenarios build and run the binary")
	}
	if buildErr != nil {
		t.Fatalf("the digest binary is not available: %v", buildErr)
	}
}

// figure is one row of the table printed at the end of the suite.
type figure struct {
	Scenario  string
	Time      time.Duration
	PeakMB    float64
	Memory    string // "rss" (child process peak RSS) or "heap" (in-process peak)
	Delivered int
	Failed    int // recorded as failed (permanent) or deferred with a reason
	Dups      int // extra copies of a Message-ID at the sink
	InFlight  int // rows in flight when a process was killed
	Note      string
}

var (
	figMu   sync.Mutex
	figures []figure
)

func record(f figure) {
	figMu.Lock()
	defer figMu.Unlock()
	figures = append(figures, f)
}

// printTable prints the figures with -v, and writes them to
// $DIGEST_ARTIFACTS/faults.txt when CI sets that directory.
func printTable(w *os.File) {
	figMu.Lock()
	defer figMu.Unlock()
	art := os.Getenv("DIGEST_ARTIFACTS")
	if len(figures) == 0 || (!testingVerbose() && art == "") {
		return
	}
	sort.Slice(figures, func(i, j int) bool { return figures[i].Scenario < figures[j].Scenario })
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\ttime\tpeak memory\tdelivered\tfailed\tduplicated\tin flight\tnote")
	for _, f := range figures {
		fmt.Fprintf(tw, "%s\t%s\t%.0f MB %s\t%d\t%d\t%d\t%d\t%s\n", f.Scenario, f.Time.Round(10*time.Millisecond),
			f.PeakMB, f.Memory, f.Delivered, f.Failed, f.Dups, f.InFlight, f.Note)
	}
	tw.Flush()
	if testingVerbose() {
		fmt.Fprintf(w, "\nfault-injection figures:\n%s", buf.String())
	}
	if art != "" {
		if err := os.WriteFile(filepath.Join(art, "faults.txt"), buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "write fault figures: %v\n", err)
		}
	}
}

func testingVerbose() bool {
	for _, a := range os.Args {
		if a == "-test.v=true" || a == "-test.v" {
			return true
		}
	}
	return false
}

// result is one finished run of the binary.
type result struct {
	Stdout, Stderr string
	Code           int
	Took           time.Duration
	PeakRSSMB      float64
}

// runLimit bounds any single run of the binary; no scenario comes near it.
const runLimit = 60 * time.Second

// runDigest runs the binary with exactly env (nothing inherited, so no
// stray OPENAI_API_KEY or DIGEST_* of the developer leaks in) and measures
// wall time and the child's peak RSS.
func runDigest(t testing.TB, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{Stdout: out.String(), Stderr: errb.String(), Took: time.Since(start)}
	if cmd.ProcessState != nil {
		r.Code = cmd.ProcessState.ExitCode()
		r.PeakRSSMB = rssMB(cmd.ProcessState)
	}
	if ctx.Err() != nil {
		t.Fatalf("digest %s did not finish within %s\nstderr:\n%s", strings.Join(args, " "), runLimit, tail(r.Stderr))
	}
	if err != nil && r.Code <= 0 {
		t.Fatalf("run digest: %v", err)
	}
	return r
}

func rssMB(ps *os.ProcessState) float64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	return 0
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// world is one scenario's private everything: a store file, a config file,
// a feed server reachable as localhost (the only host the fetcher allows).
type world struct {
	t       testing.TB
	dir     string
	dbPath  string
	cfgPath string
	mux     *http.ServeMux
	srv     *httptest.Server
	base    string // http://localhost:port
	subs    []string
	extra   map[string]string // extra YAML top-level blocks, by key
	env     map[string]string
}

// newWorld starts the feed server with the healthy feed at /healthy.xml and
// creates a migrated store holding one active subscriber per address.
func newWorld(t testing.TB, subscribers ...string) *world {
	t.Helper()
	return newWorldAt(t, "", subscribers...)
}

// newWorldAt is newWorld with the store at dsn (a SQLite path or a
// postgres:// URL); "" is a SQLite file in the world's directory.
func newWorldAt(t testing.TB, dsn string, subscribers ...string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), mux: http.NewServeMux(), env: map[string]string{}, extra: map[string]string{}}
	w.dbPath = dsn
	if dsn == "" {
		w.dbPath = filepath.Join(w.dir, "digest.db")
	}
	w.srv = httptest.NewServer(w.mux)
	t.Cleanup(w.srv.Close)
	w.base = strings.Replace(w.srv.URL, "127.0.0.1", "localhost", 1)
	feed := healthyFeed(t, w.base, time.Now())
	w.mux.HandleFunc("/healthy.xml", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		rw.Write(feed)
	})
	ctx := context.Background()
	db, err := store.Open(ctx, w.dbPath, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	for _, s := range subscribers {
		if _, err := db.AddSubscriber(ctx, digest.Subscriber{Email: s, Name: "Reader", TimeZone: "UTC",
			SendTime: "07:00", Status: digest.StatusActive}); err != nil {
			t.Fatalf("add subscriber %s: %v", s, err)
		}
	}
	w.subs = subscribers
	return w
}

// config writes the YAML config: short timeouts so that every fault ends
// quickly, and only localhost let through the address guard.
func (w *world) config(smtpURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "db: %q\noutbox: %s\nfrom: \"Trade Digest <digest@faults.test>\"\n", w.dbPath, filepath.Join(w.dir, "outbox"))
	fmt.Fprintf(&b, "smtp:\n  url: %q\n  pool: 4\n  timeout: 3s\n", smtpURL)
	fmt.Fprintf(&b, "gather:\n  timeout: 3s\n  allow_hosts: [\"localhost:*\"]\n")
	for _, v := range w.extra {
		b.WriteString(v)
	}
	w.cfgPath = filepath.Join(w.dir, "digest.yaml")
	if err := os.WriteFile(w.cfgPath, []byte(b.String()), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return w.cfgPath
}

// environ is the child's whole environment.
func (w *world) environ() []string {
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + w.dir, "TZ=UTC"}
	for k, v := range w.env {
		env = append(env, k+"="+v)
	}
	return env
}

// now runs `digest now` with the world's config and extra args.
func (w *world) now(smtpURL string, args ...string) result {
	w.t.Helper()
	cfg := w.config(smtpURL)
	return runDigest(w.t, w.environ(), append([]string{"now", "--config", cfg}, args...)...)
}

// open opens the world's store for checks; closed at the end of the test.
func (w *world) open() *store.DB {
	w.t.Helper()
	db, err := store.Open(context.Background(), w.dbPath, slog.New(slog.DiscardHandler))
	if err != nil {
		w.t.Fatalf("open store: %v", err)
	}
	w.t.Cleanup(func() { db.Close() })
	return db
}

// doctor asserts that the store's invariants hold at now.
func doctor(t testing.TB, db *store.DB, now time.Time) {
	t.Helper()
	problems, err := db.Check(context.Background(), now)
	if err != nil {
		t.Fatalf("doctor: %v", err)
	}
	for _, p := range problems {
		t.Errorf("doctor: %s: %s", p.Check, p.Detail)
	}
}

// ledger returns the ledger rows by email.
func ledger(t testing.TB, db *store.DB) map[string]digest.Delivery {
	t.Helper()
	rows, err := db.Deliveries(context.Background(), "", 1000)
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	out := map[string]digest.Delivery{}
	for _, d := range rows {
		out[d.Email] = d
	}
	return out
}

// lastRun returns the report of the newest run.
func lastRun(t testing.TB, db *store.DB) digest.Report {
	t.Helper()
	runs, err := db.Runs(context.Background(), 1)
	if err != nil || len(runs) == 0 {
		t.Fatalf("read last run: %v (%d runs)", err, len(runs))
	}
	return runs[0].Report
}

var pubDateRe = regexp.MustCompile(`<pubDate>[^<]*</pubDate>`)

// healthyFeed is examples/feed.xml with its items made recent and its links
// pointed at the loopback server, so that no page fetch can leave the
// machine.
func healthyFeed(t testing.TB, base string, now time.Time) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(modRoot, "examples", "feed.xml"))
	if err != nil {
		t.Fatalf("read example feed: %v", err)
	}
	i := 0
	out := pubDateRe.ReplaceAllFunc(raw, func([]byte) []byte {
		i++
		return []byte("<pubDate>" + now.Add(-time.Duration(i)*time.Hour).UTC().Format(time.RFC1123Z) + "</pubDate>")
	})
	out = bytes.ReplaceAll(out, []byte("https://tradewire.example.com"), []byte(base+"/tradewire"))
	return out
}
