package processtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/queue/internal/pgtest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
	binDir    string
)

// TestMain removes the built binary.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds ./cmd/digest once with the test clock (-tags digesttest),
// or takes the prebuilt binary named by DIGEST_PROCESSTEST_BIN.
func binary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("DIGEST_PROCESSTEST_BIN"); bin != "" {
		return bin
	}
	root := testutil.Root(t)
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "digest-processtest-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "digest")
		cmd := exec.Command("go", "build", "-tags", "digesttest", "-o", binPath, "./cmd/digest")
		cmd.Dir = root
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build -tags digesttest ./cmd/digest: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// cluster is one database, one SMTP sink and the environment every
// process of a test shares.
type cluster struct {
	t     *testing.T
	epoch time.Time // the real instant at which the processes' clock read base

	// The simulated clock is base at epoch, running speed times real time.
	// With holdClock it is driven through epochFile: started by startClock,
	// slowed and resumed by setClock.
	base         time.Time
	speed        float64
	clockStarted bool // startClock was called (holdClock)
	opts         clusterOptions
	bin          string
	sink         *mailtest.Sink
	dsn          string
	env          []string
	dir          string
	procs        []*proc   // every serve started, for stall reports
	db           *store.DB // the first openStore's, for stall reports
}

type clusterOptions struct {
	postgres bool
	sink     mailtest.SinkOptions
	fakeNow  time.Time
	speed    float64
	// holdClock keeps every process's clock at fakeNow until startClock,
	// so that set-up on a loaded machine costs no simulated time.
	holdClock bool
	// extra environment, KEY=VALUE
	env []string
}

func newCluster(t *testing.T, opts clusterOptions) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: binary(t), dir: t.TempDir()}
	if opts.postgres {
		base := os.Getenv("DIGEST_TEST_POSTGRES_DSN")
		if base == "" {
			t.Skip("set DIGEST_TEST_POSTGRES_DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the Postgres process tests")
		}
		dsn, drop, err := pgtest.CreateDatabase(base)
		if err != nil {
			t.Fatalf("create test database: %v", err)
		}
		t.Cleanup(drop)
		c.dsn = dsn
	} else {
		c.dsn = filepath.Join(c.dir, "digest.db")
	}
	opts.sink.DiscardBodies = true
	c.sink = mailtest.StartSink(t, opts.sink)
	epoch := time.Now().UTC()
	c.epoch, c.opts, c.base, c.speed = epoch, opts, opts.fakeNow, opts.speed
	c.env = append(os.Environ(),
		"DIGEST_DB="+c.dsn,
		"DIGEST_SMTP_URL=smtp://"+c.sink.Addr+"?tls=none",
		"DIGEST_FROM=Trade Digest <digest@example.com>",
		"DIGEST_BASE_URL=https://digest.example.com",
		"DIGEST_HTTP_ADDR=127.0.0.1:0",
		"DIGEST_SECRET=processtest-secret-0123456789abcdef0123456789",
		"DIGEST_SOURCES="+filepath.Join(testutil.Root(t), "examples", "articles"),
		"DIGEST_SEND_EMPTY=true",
		"DIGEST_LOG_FORMAT=text",
		"DIGEST_LOG_LEVEL=info",
		"DIGEST_OUTBOX="+filepath.Join(c.dir, "outbox"),
		"DIGEST_PLAN_SCHEDULE=@every 1s",
		"DIGEST_GATHER_SCHEDULE=@every 1h",
		"DIGEST_QUEUE_JOB_TIMEOUT=3s",
		"DIGEST_QUEUE_RESCUE_AFTER=5s",
		"DIGEST_QUEUE_MAX_SNOOZE=1s",
		"DIGEST_QUEUE_POLL_INTERVAL=100ms",
		// Serve's goroutines, for a stall report (stallReport).
		"DIGEST_PPROF=127.0.0.1:0",
		"DIGEST_FAKE_NOW="+opts.fakeNow.UTC().Format(time.RFC3339),
		"DIGEST_FAKE_EPOCH="+epoch.Format(time.RFC3339Nano),
		fmt.Sprintf("DIGEST_FAKE_SPEED=%g", opts.speed),
	)
	if opts.holdClock {
		c.env = append(c.env, "DIGEST_FAKE_EPOCH_FILE="+c.epochFile())
	}
	c.env = append(c.env, opts.env...)
	c.run("migrate")
	return c
}

// run runs a one-shot command and fails the test when it fails.
func (c *cluster) run(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("digest %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// runWatched runs a one-shot command as run does, and while it runs
// longer than stallReport logs, once, what the cluster is waiting for.
func (c *cluster) runWatched(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	var out testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("digest %s: %v", strings.Join(args, " "), err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(stallReport):
		c.report(fmt.Sprintf("digest %s still running after %s; its output so far:\n%s",
			strings.Join(args, " "), stallReport, tail(out.String(), 30)))
		err = <-done
	}
	if err != nil {
		c.t.Fatalf("digest %s: %v\n%s", strings.Join(args, " "), err, tail(out.String(), 30))
	}
	return out.String()
}

// importSubscribers writes a CSV and imports it.
func (c *cluster) importSubscribers(n int, zones, times []string) {
	c.t.Helper()
	var b strings.Builder
	b.WriteString("email,name,timezone,send_time\n")
	for i := range n {
		fmt.Fprintf(&b, "reader%04d@example.com,Reader %d,%s,%s\n", i, i, zones[i%len(zones)], times[(i/len(zones))%len(times)])
	}
	path := filepath.Join(c.dir, "subscribers.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		c.t.Fatal(err)
	}
	c.run("subscribers", "import", path)
}

// proc is one running `digest serve`.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu  sync.Mutex
	log strings.Builder
}

var startedRE = regexp.MustCompile(`msg="?queue started"?`)

// serve starts `digest serve` and waits for its queue to start. It skips
// the test when the binary does not honour the test settings.
func (c *cluster) serve(name string, args ...string) *proc {
	c.t.Helper()
	p := &proc{name: name, done: make(chan struct{})}
	c.procs = append(c.procs, p)
	p.cmd = exec.Command(c.bin, append([]string{"serve"}, args...)...)
	p.cmd.Env = c.env
	p.cmd.Dir = c.dir
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	p.cmd.Stdout = io.Discard
	if err := p.cmd.Start(); err != nil {
		c.t.Fatalf("start digest serve: %v", err)
	}
	started := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if startedRE.MatchString(line) {
				select {
				case started <- line:
				default:
				}
			}
		}
	}()
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	c.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if c.t.Failed() {
			c.t.Logf("log of %s:\n%s", p.name, tail(p.logText(), 40))
			c.keepLog(p)
		}
	})
	select {
	case line := <-started:
		c.checkSettings(p, line)
	case <-p.done:
		c.t.Fatalf("%s exited before its queue started: %v\n%s", name, p.err, p.logText())
	case <-time.After(60 * time.Second):
		c.t.Fatalf("%s: queue did not start within 60 s\n%s", name, p.logText())
	}
	return p
}

// checkSettings fails the test when the binary ignored the test settings
// (a binary built without -tags digesttest ignores DIGEST_FAKE_NOW).
func (c *cluster) checkSettings(p *proc, line string) {
	c.t.Helper()
	field := func(key string) string {
		m := regexp.MustCompile(`\b` + key + `=("[^"]*"|\S+)`).FindStringSubmatch(line)
		if m == nil {
			return ""
		}
		return strings.Trim(m[1], `"`)
	}
	for key, want := range map[string]string{"rescue_after": "5s", "job_timeout": "3s", "max_snooze": "1s"} {
		if got := field(key); got != want {
			_ = p.cmd.Process.Kill()
			c.t.Fatalf("cmd/digest did not pass DIGEST_QUEUE_%s to queue.Config (%s=%q, want %q); see the processtest package doc",
				strings.ToUpper(key), key, got, want)
		}
	}
	for _, kv := range c.env {
		if v, ok := strings.CutPrefix(kv, "DIGEST_FAKE_NOW="); ok {
			want, _ := time.Parse(time.RFC3339, v)
			got, err := time.Parse(time.RFC3339, field("clock"))
			if err != nil || got.Sub(want) > 365*24*time.Hour || want.Sub(got) > time.Hour {
				_ = p.cmd.Process.Kill()
				c.t.Fatalf("cmd/digest did not honour DIGEST_FAKE_NOW (queue clock %q, want near %s): is it built with -tags digesttest? See the processtest package doc", field("clock"), v)
			}
		}
	}
}

// keepLog writes p's whole log to $DIGEST_ARTIFACTS/processtest when CI
// sets that directory: the 40 lines the test logs may not reach back to
// what went wrong before the failure showed.
func (c *cluster) keepLog(p *proc) {
	art := os.Getenv("DIGEST_ARTIFACTS")
	if art == "" {
		return
	}
	dir := filepath.Join(art, "processtest")
	name := fmt.Sprintf("%s-%s-%s.log", strings.ReplaceAll(c.t.Name(), "/", "_"), time.Now().UTC().Format("150405"), p.name)
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), []byte(p.logText()), 0o644)
	}
	if err != nil {
		c.t.Logf("keep log of %s: %v", p.name, err)
		return
	}
	c.t.Logf("whole log of %s in %s", p.name, filepath.Join(dir, name))
}

func (p *proc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func (p *proc) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
}

// wait waits for the process to exit.
func (p *proc) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s", p.name, timeout)
		return nil
	}
}

// openStore opens the cluster's database for checks.
func (c *cluster) openStore() *store.DB {
	c.t.Helper()
	db, err := store.Open(context.Background(), c.dsn, nil)
	if err != nil {
		c.t.Fatalf("open store: %v", err)
	}
	c.t.Cleanup(func() { _ = db.Close() })
	if c.db == nil {
		c.db = db
	}
	return db
}

// ledgerCounts counts ledger rows by status.
func ledgerCounts(t *testing.T, db *store.DB) map[digest.DeliveryStatus]int {
	t.Helper()
	rows, err := db.Deliveries(context.Background(), "", 1000000)
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	out := map[digest.DeliveryStatus]int{}
	for _, d := range rows {
		out[d.Status]++
	}
	return out
}

// logRetried logs the ledger rows claimed more than once or that
// recorded an error: the deliveries a run had to wait for.
func logRetried(t *testing.T, db *store.DB) {
	t.Helper()
	rows, err := db.Deliveries(context.Background(), "", 1000000)
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	for _, d := range rows {
		if d.Attempts > 1 || d.LastError != "" {
			t.Logf("retried: %s %s status=%s attempts=%d updated=%s sent=%s last_error=%q",
				d.Email, d.EditionDate, d.Status, d.Attempts, stamp(d.UpdatedAt), stamp(d.SentAt), d.LastError)
		}
	}
}

// logWarnings logs how many warnings and errors p has logged so far, and
// the first few: a deferral or retry that cost the run time says so there.
func logWarnings(t *testing.T, p *proc) {
	t.Helper()
	var lines []string
	for line := range strings.SplitSeq(p.logText(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			lines = append(lines, line)
		}
	}
	if len(lines) > 0 {
		t.Logf("%s logged %d warnings and errors, the last:\n%s", p.name, len(lines), strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
}

// waitProgress polls count until it reaches want. It fails when count has
// not grown for stall, or after 15 minutes in all: the processes may be
// slow on a loaded machine, but they must keep moving. After stallReport
// without progress it logs, once, what the processes are waiting for
// (cluster.report), so that a slow run that passes leaves the cause in
// the log too.
func (c *cluster) waitProgress(stall time.Duration, what string, want int, count func() int) {
	t := c.t
	t.Helper()
	start := time.Now()
	last, lastChange := -1, start
	reported := false
	for {
		n := count()
		if n >= want {
			return
		}
		if n > last {
			last, lastChange = n, time.Now()
		}
		since := time.Since(lastChange)
		if since > stall {
			c.report(fmt.Sprintf("waiting for %s: stuck at %d of %d for %s", what, n, want, since.Round(time.Second)))
			t.Fatalf("waiting for %s: stuck at %d of %d for %s", what, n, want, since.Round(time.Second))
		}
		if since > stallReport && !reported {
			reported = true
			c.report(fmt.Sprintf("waiting for %s: no progress at %d of %d for %s", what, n, want, since.Round(time.Second)))
		}
		if time.Since(start) > 15*time.Minute {
			c.report(fmt.Sprintf("waiting for %s: %d of %d after 15 minutes", what, n, want))
			t.Fatalf("waiting for %s: %d of %d after 15 minutes", what, n, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// simNow is the simulated time of the processes now.
func (c *cluster) simNow() time.Time {
	if c.opts.holdClock && !c.clockStarted {
		return c.opts.fakeNow
	}
	return c.base.Add(time.Duration(float64(time.Since(c.epoch)) * c.speed))
}

func (c *cluster) epochFile() string { return filepath.Join(c.dir, "fake-epoch") }

// startClock lets the held clocks of every process run from now on.
func (c *cluster) startClock() {
	c.t.Helper()
	c.setClock(c.opts.fakeNow, c.opts.speed)
}

// setClock makes every process's clock read base now and run at speed from
// here on (0 stands still). The processes read the file within a few
// milliseconds and never let their clock run backwards.
func (c *cluster) setClock(base time.Time, speed float64) {
	c.t.Helper()
	if !c.opts.holdClock {
		c.t.Fatal("setClock needs holdClock")
	}
	epoch := time.Now().UTC()
	line := fmt.Sprintf("%s %s %g\n", epoch.Format(time.RFC3339Nano), base.UTC().Format(time.RFC3339Nano), speed)
	tmp := c.epochFile() + ".tmp"
	if err := os.WriteFile(tmp, []byte(line), 0o600); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Rename(tmp, c.epochFile()); err != nil { // appears whole
		c.t.Fatal(err)
	}
	c.epoch, c.base, c.speed, c.clockStarted = epoch, base, speed, true
}

// slowClock makes the simulated clock run at a thirtieth of the cluster's
// speed, from a little ahead of where it stands (ahead by more than it moves
// between two reads of the file, so no process sees it go back). It does
// not stop it: a delivery lease held by a job that timed out must still run
// out for the row to be sent.
func (c *cluster) slowClock() {
	c.t.Helper()
	c.setClock(c.simNow().Add(time.Duration(float64(20*time.Millisecond)*c.opts.speed)), c.opts.speed/30)
}

// resumeClock lets a slowed clock run again at the cluster's speed.
func (c *cluster) resumeClock() {
	c.t.Helper()
	c.setClock(c.simNow(), c.opts.speed)
}
