package mailtest

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Stage is where a FaultServer rule strikes.
type Stage int

// Stages of one SMTP transaction.
const (
	// AtRcpt answers RCPT TO with Rule.Reply.
	AtRcpt Stage = iota
	// AtData answers the DATA command with Rule.Reply instead of 354.
	AtData
	// MidData closes the connection after the first lines of the payload.
	MidData
	// AtDot answers the final dot with Rule.Reply, or never answers when
	// Rule.Hang is set.
	AtDot
)

// Rule is a scripted failure for one recipient.
type Rule struct {
	Stage Stage
	// Reply is a full reply line such as "451 4.7.1 try again later".
	Reply string
	// Hang makes an AtDot rule never answer: the server accepted DATA and
	// then goes silent.
	Hang bool
	// Times applies the rule to the first Times transactions for the
	// recipient only; 0 means always.
	Times int
}

// FaultOptions script a FaultServer.
type FaultOptions struct {
	// Greetings are sent to successive connections in place of the normal
	// 220; a non-2xx greeting is followed by closing the connection. After
	// they run out, connections are greeted normally.
	Greetings []string
	// Rules are keyed by recipient address.
	Rules map[string]Rule
	// Delay is slept before every reply: a slow server.
	Delay time.Duration
	// CloseAfter closes a connection right after accepting its
	// CloseAfter-th message, like a server dropping a connection that went
	// idle; 0 never closes. CloseReply, when set, is written just before
	// closing (e.g. "421 4.4.2 idle timeout"), so that the client reads it
	// as the answer to its next command.
	CloseAfter int
	CloseReply string
	// NoPipelining leaves PIPELINING (RFC 2920) out of the EHLO reply, so
	// that clients send one command at a time. The server reads commands
	// line by line either way, so pipelined commands are answered in turn.
	NoPipelining bool
	// DataWithoutRecipients answers DATA with 354 even when no recipient
	// was accepted, as some servers do, reads the message and refuses it
	// at the dot (554); by default such a DATA gets 554 at once.
	DataWithoutRecipients bool
}

// FaultServer is a scripted SMTP server speaking the protocol by hand over
// a raw loopback listener, so that it can misbehave in ways a real server
// library will not: drop the connection mid-DATA, never answer the final
// dot, greet with 421.
type FaultServer struct {
	Addr string

	opts FaultOptions
	ln   net.Listener

	mu        sync.Mutex
	greetings []string
	hits      map[string]int // transactions per recipient
	delivered map[string]int // by Message-ID
	conns     map[net.Conn]struct{}
	accepted  int
	wg        sync.WaitGroup
	closed    chan struct{}
}

// StartFaultServer starts a fault server on 127.0.0.1 and closes it when tb
// ends.
func StartFaultServer(tb testing.TB, opts FaultOptions) *FaultServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("start fault smtp server: %v", err)
	}
	f := &FaultServer{
		Addr: ln.Addr().String(), opts: opts, ln: ln,
		greetings: append([]string(nil), opts.Greetings...),
		hits:      map[string]int{}, delivered: map[string]int{},
		conns: map[net.Conn]struct{}{}, closed: make(chan struct{}),
	}
	f.wg.Add(1)
	go f.serve()
	tb.Cleanup(f.Close)
	return f
}

// Close stops the server, drops every connection and waits for them.
func (f *FaultServer) Close() {
	f.mu.Lock()
	select {
	case <-f.closed:
		f.mu.Unlock()
		return
	default:
	}
	close(f.closed)
	_ = f.ln.Close()
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Delivered returns how many times each Message-ID was accepted (250 after
// the final dot).
func (f *FaultServer) Delivered() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.delivered)
}

// Attempts returns how many transactions reached RCPT for addr.
func (f *FaultServer) Attempts(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[addr]
}

// Connections returns how many connections were accepted.
func (f *FaultServer) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted
}

func (f *FaultServer) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		select {
		case <-f.closed:
			f.mu.Unlock()
			_ = c.Close()
			return
		default:
		}
		f.conns[c] = struct{}{}
		f.accepted++
		greeting := "220 fault.test ESMTP ready"
		if len(f.greetings) > 0 {
			greeting, f.greetings = f.greetings[0], f.greetings[1:]
		}
		f.wg.Add(1)
		f.mu.Unlock()
		go func() {
			defer f.wg.Done()
			defer func() {
				_ = c.Close()
				f.mu.Lock()
				delete(f.conns, c)
				f.mu.Unlock()
			}()
			_ = f.session(c, greeting)
		}()
	}
}

// errHangup ends a session on purpose.
var errHangup = errors.New("hang up")

type faultConn struct {
	f         *FaultServer
	r         *bufio.Reader
	w         net.Conn
	delivered int
}

func (fc *faultConn) reply(lines ...string) error {
	if d := fc.f.opts.Delay; d > 0 {
		select {
		case <-time.After(d):
		case <-fc.f.closed:
			return errHangup
		}
	}
	_, err := fc.w.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	return err
}

func (fc *faultConn) line() (string, error) {
	s, err := fc.r.ReadString('\n')
	return strings.TrimRight(s, "\r\n"), err
}

// rule returns the rule for a recipient's current transaction, if any.
func (f *FaultServer) rule(rcpt string) (Rule, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[rcpt]++
	r, ok := f.opts.Rules[rcpt]
	if !ok || (r.Times > 0 && f.hits[rcpt] > r.Times) {
		return Rule{}, false
	}
	return r, true
}

func (f *FaultServer) session(c net.Conn, greeting string) error {
	fc := &faultConn{f: f, r: bufio.NewReader(c), w: c}
	if err := fc.reply(greeting); err != nil || !strings.HasPrefix(greeting, "2") {
		return err
	}
	var (
		active *Rule
		rcpts  int
		inTx   bool // MAIL accepted and the transaction not yet ended
	)
	for {
		cmdLine, err := fc.line()
		if err != nil {
			return err
		}
		verb, arg, _ := strings.Cut(cmdLine, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			if f.opts.NoPipelining {
				err = fc.reply("250-fault.test", "250-8BITMIME", "250 ENHANCEDSTATUSCODES")
			} else {
				err = fc.reply("250-fault.test", "250-8BITMIME", "250-PIPELINING", "250 ENHANCEDSTATUSCODES")
			}
		case "HELO":
			err = fc.reply("250 fault.test")
		case "NOOP":
			err = fc.reply("250 2.0.0 OK")
		case "RSET":
			active, rcpts, inTx = nil, 0, false
			err = fc.reply("250 2.0.0 OK")
		case "QUIT":
			_ = fc.reply("221 2.0.0 bye")
			return nil
		case "MAIL":
			if inTx {
				// As Postfix and go-smtp do: a client that did not reset
				// after a failure gets this instead of a new transaction.
				err = fc.reply("503 5.5.1 nested MAIL command")
				break
			}
			active, rcpts, inTx = nil, 0, true
			err = fc.reply("250 2.1.0 OK")
		case "RCPT":
			addr := angleAddr(arg)
			r, ok := f.rule(addr)
			if ok && r.Stage == AtRcpt {
				err = fc.reply(r.Reply)
				break
			}
			if ok {
				active = &r
			}
			rcpts++
			err = fc.reply("250 2.1.5 OK")
		case "DATA":
			if rcpts == 0 && f.opts.DataWithoutRecipients {
				err = fc.refuseAtDot()
				active, inTx = nil, false
				break
			}
			if rcpts == 0 {
				err = fc.reply("554 5.5.1 no valid recipients")
				break
			}
			var ended bool
			ended, err = fc.data(active)
			if ended {
				active, rcpts, inTx = nil, 0, false
			}
			if n := f.opts.CloseAfter; err == nil && n > 0 && fc.delivered >= n {
				if f.opts.CloseReply != "" {
					_ = fc.reply(f.opts.CloseReply)
				}
				return errHangup
			}
		default:
			err = fc.reply("502 5.5.2 command not implemented")
		}
		if err != nil {
			return err
		}
	}
}

// data handles DATA for a transaction with an optional rule. ended reports
// whether the transaction is over (a reply to the final dot); a refused DATA
// command leaves it open, as RFC 5321 says.
func (fc *faultConn) data(r *Rule) (ended bool, err error) {
	if r != nil && r.Stage == AtData {
		return false, fc.reply(r.Reply)
	}
	if err := fc.reply("354 go ahead"); err != nil {
		return false, err
	}
	var (
		id    string
		lines int
		inHdr = true
	)
	for {
		l, err := fc.line()
		if err != nil {
			return false, err
		}
		if l == "." {
			break
		}
		lines++
		if r != nil && r.Stage == MidData && lines == 5 {
			return false, errHangup // close with the payload half read
		}
		if inHdr {
			if l == "" {
				inHdr = false
			} else if v := messageIDFromLine([]byte(l)); v != "" {
				id = v
			}
		}
	}
	if r != nil && r.Stage == AtDot {
		if r.Hang {
			// Read until the client gives up and closes, or the server stops.
			_, err := fc.line()
			return false, err
		}
		return true, fc.reply(r.Reply)
	}
	fc.f.mu.Lock()
	fc.f.delivered[id]++
	fc.f.mu.Unlock()
	fc.delivered++
	return true, fc.reply(fmt.Sprintf("250 2.0.0 OK queued as %d", lines))
}

// refuseAtDot takes a message and refuses it at its end, delivering
// nothing.
func (fc *faultConn) refuseAtDot() error {
	if err := fc.reply("354 go ahead"); err != nil {
		return err
	}
	for {
		l, err := fc.line()
		if err != nil {
			return err
		}
		if l == "." {
			return fc.reply("554 5.5.1 no valid recipients")
		}
	}
}

func angleAddr(arg string) string {
	_, v, _ := strings.Cut(arg, ":")
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '>'); i >= 0 {
		v = v[:i]
	}
	return strings.TrimPrefix(v, "<")
}
