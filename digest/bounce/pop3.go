package bounce

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The POP3 client below is small on purpose: the bounce mailbox needs
// USER/PASS, STLS, UIDL, LIST, RETR, DELE and QUIT (RFC 1939, 2449, 2595),
// and no maintained Go POP3 library was to be had. Everything the server
// sends is bounded: one line, one message, and each command's time.

// POP3 limits.
const (
	pop3MaxLine    = 64 << 10 // longer lines are a protocol error
	pop3CmdTimeout = 30 * time.Second
)

// ErrPOP3 marks an -ERR reply or a malformed one.
var ErrPOP3 = errors.New("pop3")

// POP3Config is a mailbox address: pop3s://user@host[:995] (implicit TLS),
// pop3://user@host[:110] (STLS required) or pop3://user@host:port?tls=none
// (plain, for local test servers only). The password is kept apart.
type POP3Config struct {
	Addr     string // host:port
	User     string
	Password string
	// TLS: "implicit", "starttls" or "none".
	TLS string
	// TLSConfig overrides the TLS settings (tests: a test CA).
	TLSConfig *tls.Config
	// MaxMessageBytes bounds one message (10 MiB); bigger ones are left
	// in the mailbox.
	MaxMessageBytes int64
}

// ParsePOP3URL reads DIGEST_BOUNCE_POP3_URL.
func ParsePOP3URL(raw string) (POP3Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return POP3Config{}, fmt.Errorf("pop3 url: %w", err)
	}
	var c POP3Config
	port := ""
	switch u.Scheme {
	case "pop3s":
		c.TLS, port = "implicit", "995"
	case "pop3":
		c.TLS, port = "starttls", "110"
	default:
		return c, fmt.Errorf("pop3 url: scheme %q: want pop3s:// or pop3://", u.Scheme)
	}
	if u.Hostname() == "" || u.User == nil || u.User.Username() == "" {
		return c, errors.New("pop3 url: want pop3s://user@host[:port]")
	}
	if _, has := u.User.Password(); has {
		return c, errors.New("pop3 url: put the password in DIGEST_BOUNCE_POP3_PASSWORD or DIGEST_BOUNCE_POP3_PASSWORD_FILE, not in the URL")
	}
	c.User = u.User.Username()
	if p := u.Port(); p != "" {
		port = p
	}
	c.Addr = net.JoinHostPort(u.Hostname(), port)
	switch t := u.Query().Get("tls"); t {
	case "":
	case "none":
		if u.Scheme != "pop3" {
			return c, errors.New("pop3 url: tls=none goes with pop3://")
		}
		c.TLS = "none"
	default:
		return c, fmt.Errorf("pop3 url: tls=%q: only tls=none (local test servers) is known", t)
	}
	return c, nil
}

// pop3Conn is one POP3 session.
type pop3Conn struct {
	conn net.Conn
	r    *bufio.Reader
	max  int64
	stop func() bool // releases the context watch
}

// dialPOP3 connects, secures and logs in.
func dialPOP3(ctx context.Context, cfg POP3Config) (*pop3Conn, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("pop3 address: %w", err)
	}
	tc := cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	d := net.Dialer{Timeout: pop3CmdTimeout}
	var nc net.Conn
	if cfg.TLS == "implicit" {
		nc, err = (&tls.Dialer{NetDialer: &d, Config: tc}).DialContext(ctx, "tcp", cfg.Addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.Addr, err)
	}
	c := newPOP3Conn(nc, cfg.MaxMessageBytes)
	// A cancelled context ends the session at once.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	ok := false
	defer func() {
		if !ok {
			stop()
			_ = nc.Close()
		}
	}()
	if _, err := c.reply(); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if cfg.TLS == "starttls" {
		if _, err := c.cmd("STLS"); err != nil {
			return nil, fmt.Errorf("STLS (use pop3s://, or ?tls=none for a local test server): %w", err)
		}
		tconn := tls.Client(nc, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		c.conn, c.r = tconn, bufio.NewReaderSize(tconn, 4096)
	}
	if _, err := c.cmd("USER " + cfg.User); err != nil {
		return nil, fmt.Errorf("USER: %w", err)
	}
	if _, err := c.cmd("PASS " + cfg.Password); err != nil {
		return nil, fmt.Errorf("login refused: %w", err) // the reply, never the password
	}
	ok = true
	c.stop = stop
	return c, nil
}

func newPOP3Conn(nc net.Conn, maxMsg int64) *pop3Conn {
	if maxMsg <= 0 {
		maxMsg = 10 << 20
	}
	return &pop3Conn{conn: nc, r: bufio.NewReaderSize(nc, 4096), max: maxMsg}
}

// line reads one CRLF-terminated line without its ending.
func (c *pop3Conn) line() (string, error) {
	var buf []byte
	for {
		chunk, isPrefix, err := c.r.ReadLine()
		if err != nil {
			return "", err
		}
		buf = append(buf, chunk...)
		if len(buf) > pop3MaxLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrPOP3, pop3MaxLine)
		}
		if !isPrefix {
			return string(buf), nil
		}
	}
}

// reply reads a status line: the text after +OK, or an error for -ERR.
func (c *pop3Conn) reply() (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(pop3CmdTimeout))
	l, err := c.line()
	if err != nil {
		return "", err
	}
	switch {
	case strings.HasPrefix(l, "+OK"):
		return strings.TrimSpace(l[3:]), nil
	case strings.HasPrefix(l, "-ERR"):
		return "", fmt.Errorf("%w: server said %q", ErrPOP3, truncateText(l, 200))
	default:
		return "", fmt.Errorf("%w: unexpected reply %q", ErrPOP3, truncateText(l, 200))
	}
}

func (c *pop3Conn) cmd(line string) (string, error) {
	_ = c.conn.SetWriteDeadline(time.Now().Add(pop3CmdTimeout))
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		return "", err
	}
	return c.reply()
}

// multi reads a multi-line body up to the lone ".", undoing dot-stuffing,
// at most limit bytes.
func (c *pop3Conn) multi(limit int64) ([]byte, error) {
	var b bytes.Buffer
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(pop3CmdTimeout))
		l, err := c.line()
		if err != nil {
			return nil, err
		}
		if l == "." {
			return b.Bytes(), nil
		}
		l = strings.TrimPrefix(l, ".")
		if int64(b.Len()+len(l)+2) > limit {
			return nil, fmt.Errorf("%w: reply larger than %d bytes", ErrPOP3, limit)
		}
		b.WriteString(l)
		b.WriteString("\r\n")
	}
}

// popMessage is one message of the mailbox listing.
type popMessage struct {
	Num  int
	UID  string // from UIDL; empty when the server has no UIDL
	Size int64
}

// list returns the messages with their sizes and, when the server has
// UIDL, their unique ids.
func (c *pop3Conn) list() ([]popMessage, error) {
	if _, err := c.cmd("LIST"); err != nil {
		return nil, fmt.Errorf("LIST: %w", err)
	}
	body, err := c.multi(16 << 20)
	if err != nil {
		return nil, fmt.Errorf("LIST: %w", err)
	}
	var out []popMessage
	idx := map[int]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\r\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, err1 := strconv.Atoi(f[0])
		size, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || n < 1 || size < 0 {
			return nil, fmt.Errorf("%w: bad LIST line %q", ErrPOP3, truncateText(l, 100))
		}
		idx[n] = len(out)
		out = append(out, popMessage{Num: n, Size: size})
	}
	if _, err := c.cmd("UIDL"); err != nil {
		return out, nil // optional (RFC 1939): receipts fall back to content hashes
	}
	body, err = c.multi(16 << 20)
	if err != nil {
		return nil, fmt.Errorf("UIDL: %w", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\r\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		if n, err := strconv.Atoi(f[0]); err == nil {
			if i, ok := idx[n]; ok {
				out[i].UID = f[1]
			}
		}
	}
	return out, nil
}

func (c *pop3Conn) retr(n int) ([]byte, error) {
	if _, err := c.cmd("RETR " + strconv.Itoa(n)); err != nil {
		return nil, fmt.Errorf("RETR %d: %w", n, err)
	}
	b, err := c.multi(c.max)
	if err != nil {
		return nil, fmt.Errorf("RETR %d: %w", n, err)
	}
	return b, nil
}

func (c *pop3Conn) dele(n int) error {
	if _, err := c.cmd("DELE " + strconv.Itoa(n)); err != nil {
		return fmt.Errorf("DELE %d: %w", n, err)
	}
	return nil
}

// quit ends the session; the server deletes the messages marked with DELE
// only now (RFC 1939 UPDATE state).
func (c *pop3Conn) quit() error {
	_, err := c.cmd("QUIT")
	cerr := c.close()
	if err != nil {
		return fmt.Errorf("QUIT: %w", err)
	}
	return cerr
}

func (c *pop3Conn) close() error {
	if c.stop != nil {
		c.stop()
	}
	return c.conn.Close()
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
