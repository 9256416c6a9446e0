package faults

import (
	"bytes"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// TestSignals_SecondInterruptExitsAtOnce blocks `digest now` in a send the
// relay never answers, interrupts it (the run stops gathering new work and
// waits for the send), then interrupts it again: it must exit at once with
// 130 instead of waiting for the relay.
func TestSignals_SecondInterruptExitsAtOnce(t *testing.T) {
	needBinary(t)
	w := newWorld(t, "ana@example.com", "ben@example.com")
	arrived := make(chan struct{})
	var once sync.Once
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	_, url := sinkURL(t, mailtest.SinkOptions{Data: func(string) error {
		once.Do(func() { close(arrived) })
		select { // the relay sits on the message
		case <-release:
		case <-time.After(40 * time.Second):
		}
		return nil
	}})
	w.env["DIGEST_SMTP_TIMEOUT"] = "60s"
	cmd := exec.Command(binPath, "now", "--config", w.config(url), "--source", w.base+"/healthy.xml")
	cmd.Env = w.environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-arrived:
	case <-done:
		t.Fatalf("digest now ended before sending:\n%s", tail(out.String()))
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no message reached the relay within 30 s:\n%s", tail(out.String()))
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
		// Stopped on the first signal alone: fine, if it says so.
	case <-time.After(300 * time.Millisecond):
		sent := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
			t.Logf("exited %s after the second interrupt", time.Since(sent).Round(time.Millisecond))
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("still running 20 s after the second interrupt (the relay holds the send for 40 s):\n%s", tail(out.String()))
		}
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d after an interrupt, want 130\n%s", code, tail(out.String()))
	}
}
