// Command digest gathers trade news, summarises it and emails a daily digest.
//
// See README.md for the commands; `digest help` prints them.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/tradedigest/tradedigest/internal/redact"
)

// Version, when stamped at build time with -ldflags "-X main.Version=...",
// is the version 'digest version' prints; otherwise it prints the module
// version the Go toolchain recorded.
var Version string

func main() {
	c := &cli{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		env: os.LookupEnv, now: processClock(os.LookupEnv),
	}
	c.tty = isatty.IsTerminal(os.Stderr.Fd())
	sig := newSignals(c.stderr, os.Exit)
	ctx, stop := sig.context(context.Background())
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(sig.exitCode(code))
}

// signals turns SIGINT and SIGTERM into a cancelled context: the first
// stops the command gracefully, a second exits at once, so a stuck
// shutdown can always be cut short.
type signals struct {
	stderr io.Writer
	exit   func(int)
	mu     sync.Mutex
	first  os.Signal // the signal that cancelled the context, if any
}

func newSignals(stderr io.Writer, exit func(int)) *signals {
	return &signals{stderr: stderr, exit: exit}
}

// context returns a context cancelled by the first signal, and a stop
// function that ends the watch.
func (s *signals) context(parent context.Context) (context.Context, func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	ctx, stop := s.watch(parent, ch)
	return ctx, func() { signal.Stop(ch); stop() }
}

// watch is context with the signal channel given (tests send to it).
func (s *signals) watch(parent context.Context, ch <-chan os.Signal) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var sig os.Signal
		select {
		case sig = <-ch:
		case <-stopped:
			return
		}
		s.mu.Lock()
		s.first = sig
		s.mu.Unlock()
		fmt.Fprintf(s.stderr, "%s: stopping (send it again to exit at once)\n", signalName(sig))
		cancel()
		// The context is done now, so only the second signal or stop can
		// end this wait (waiting on ctx.Done here would return at once).
		select {
		case sig = <-ch:
			fmt.Fprintf(s.stderr, "second %s: exiting now\n", signalName(sig))
			s.exit(signalExitCode(sig))
		case <-stopped:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() { close(stopped) })
		<-done
		cancel()
	}
}

// exitCode is the status to exit with when the command returned code: an
// interrupt makes it 130 (128 + SIGINT), as shells expect; a SIGTERM that
// ended the command cleanly (digest serve's normal stop) keeps 0.
func (s *signals) exitCode(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.first == nil:
		return code
	case s.first == os.Interrupt:
		return signalExitCode(s.first)
	case code != 0:
		return signalExitCode(s.first)
	}
	return code
}

func signalExitCode(sig os.Signal) int {
	if n, ok := sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 130
}

func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "interrupt"
	}
	return sig.String()
}

// cli carries the process's streams and environment, so commands can run
// in-process in tests.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            envLookup
	now            func() time.Time
	tty            bool // stderr is a terminal: progress bars allowed
}

// usageError is a command-line mistake: exit status 2. cmd names the
// command whose help the message points to ("" for the list of commands).
type usageError struct{ cmd, msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		printUsage(c.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help":
		printUsage(c.stdout)
		return 0
	case "help":
		// 'digest help -h' asks for help about help: the usage, as
		// 'digest help' gives it (every command and group takes -h).
		if len(args) == 1 || (len(args) == 2 && isHelp(args[1])) {
			printUsage(c.stdout)
			return 0
		}
		// 'digest help sources add' is 'digest sources add --help'.
		if _, rest, ok := lookupCommand(args[1:]); !ok || len(rest) > 0 {
			fmt.Fprintf(c.stderr, "digest: no command %q\n\n", strings.Join(args[1:], " "))
			printUsage(c.stderr)
			return 2
		}
		args = append(args[1:], "--help")
	case "--version":
		args = []string{"version"}
	}
	cmd, rest, ok := lookupCommand(args)
	if !ok {
		fmt.Fprintf(c.stderr, "digest: unknown command %q\n\n", args[0])
		printUsage(c.stderr)
		return 2
	}
	if cmd.run == nil {
		return c.exitCode(c.runGroup(ctx, cmd, rest))
	}
	err := cmd.run(c, ctx, rest)
	// A usage mistake points to the help of the command it was made in.
	if ue := (*usageError)(nil); errors.As(err, &ue) && ue.cmd == "" {
		ue.cmd = cmd.name
	}
	return c.exitCode(err)
}

// exitCode prints err for a person and maps it to 0, 1 or 2. A request for
// help prints the command's help to stdout and is not an error.
func (c *cli) exitCode(err error) int {
	if err == nil {
		return 0
	}
	var help *helpRequest
	var ue *usageError
	var ce *configError
	switch {
	case errors.As(err, &help):
		if cmd, _, ok := lookupCommand(strings.Fields(strings.TrimPrefix(help.fs.Name(), "digest "))); ok {
			c.printHelp(c.stdout, cmd, help.fs)
		}
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		hint := "Run 'digest help' for usage."
		if ue.cmd != "" {
			hint = fmt.Sprintf("Run 'digest %s --help' for usage.", ue.cmd)
		}
		fmt.Fprintf(c.stderr, "digest: %s\n%s\n", redact.Text(err.Error()), hint)
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(c.stderr, "digest: configuration: %s\n", redact.Text(err.Error()))
		if ce.hint != "" {
			fmt.Fprintf(c.stderr, "hint: %s\n", ce.hint)
		}
		return 2
	default:
		fmt.Fprintf(c.stderr, "digest: %s\n", redact.Text(err.Error()))
		return 1
	}
}

// common holds the flags every command takes.
type common struct {
	config    string
	logLevel  string
	logFormat string
	quiet     bool
}

// newFlags returns a flag set with the common flags registered.
func (c *cli) newFlags(name string) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet("digest "+name, flag.ContinueOnError)
	// parse reports errors and help requests itself: help goes to stdout,
	// mistakes to stderr with a pointer to the help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	co := &common{}
	fs.StringVar(&co.config, "config", "", "YAML config file (default $DIGEST_CONFIG)")
	fs.StringVar(&co.logLevel, "log-level", "", "debug, info, warn or error")
	fs.StringVar(&co.logFormat, "log-format", "", "text or json")
	fs.BoolVar(&co.quiet, "quiet", false, "no progress and only warnings in the log")
	return fs, co
}

// parse parses flags, turning -h into a help request (exit 0) and flag
// errors into usage errors (exit 2).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &helpRequest{fs: fs}
		}
		name := strings.TrimPrefix(fs.Name(), "digest ")
		return &usageError{cmd: name, msg: fmt.Sprintf("%s: %v", name, err)}
	}
	return nil
}

// loadConfig builds the configuration: defaults, file, environment, flags.
func (c *cli) loadConfig(co *common) (Config, error) {
	cfg := DefaultConfig()
	path := co.config
	if path == "" {
		path, _ = c.env("DIGEST_CONFIG")
	}
	if path != "" {
		if err := cfg.LoadFile(path); err != nil {
			return cfg, err
		}
	}
	if err := cfg.ApplyEnv(c.env); err != nil {
		return cfg, err
	}
	if co.logLevel != "" {
		cfg.Log.Level = co.logLevel
	}
	if co.logFormat != "" {
		cfg.Log.Format = co.logFormat
	}
	if co.quiet && (cfg.Log.Level == "info" || cfg.Log.Level == "debug") {
		cfg.Log.Level = "warn"
	}
	return cfg, nil
}

// logger builds the process logger: text on a terminal, JSON on request.
func (c *cli) logger(cfg Config) *slog.Logger {
	lvl, _ := parseLevel(cfg.Log.Level)
	opts := &slog.HandlerOptions{Level: lvl}
	// Source and database URLs reach log lines by many paths (attributes,
	// wrapped library errors); one wrapper hides their credentials.
	if strings.EqualFold(cfg.Log.Format, "json") {
		return slog.New(redact.Handler(slog.NewJSONHandler(c.stderr, opts)))
	}
	return slog.New(redact.Handler(slog.NewTextHandler(c.stderr, opts)))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(strings.TrimSpace(s)))
	return l, err
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

func (c *cli) cmdVersion(ctx context.Context, args []string) error {
	fs, _ := c.newFlags("version")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{cmd: "version", msg: fmt.Sprintf("version: unexpected argument %q", fs.Arg(0))}
	}
	v := readVersion()
	fmt.Fprintf(c.stdout, "digest %s\n", v.Version)
	rev := cmp.Or(v.Revision, "unknown (built without version control information)")
	if v.Modified {
		rev += " (with uncommitted changes)"
	}
	fmt.Fprintf(c.stdout, "revision:  %s\n", rev)
	if v.Time != "" {
		fmt.Fprintf(c.stdout, "committed: %s\n", v.Time)
	}
	fmt.Fprintf(c.stdout, "go:        %s %s\n", v.Go, v.Platform)
	if testBuild {
		fmt.Fprintln(c.stdout, "test build: the clock follows DIGEST_FAKE_NOW (built with -tags digesttest)")
	}
	return nil
}

// versionInfo describes this binary from what the Go toolchain recorded
// when it was built.
type versionInfo struct {
	Version  string // Version if stamped, else the module version, else "(devel)"
	Revision string // VCS revision, "" when the build had none
	Time     string // time of that revision (RFC 3339)
	Modified bool   // the working tree had uncommitted changes
	Go       string // Go version
	Platform string // GOOS/GOARCH
}

func readVersion() versionInfo {
	v := versionInfo{Version: Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	v.Version = cmp.Or(v.Version, "(devel)")
	return v
}
