// Package mailtest provides real SMTP peers for tests and benchmarks, all on
// loopback: Sink, an in-process github.com/emersion/go-smtp server that
// records messages by Message-ID; FaultServer, a scripted raw SMTP server
// for failure cases; and StartMailpit, which runs a mailpit binary.
package mailtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SinkOptions are the knobs of a Sink. The zero value accepts everything
// over plain text without authentication.
type SinkOptions struct {
	// Rcpt decides each RCPT TO; nil accepts all. Return an *smtp.SMTPError
	// (see Reply) to choose the code.
	Rcpt func(to string) error
	// Data decides after the whole message is read; nil accepts. id is the
	// Message-ID without angle brackets.
	Data func(id string) error
	// Delay is slept before answering MAIL, RCPT and the end of DATA.
	Delay time.Duration
	// DiscardBodies keeps only Message-IDs, envelope and sizes, so memory
	// stays flat in benchmarks.
	DiscardBodies bool
	// TLS offers STARTTLS with this configuration.
	TLS *tls.Config
	// ImplicitTLS makes the listener speak TLS from the first byte (smtps).
	ImplicitTLS bool
	// Username and Password require AUTH PLAIN with these credentials.
	Username, Password string
	// AllowInsecureAuth permits AUTH without TLS.
	AllowInsecureAuth bool
	// MaxMessageBytes caps a message; 0 means 10 MB.
	MaxMessageBytes int64
}

// Message is what a Sink received.
type Message struct {
	MessageID string // without angle brackets
	From      string
	To        []string
	Size      int
	Data      []byte // nil when DiscardBodies is set
}

// Header parses the message's header (nil when bodies are discarded).
func (m Message) Header() (netmail.Header, error) {
	if m.Data == nil {
		return nil, errors.New("message body was discarded")
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, err
	}
	return msg.Header, nil
}

// Sink is an in-process SMTP server on a loopback port.
type Sink struct {
	// Addr is host:port of the listener.
	Addr string

	opts SinkOptions
	srv  *smtp.Server
	ln   net.Listener

	mu    sync.Mutex
	msgs  []Message
	byID  map[string]int
	bytes int64

	conns    atomic.Int64
	authFail atomic.Int64
}

// Reply makes an SMTP error reply, e.g. Reply(451, "4.7.1 try later").
// Text starting with an enhanced code "x.y.z " is split into it.
func Reply(code int, text string) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: code, EnhancedCode: smtp.NoEnhancedCode, Message: text}
	var a, b, c int
	if n, _ := fmt.Sscanf(text, "%d.%d.%d", &a, &b, &c); n == 3 {
		if i := strings.IndexByte(text, ' '); i > 0 {
			e.EnhancedCode = smtp.EnhancedCode{a, b, c}
			e.Message = text[i+1:]
		}
	}
	return e
}

// StartSink starts a sink on 127.0.0.1 and closes it when tb ends.
func StartSink(tb testing.TB, opts SinkOptions) *Sink {
	tb.Helper()
	s, err := NewSink(opts)
	if err != nil {
		tb.Fatalf("start smtp sink: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// NewSink starts a sink on 127.0.0.1; the caller must Close it.
func NewSink(opts SinkOptions) (*Sink, error) {
	s := &Sink{opts: opts, byID: map[string]int{}}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "sink.test"
	srv.MaxMessageBytes = opts.MaxMessageBytes
	if srv.MaxMessageBytes == 0 {
		srv.MaxMessageBytes = 10 << 20
	}
	srv.MaxRecipients = 50
	srv.ReadTimeout = 2 * time.Minute
	srv.WriteTimeout = time.Minute
	srv.AllowInsecureAuth = opts.AllowInsecureAuth
	srv.TLSConfig = opts.TLS
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if opts.ImplicitTLS {
		if opts.TLS == nil {
			_ = ln.Close()
			return nil, errors.New("implicit TLS needs SinkOptions.TLS")
		}
		ln = tls.NewListener(ln, opts.TLS)
	}
	s.srv, s.ln, s.Addr = srv, ln, ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	return s, nil
}

// HostPort returns the listener's host and port, for an SMTP configuration.
func (s *Sink) HostPort() (string, int) {
	a := s.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// Close stops the server and drops its connections.
func (s *Sink) Close() error { return s.srv.Close() }

// Messages returns a copy of everything received, in arrival order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many times the message with this Message-ID arrived.
func (s *Sink) Count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

// IDs returns arrival counts by Message-ID.
func (s *Sink) IDs() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.byID)
}

// Total returns the number of messages received.
func (s *Sink) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Bytes returns the total size of messages received.
func (s *Sink) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Connections returns how many connections were accepted.
func (s *Sink) Connections() int { return int(s.conns.Load()) }

// AuthFailures returns how many AUTH attempts were refused.
func (s *Sink) AuthFailures() int { return int(s.authFail.Load()) }

// Reset forgets received messages (not connections).
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.byID, s.bytes = nil, map[string]int{}, 0
}

func (s *Sink) newSession(*smtp.Conn) (smtp.Session, error) {
	s.conns.Add(1)
	base := &session{sink: s}
	if s.opts.Username != "" {
		return &authSession{session: base}, nil
	}
	base.authed = true
	return base, nil
}

type session struct {
	sink   *Sink
	authed bool
	from   string
	to     []string
}

func (ss *session) delay() {
	if d := ss.sink.opts.Delay; d > 0 {
		time.Sleep(d)
	}
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.delay()
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.delay()
	if f := ss.sink.opts.Rcpt; f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	m := Message{From: ss.from, To: append([]string(nil), ss.to...)}
	var err error
	if ss.sink.opts.DiscardBodies {
		m.MessageID, m.Size, err = scanDiscard(r)
	} else {
		m.Data, err = io.ReadAll(r)
		m.Size = len(m.Data)
		m.MessageID = headerMessageID(m.Data)
	}
	if err != nil {
		return err
	}
	ss.delay()
	if f := ss.sink.opts.Data; f != nil {
		if err := f(m.MessageID); err != nil {
			return err
		}
	}
	s := ss.sink
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.byID[m.MessageID]++
	s.bytes += int64(m.Size)
	s.mu.Unlock()
	return nil
}

type authSession struct{ *session }

func (as *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (as *authSession) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		o := as.sink.opts
		if user != o.Username || pass != o.Password {
			as.sink.authFail.Add(1)
			return smtp.ErrAuthFailed
		}
		as.authed = true
		return nil
	}), nil
}

// scanDiscard reads the header for the Message-ID and discards the rest.
func scanDiscard(r io.Reader) (string, int, error) {
	br := bufio.NewReaderSize(r, 8<<10)
	id, n := "", 0
	for {
		line, err := br.ReadSlice('\n')
		n += len(line)
		if id == "" {
			id = messageIDFromLine(line)
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				return id, n, nil
			}
			return id, n, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 && err == nil {
			break
		}
	}
	rest, err := io.Copy(io.Discard, br)
	return id, n + int(rest), err
}

// headerMessageID finds the Message-ID in a raw message.
func headerMessageID(data []byte) string {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		line := data
		if i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return ""
		}
		if id := messageIDFromLine(line); id != "" {
			return id
		}
	}
	return ""
}

func messageIDFromLine(line []byte) string {
	const name = "message-id:"
	if !hasPrefixFold(string(line), name) {
		return ""
	}
	v := strings.TrimSpace(string(line[len(name):]))
	return strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
}
