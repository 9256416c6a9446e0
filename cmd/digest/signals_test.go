package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSignals_Watch(t *testing.T) {
	t.Run("second signal exits at once", func(t *testing.T) {
		var out bytes.Buffer
		exited := make(chan int, 1)
		s := newSignals(&out, func(code int) { exited <- code })
		ch := make(chan os.Signal, 2)
		ctx, stop := s.watch(context.Background(), ch)
		ch <- os.Interrupt
		<-ctx.Done()
		ch <- os.Interrupt
		select {
		case code := <-exited:
			if code != 130 {
				t.Errorf("exit code %d, want 130", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the second signal did not exit: it was never read")
		}
		stop()
		if !strings.Contains(out.String(), "second interrupt: exiting now") {
			t.Errorf("stderr %q does not say why it exits", out.String())
		}
	})
	t.Run("stop ends the watch", func(t *testing.T) {
		s := newSignals(&bytes.Buffer{}, func(int) { t.Error("exited without a signal") })
		ch := make(chan os.Signal, 2)
		ctx, stop := s.watch(context.Background(), ch)
		stop()
		if ctx.Err() == nil {
			t.Error("context not cancelled by stop")
		}
		if got := s.exitCode(0); got != 0 {
			t.Errorf("exit code without a signal = %d, want 0", got)
		}
	})
	for _, c := range []struct {
		name      string
		sig       os.Signal
		code, out int
	}{
		{"interrupt is 130 even when the command stopped cleanly", os.Interrupt, 0, 130},
		{"interrupt is 130 when the command failed", os.Interrupt, 1, 130},
		{"SIGTERM that stopped serve cleanly is 0", syscall.SIGTERM, 0, 0},
		{"SIGTERM that cut a command short is 143", syscall.SIGTERM, 1, 143},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSignals(&bytes.Buffer{}, func(int) {})
			ch := make(chan os.Signal, 2)
			ctx, stop := s.watch(context.Background(), ch)
			ch <- c.sig
			<-ctx.Done()
			stop()
			if got := s.exitCode(c.code); got != c.out {
				t.Errorf("exitCode(%d) after %v = %d, want %d", c.code, c.sig, got, c.out)
			}
		})
	}
}
