package mailtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// A sink process is a LeanSink in a child process, so that a
// benchmark's own CPU time (getrusage of the benchmark process) leaves out
// the work of reading the messages back, and the sink's CPU is reported
// apart. The child is the test binary itself, re-executed with
// SinkProcessEnv set (see ServeSinkProcessIfAsked, called from TestMain),
// or any program that calls ServeSinkProcess (internal/cmd/smtpsink).
//
// The protocol is line-based on the child's stdin and stdout: the child
// writes "addr HOST:PORT" once listening, answers each "stats" line with a
// JSON SinkStats line, and at the end of its stdin closes the sink, writes
// the final stats and exits.

// SinkProcessEnv is the environment variable that turns a test binary into
// a sink process.
const SinkProcessEnv = "DIGEST_MAILTEST_SINK_PROCESS"

// SinkStats is what a sink process reports.
type SinkStats struct {
	Total    int   `json:"total"`    // messages received
	Distinct int   `json:"distinct"` // distinct Message-IDs
	Bytes    int64 `json:"bytes"`    // total message size
	// CPUNanos is the sink process's user+system CPU time so far.
	CPUNanos int64 `json:"cpu_ns"`
}

// CPU returns CPUNanos as a duration.
func (s SinkStats) CPU() time.Duration { return time.Duration(s.CPUNanos) }

// ServeSinkProcessIfAsked serves as a sink process and exits when
// SinkProcessEnv is set; otherwise it returns at once. Call it first in
// TestMain of a package whose benchmarks use StartSinkProcess.
func ServeSinkProcessIfAsked() {
	if os.Getenv(SinkProcessEnv) == "" {
		return
	}
	if err := ServeSinkProcess(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sink process:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// ServeSinkProcess runs a LeanSink on loopback and speaks the sink process
// protocol on in and out until in ends. It is the lean sink, not Sink,
// because go-smtp's byte-at-a-time DATA reader made the sink process cost
// about as much CPU per message as the engine it measures (364 µs against
// ~420 µs per 45.6 KB message), CPU that competed with the engine and the
// store on a 2-core machine, where a real relay runs elsewhere.
func ServeSinkProcess(in io.Reader, out io.Writer) error {
	s, err := NewLeanSink()
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	if _, err := fmt.Fprintf(out, "addr %s\n", s.Addr); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch cmd := strings.TrimSpace(sc.Text()); cmd {
		case "stats":
			if err := enc.Encode(s.stats()); err != nil {
				return err
			}
		case "":
		default:
			return fmt.Errorf("unknown command %q", cmd)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	_ = s.Close()
	return enc.Encode(s.stats())
}

// SinkProcess is the parent's handle on a sink process.
type SinkProcess struct {
	// Addr is host:port of the child's listener.
	Addr string

	mu   sync.Mutex
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	done bool
}

// StartSinkProcess re-executes the running test binary as a sink process
// and stops it when tb ends. The test binary's TestMain must call
// ServeSinkProcessIfAsked.
func StartSinkProcess(tb testing.TB) *SinkProcess {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatalf("start sink process: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), SinkProcessEnv+"=1")
	p, err := NewSinkProcess(cmd)
	if err != nil {
		tb.Fatalf("start sink process: %v", err)
	}
	tb.Cleanup(func() { _, _ = p.Close() })
	return p
}

// NewSinkProcess starts cmd, which must speak the sink process protocol,
// and waits for its address; the caller must Close it.
func NewSinkProcess(cmd *exec.Cmd) (*SinkProcess, error) {
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &SinkProcess{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	line, err := p.out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "addr ")
	if err != nil || !ok {
		_ = in.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("sink process did not say its address (got %q): %v", line, err)
	}
	p.Addr = addr
	return p, nil
}

// Stats asks the sink process for its counts and CPU time so far.
func (p *SinkProcess) Stats() (SinkStats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return SinkStats{}, errors.New("sink process: closed")
	}
	if _, err := io.WriteString(p.in, "stats\n"); err != nil {
		return SinkStats{}, fmt.Errorf("sink process: %w", err)
	}
	return p.readStats()
}

func (p *SinkProcess) readStats() (SinkStats, error) {
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return SinkStats{}, fmt.Errorf("sink process: read stats: %w", err)
	}
	var st SinkStats
	if err := json.Unmarshal(line, &st); err != nil {
		return SinkStats{}, fmt.Errorf("sink process: stats %q: %w", line, err)
	}
	return st, nil
}

// Close ends the sink process and returns its final stats; the CPU time is
// then the child's whole rusage as the kernel counted it at exit.
func (p *SinkProcess) Close() (SinkStats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return SinkStats{}, errors.New("sink process: closed")
	}
	p.done = true
	_ = p.in.Close()
	st, err := p.readStats()
	if werr := p.cmd.Wait(); werr != nil && err == nil {
		err = fmt.Errorf("sink process: %w", werr)
	}
	if ps := p.cmd.ProcessState; ps != nil {
		st.CPUNanos = int64(ps.UserTime() + ps.SystemTime())
	}
	return st, err
}
