package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// cutProxy forwards TCP connections to target and can cut the link, as a
// database host that goes away does: every open connection is closed and
// new ones are refused until restore.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func startProxy(t testing.TB, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(c, up)
		go func() { io.Copy(up, c); up.Close(); c.Close() }()
		go func() { io.Copy(c, up); up.Close(); c.Close() }()
	}
}

func (p *cutProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

// cut closes every connection and refuses new ones.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// outage is one way of taking the store away and giving it back.
type outage struct {
	name  string
	store func(t *testing.T) (dsn string, down, up func())
}

// sqliteLock holds SQLite's write lock from another connection: every
// write waits out busy_timeout (10 s) and fails, as on a store that has
// gone away.
func sqliteLock(t *testing.T) (string, func(), func()) {
	dsn := filepath.Join(t.TempDir(), "digest.db")
	var mu sync.Mutex
	var release func()
	down := func() {
		w := &world{t: t, dbPath: dsn}
		db := w.open()
		ctx := context.Background()
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Errorf("take the write lock: %v", err)
			return
		}
		mu.Lock()
		release = func() { conn.ExecContext(context.Background(), "ROLLBACK"); conn.Close() }
		mu.Unlock()
	}
	up := func() {
		mu.Lock()
		defer mu.Unlock()
		if release != nil {
			release()
			release = nil
		}
	}
	t.Cleanup(up)
	return dsn, down, up
}

// postgresCut puts a cuttable proxy between digest and Postgres.
func postgresCut(t *testing.T) (string, func(), func()) {
	base := storetest.NewSchema(t, storetest.PostgresDSN(t))
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	p := startProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	return u.String(), p.cut, p.restore
}

var outages = []outage{{"sqlite", sqliteLock}, {"postgres", postgresCut}}

// TestStoreOutage takes the store away for 20 s right after the relay
// accepted the first message of `digest now`, and gives it back.
//
//   - within the record retry (2 min by default): the sends in flight are
//     recorded once the store is back, none is sent twice; a claim that
//     meets the outage stops the run (exit 1 naming the cause), a rerun sends the
//     rest and, after their leases, the rows whose claim the outage cut
//     short: every digest exactly once.
//   - beyond it (record_retry 1 s): the run exits 1 leaving the rows in
//     flight sending; once their leases expire they are sent again — at
//     least once, with no more copies than rows that were in flight.
func TestStoreOutage(t *testing.T) {
	needBinary(t)
	subs := make([]string, 12)
	for i := range subs {
		subs[i] = fmt.Sprintf("reader%02d@example.com", i)
	}
	for _, o := range outages {
		for _, beyond := range []bool{false, true} {
			name := o.name + "-20s"
			if beyond {
				name += "-beyond-record-retry"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dsn, down, up := o.store(t)
				w := newWorldAt(t, dsn, subs...)
				if beyond {
					w.env["DIGEST_EDITION_RECORD_RETRY"] = "1s"
				}
				var once sync.Once
				var back sync.WaitGroup
				back.Add(1)
				sink, url := sinkURL(t, mailtest.SinkOptions{Data: func(string) error {
					once.Do(func() {
						down()
						time.AfterFunc(20*time.Second, func() { up(); back.Done() })
					})
					return nil // the relay accepts: the outage is after the 250
				}})
				r := w.now(url, "--source", w.base+"/healthy.xml")
				// Within the record retry the run may record everything it
				// had claimed and end well (0); a claim that met the outage
				// stops it (1). Beyond the retry it always stops.
				if r.Code != 1 && (beyond || r.Code != 0) {
					t.Fatalf("digest now exited %d during the outage, want 1\n%s", r.Code, tail(r.Stderr+r.Stdout))
				}
				if r.Code == 1 && !strings.Contains(r.Stdout+r.Stderr, "ledger unavailable") {
					t.Errorf("the run does not name the cause:\n%s", tail(r.Stdout+r.Stderr))
				}
				back.Wait()
				scenario := "store-outage/" + name
				d := afterKill(t, w, scenario, subs, url, sink, nil)
				if !beyond && d != 0 {
					// A claim whose commit the outage made ambiguous leaves a
					// leased row that was never sent: it goes out once, after
					// its lease. Only sends the ledger missed could repeat.
					t.Errorf("%d duplicates after an outage shorter than the record retry, want 0", d)
				}
			})
		}
	}
}

// TestDiskFull fills the file system that holds the SQLite store right
// after the relay accepted the first message: `digest now` stops sending,
// exits 1 naming the cause, sends nothing it could not claim, and once
// space is back the rows in flight are sent again no more than once each.
// It mounts a small tmpfs, so it needs root: set DIGEST_TEST_DISKFULL=1.
func TestDiskFull(t *testing.T) {
	needBinary(t)
	if os.Getenv("DIGEST_TEST_DISKFULL") == "" {
		t.Skip("set DIGEST_TEST_DISKFULL=1 to run the disk-full scenario (it mounts a tmpfs, as root)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs at %s: %v\n%s", mnt, err, out)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	subs := make([]string, 40)
	for i := range subs {
		subs[i] = fmt.Sprintf("reader%02d@example.com", i)
	}
	w := newWorldAt(t, filepath.Join(mnt, "digest.db"), subs...)
	w.env["DIGEST_EDITION_RECORD_RETRY"] = "2s"
	filler := filepath.Join(mnt, "filler")
	var once sync.Once
	sink, url := sinkURL(t, mailtest.SinkOptions{Data: func(string) error {
		once.Do(func() {
			if err := fill(filler); err != nil {
				t.Errorf("fill the disk: %v", err)
			}
		})
		return nil
	}})
	r := w.now(url, "--source", w.base+"/healthy.xml")
	if r.Code != 1 {
		t.Fatalf("digest now exited %d on a full disk, want 1\n%s", r.Code, tail(r.Stderr+r.Stdout))
	}
	out := r.Stdout + r.Stderr
	if !strings.Contains(out, "full") || !strings.Contains(out, "not attempted") {
		t.Errorf("the run does not name the full disk and what it left:\n%s", tail(out))
	}
	sentDuringFull := sink.Total()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	db := w.open()
	claimed := len(ledger(t, db))
	if sentDuringFull > claimed {
		t.Errorf("%d messages reached the relay but only %d ledger rows exist: something was sent unclaimed", sentDuringFull, claimed)
	}
	t.Logf("disk full: %d of %d recipients claimed, %d sent before the run stopped", claimed, len(subs), sentDuringFull)
	afterKill(t, w, "disk-full/sqlite", subs, url, sink, nil)
}

// fill writes to path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return err
		}
	}
}
