// Package testutil holds what the project's tests share: finding the
// module root and the evaluation corpus beside it, reading its gzipped
// pages, a goroutine-safe buffer for capturing logs, a peak-heap sampler
// for benchmarks, and golden files of pinned outputs (golden.go).
package testutil

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ModuleRoot returns the directory holding go.mod at or above the working
// directory (a test's working directory is its package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Root is ModuleRoot for tests: it fails the test when there is none.
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := ModuleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// CorpusDir returns ../shared/corpus/<name> seen from the module root (the
// repository sits beside shared/, here and in CI), or skips the test with a
// message when it is absent.
func CorpusDir(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(Root(tb), "..", "shared", "corpus", name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("corpus %s absent (%v): place shared/corpus beside the repository to run this", name, err)
	}
	return p
}

// ReadGzip returns the decompressed content of the gzip file at path, or
// fails the test.
func ReadGzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return data
}

// CPUTime is the CPU time (user + system) the process has used: on a
// shared machine it says more about a benchmark's cost than wall time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers, such as a log
// handler shared by goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// PeakHeap samples the Go heap until stop is called and returns the
// highest in-use figure seen, in bytes.
func PeakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if v := ms.HeapInuse + ms.StackInuse; v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}
