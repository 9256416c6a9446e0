package mailtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// LeanSink is a minimal SMTP server on a loopback port that counts what
// it receives (messages, bytes, arrivals by Message-ID) and keeps nothing
// else. It is the sink process's server (ServeSinkProcess): go-smtp's
// server, behind Sink, reads DATA a byte at a time (its dataReader over
// bufio.Reader.ReadByte), which cost the benchmark's sink process about as
// much CPU per message as the engine itself; LeanSink reads DATA a line at
// a time with bufio.Reader.ReadSlice. It speaks EHLO/HELO, MAIL, RCPT,
// DATA, RSET, NOOP and QUIT, offers PIPELINING, 8BITMIME,
// ENHANCEDSTATUSCODES and SIZE, and has no TLS, AUTH or fault hooks: use
// Sink or FaultServer for those.
type LeanSink struct {
	// Addr is host:port of the listener.
	Addr string

	ln net.Listener
	wg sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	total  int
	bytes  int64
	byID   map[string]int

	// Test knobs, set before the first connection: keep stores each
	// message's bytes as received in kept by Message-ID; noPipelining
	// leaves PIPELINING out of the EHLO reply.
	keep         bool
	kept         map[string][]byte
	noPipelining bool
}

// leanMaxMessageBytes caps a message, as Sink's default does.
const leanMaxMessageBytes = 10 << 20

// leanMaxRecipients caps RCPT per transaction, as Sink does.
const leanMaxRecipients = 50

// StartLeanSink starts a lean sink on 127.0.0.1 and closes it when tb ends.
func StartLeanSink(tb testing.TB) *LeanSink {
	tb.Helper()
	s, err := NewLeanSink()
	if err != nil {
		tb.Fatalf("start lean smtp sink: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// NewLeanSink starts a lean sink on 127.0.0.1; the caller must Close it.
func NewLeanSink() (*LeanSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lean sink: listen: %w", err)
	}
	s := &LeanSink{Addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}, byID: map[string]int{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Close stops the listener, drops open connections and waits for their
// goroutines.
func (s *LeanSink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Total returns the number of messages received.
func (s *LeanSink) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Bytes returns the total size of the messages received, after
// un-stuffing dots, as Sink counts it.
func (s *LeanSink) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// IDs returns arrival counts by Message-ID (without angle brackets; ""
// for messages without one).
func (s *LeanSink) IDs() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byID)
}

func (s *LeanSink) stats() SinkStats {
	s.mu.Lock()
	st := SinkStats{Total: s.total, Distinct: len(s.byID), Bytes: s.bytes}
	s.mu.Unlock()
	st.CPUNanos = int64(CPUTime())
	return st
}

func (s *LeanSink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			_ = s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}

func (s *LeanSink) record(id string, n int64, data []byte) {
	s.mu.Lock()
	if s.keep {
		s.kept[id] = append([]byte(nil), data...)
	}
	s.total++
	s.bytes += n
	s.byID[id]++
	s.mu.Unlock()
}

// leanConn is one SMTP session.
type leanConn struct {
	c     net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	helo  bool
	mail  bool
	rcpts int
	keep  bool   // collect the message in data (LeanSink.keep)
	data  []byte // the message being read, when keep
}

// serve runs one session until QUIT, a broken stream or Close. Replies are
// buffered and flushed only before a read that would wait, so a pipelined
// client's MAIL, RCPT and DATA get their three replies in one write.
func (s *LeanSink) serve(c net.Conn) error {
	lc := &leanConn{c: c, r: bufio.NewReaderSize(c, 64<<10), w: bufio.NewWriterSize(c, 4<<10), keep: s.keep}
	ext := "250-PIPELINING\r\n"
	if s.noPipelining {
		ext = ""
	}
	lc.reply("220 sink.test ESMTP lean sink")
	for {
		line, err := lc.readLine()
		if err != nil {
			return err
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			lc.reset()
			lc.helo = true
			lc.reply("250-sink.test Hello " + arg + "\r\n" + ext + "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE " + fmt.Sprint(leanMaxMessageBytes))
		case "HELO":
			lc.reset()
			lc.helo = true
			lc.reply("250 sink.test Hello " + arg)
		case "MAIL":
			switch {
			case !lc.helo:
				lc.reply("503 5.5.1 Please introduce yourself first.")
			case lc.mail:
				lc.reply("503 5.5.1 Sender already specified")
			case !hasPrefixFold(arg, "FROM:"):
				lc.reply("501 5.5.2 Was expecting MAIL arg syntax of FROM:<address>")
			default:
				lc.mail = true
				lc.reply("250 2.0.0 Roger, accepting mail from " + strings.TrimSpace(arg[len("FROM:"):]))
			}
		case "RCPT":
			switch {
			case !lc.mail:
				lc.reply("502 5.5.1 Missing MAIL FROM command.")
			case !hasPrefixFold(arg, "TO:"):
				lc.reply("501 5.5.2 Was expecting RCPT arg syntax of TO:<address>")
			case lc.rcpts >= leanMaxRecipients:
				lc.reply("452 4.5.3 Maximum limit of 50 recipients reached")
			default:
				lc.rcpts++
				lc.reply("250 2.0.0 I'll make sure " + strings.TrimSpace(arg[len("TO:"):]) + " gets this")
			}
		case "DATA":
			if !lc.mail || lc.rcpts == 0 {
				lc.reply("502 5.5.1 Missing RCPT TO command.")
				continue
			}
			lc.reply("354 2.0.0 Go ahead. End your data with <CR><LF>.<CR><LF>")
			id, n, err := lc.readData()
			lc.reset()
			switch {
			case errors.Is(err, errTooLarge):
				lc.reply("552 5.3.4 Maximum message size exceeded")
			case err != nil:
				return err
			default:
				s.record(id, n, lc.data)
				lc.reply("250 2.0.0 OK: queued")
			}
		case "RSET":
			lc.reset()
			lc.reply("250 2.0.0 Session reset")
		case "NOOP":
			lc.reply("250 2.0.0 I have successfully done nothing")
		case "QUIT":
			lc.reply("221 2.0.0 Bye")
			return lc.w.Flush()
		default:
			lc.reply("502 5.5.2 Command not recognized")
		}
	}
}

var (
	errTooLarge = errors.New("message too large")
	errLongLine = errors.New("command line too long")
)

func (lc *leanConn) reset() { lc.mail, lc.rcpts = false, 0 }

func (lc *leanConn) reply(s string) {
	_, _ = lc.w.WriteString(s)
	_, _ = lc.w.WriteString("\r\n")
}

// wait flushes pending replies when the next read may block on the
// client, and sets the deadline for that read.
func (lc *leanConn) wait() error {
	if lc.r.Buffered() == 0 {
		if err := lc.w.Flush(); err != nil {
			return err
		}
	}
	return lc.c.SetDeadline(time.Now().Add(2 * time.Minute))
}

// readLine reads one command line without its line ending.
func (lc *leanConn) readLine() (string, error) {
	if err := lc.wait(); err != nil {
		return "", err
	}
	line, err := lc.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLongLine
	}
	if err != nil {
		return "", err
	}
	return string(bytes.TrimRight(line, "\r\n")), nil
}

// readData reads the message after 354 up to the lone dot, undoing dot
// stuffing, and returns its Message-ID (the first Message-ID header field
// in the header block, brackets stripped, as Sink's scanDiscard finds it)
// and its size. A line ends at CRLF, as for go-smtp's dataReader: a dot
// after a bare LF is data. A message over leanMaxMessageBytes is read to
// its end and refused with errTooLarge.
func (lc *leanConn) readData() (id string, n int64, err error) {
	if err := lc.w.Flush(); err != nil {
		return "", 0, err
	}
	lc.data = lc.data[:0]
	lineStart, inHeader, prevCR := true, true, false
	for {
		if lc.r.Buffered() == 0 {
			if err := lc.c.SetDeadline(time.Now().Add(2 * time.Minute)); err != nil {
				return "", 0, err
			}
		}
		line, err := lc.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return "", 0, err
		}
		whole := err == nil // line ends in '\n'
		// The line ends a line of the SMTP stream at CRLF, its CR perhaps
		// the last byte of the previous, buffer-full piece.
		crlf := whole && (len(line) >= 2 && line[len(line)-2] == '\r' || len(line) == 1 && prevCR)
		prevCR = line[len(line)-1] == '\r'
		if lineStart && line[0] == '.' {
			if whole && len(line) == 3 && line[1] == '\r' {
				break
			}
			line = line[1:]
		}
		if inHeader && lineStart {
			if id == "" {
				id = messageIDFromLine(line)
			}
			if whole && len(bytes.TrimRight(line, "\r\n")) == 0 {
				inHeader = false
			}
		}
		n += int64(len(line))
		if lc.keep {
			lc.data = append(lc.data, line...)
		}
		lineStart = crlf
	}
	if n > leanMaxMessageBytes {
		return "", n, errTooLarge
	}
	return id, n, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
