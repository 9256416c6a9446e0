package bounce

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// fakePOP3 is a minimal POP3 server over real sockets: enough of RFC 1939
// to serve a mailbox, commit DELE only on QUIT, and misbehave on demand.
type fakePOP3 struct {
	ln net.Listener

	mu             sync.Mutex
	msgs           [][]byte // nil: deleted
	dropBeforeQuit bool     // close the connection when QUIT arrives, committing nothing
}

func startFakePOP3(t *testing.T, msgs ...[]byte) *fakePOP3 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePOP3{ln: ln, msgs: msgs}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.session(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return f
}

func (f *fakePOP3) session(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	fmt.Fprint(c, "+OK fake POP3 ready\r\n")
	deleted := map[int]bool{}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		f.mu.Lock()
		var n int
		fmt.Sscan(arg, &n)
		switch strings.ToUpper(cmd) {
		case "USER", "PASS", "NOOP":
			fmt.Fprint(c, "+OK\r\n")
		case "LIST", "UIDL":
			fmt.Fprint(c, "+OK\r\n")
			for i, m := range f.msgs {
				if m == nil || deleted[i+1] {
					continue
				}
				if cmd == "LIST" {
					fmt.Fprintf(c, "%d %d\r\n", i+1, len(m))
				} else {
					fmt.Fprintf(c, "%d uid-%d\r\n", i+1, i+1)
				}
			}
			fmt.Fprint(c, ".\r\n")
		case "RETR":
			fmt.Fprint(c, "+OK\r\n")
			for _, l := range strings.Split(strings.ReplaceAll(string(f.msgs[n-1]), "\r\n", "\n"), "\n") {
				if strings.HasPrefix(l, ".") {
					l = "." + l // dot-stuffing
				}
				fmt.Fprint(c, l+"\r\n")
			}
			fmt.Fprint(c, ".\r\n")
		case "DELE":
			deleted[n] = true
			fmt.Fprint(c, "+OK\r\n")
		case "QUIT":
			if !f.dropBeforeQuit {
				for i := range deleted {
					f.msgs[i-1] = nil
				}
				fmt.Fprint(c, "+OK bye\r\n")
			}
			f.mu.Unlock()
			return
		default:
			fmt.Fprint(c, "-ERR unknown command\r\n")
		}
		f.mu.Unlock()
	}
}

func (f *fakePOP3) remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.msgs {
		if m != nil {
			n++
		}
	}
	return n
}

// TestMailbox_DeletesOnlyWhatWasRecorded: a session that ends without
// QUIT commits no deletion; the next poll finds the reports again, knows
// them by their receipts, records nothing twice and deletes them.
func TestMailbox_DeletesOnlyWhatWasRecorded(t *testing.T) {
	arf, err := os.ReadFile(filepath.Join("testdata", "arf-abuse.eml"))
	if err != nil {
		t.Fatal(err)
	}
	// A line starting with a dot must survive dot-stuffing.
	arf = bytes.Replace(arf, []byte("The digest."), []byte(".The digest."), 1)
	f := startFakePOP3(t, arf)
	f.dropBeforeQuit = true
	db := storetest.Open(t)
	ctx := context.Background()
	kim, err := db.AddSubscriber(ctx, digest.Subscriber{Email: "kim@example.com", TimeZone: "UTC", SendTime: "07:00"})
	if err != nil {
		t.Fatal(err)
	}
	mb := &Mailbox{POP3: POP3Config{Addr: f.ln.Addr().String(), User: "u", Password: "p", TLS: "none"},
		Recorder: &Recorder{Store: db}}
	if _, err := mb.Poll(ctx); err == nil {
		t.Fatal("a session cut at QUIT reported success")
	}
	if f.remaining() != 1 {
		t.Fatal("the deletion took effect without QUIT")
	}
	f.dropBeforeQuit = false
	res, err := mb.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 1 || res.Events != 0 || f.remaining() != 0 {
		t.Fatalf("second poll: %+v, %d left", res, f.remaining())
	}
	evs, _ := db.SubscriberEvents(ctx, kim.ID, 0)
	if len(evs) != 1 {
		t.Fatalf("the complaint was recorded %d times", len(evs))
	}
}

// FuzzPOP3Client feeds arbitrary server output to the client: it must end
// with a result or an error, never panic or grow without bound.
func FuzzPOP3Client(f *testing.F) {
	f.Add([]byte("+OK hi\r\n+OK\r\n+OK\r\n+OK\r\n1 20\r\n.\r\n+OK\r\n1 a\r\n.\r\n+OK\r\nSubject: x\r\n\r\n..dot\r\n.\r\n"))
	f.Add([]byte("+OK\r\n-ERR no\r\n"))
	f.Add([]byte("+OK\r\n+OK\r\n+OK\r\n+OK\r\n1 -5\r\n.\r\n"))
	f.Add([]byte("garbage\r\n"))
	f.Add(bytes.Repeat([]byte("+"), 70000))
	f.Fuzz(func(t *testing.T, server []byte) {
		cli := &scriptConn{r: bytes.NewReader(server)}
		c := newPOP3Conn(cli, 1<<20)
		if _, err := c.reply(); err != nil {
			return
		}
		if _, err := c.cmd("USER u"); err != nil {
			return
		}
		msgs, err := c.list()
		if err != nil {
			return
		}
		for _, m := range msgs {
			if m.Num < 1 || m.Size < 0 {
				t.Fatalf("bad listing entry %+v", m)
			}
			b, err := c.retr(m.Num)
			if err != nil {
				return
			}
			if int64(len(b)) > 1<<20 {
				t.Fatalf("message of %d bytes over the limit", len(b))
			}
		}
	})
}

// scriptConn is a net.Conn whose peer says the given bytes and then
// hangs up; what the client writes is discarded.
type scriptConn struct {
	r *bytes.Reader
}

func (c *scriptConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzParseReport: any bytes give a report or an error, never a panic, and
// every event names an address or a Message-ID.
func FuzzParseReport(f *testing.F) {
	for _, name := range []string{"dsn-hard.eml", "dsn-soft.eml", "arf-abuse.eml", "unsubscribe.eml", "hello.eml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := ParseReport(raw)
		if err != nil {
			return
		}
		for _, ev := range rep.Events {
			if ev.Email == "" && ev.MessageID == "" {
				t.Fatalf("event without address or message id: %+v", ev)
			}
		}
	})
}
