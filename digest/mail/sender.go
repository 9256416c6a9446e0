package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
	"golang.org/x/time/rate"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/defaults"
)

// SenderOptions tune a Sender. Zero values take the defaults in brackets.
type SenderOptions struct {
	// Connections is the pool size: one goroutine and one SMTP connection
	// each [4].
	Connections int
	// RatePerSecond caps messages per second over the whole pool; 0 means
	// unlimited.
	RatePerSecond float64
	// MessageTimeout bounds one message from the connection check to the
	// server's reply after the final dot, including a server that accepts
	// DATA and then never answers [60s].
	MessageTimeout time.Duration
	// DialTimeout bounds the TCP connect (and the TLS handshake for
	// smtps) [30s]; the greeting, EHLO, STARTTLS and AUTH that follow are
	// bounded by MessageTimeout.
	DialTimeout time.Duration
	// SlowDownFor is how long a 421 or 454 reply halves the rate [1m].
	SlowDownFor time.Duration
	// InsecureSkipVerify disables certificate checks: tests only.
	InsecureSkipVerify bool
	// RootCAs replaces the system roots (tests with a self-signed server).
	RootCAs *x509.CertPool
	// Build tunes message building (DKIM).
	Build  BuildOptions
	Logger *slog.Logger
	Now    func() time.Time
}

// Defaults for SenderOptions.
const (
	DefaultConnections    = 4
	DefaultMessageTimeout = 60 * time.Second
	DefaultDialTimeout    = 30 * time.Second
	DefaultSlowDownFor    = time.Minute
)

// ErrClosed is returned by Send after Close, and before Start.
var ErrClosed = errors.New("smtp sender is not running")

// Sender is a digest.Mailer that sends over a pool of SMTP connections.
// Send may be called from many goroutines; each call hands its message to a
// pool worker and waits for the outcome.
//
// Lifecycle: NewSender → Start(ctx) → Send... → Close.
type Sender struct {
	cfg  SMTPConfig
	opts SenderOptions
	log  *slog.Logger
	tls  *tls.Config

	jobs     chan *job
	throttle *throttle

	mu      sync.Mutex
	running bool
	runCtx  context.Context // the workers' context; done when they stop
	stop    context.CancelFunc
	stopped chan struct{}
	wg      sync.WaitGroup

	dials atomic.Int64
}

var _ digest.Mailer = (*Sender)(nil)

type job struct {
	ctx    context.Context
	msg    *wireMessage
	id     string
	result chan error
}

// NewSender checks cfg and opts; it does not connect.
func NewSender(cfg SMTPConfig, opts SenderOptions) (*Sender, error) {
	if cfg.Host == "" || cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("new smtp sender: need a host and a port (got %q)", cfg.Addr())
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSOpportunistic, TLSNone:
	default:
		return nil, fmt.Errorf("new smtp sender: unknown tls mode %q", cfg.TLS)
	}
	opts.Connections = defaults.PositiveOr(opts.Connections, DefaultConnections)
	opts.MessageTimeout = defaults.PositiveOr(opts.MessageTimeout, DefaultMessageTimeout)
	opts.DialTimeout = defaults.PositiveOr(opts.DialTimeout, DefaultDialTimeout)
	opts.SlowDownFor = defaults.PositiveOr(opts.SlowDownFor, DefaultSlowDownFor)
	if opts.RatePerSecond < 0 {
		return nil, fmt.Errorf("new smtp sender: negative rate %v", opts.RatePerSecond)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Build.DKIM != nil {
		if err := opts.Build.DKIM.Validate(); err != nil {
			return nil, fmt.Errorf("new smtp sender: %w", err)
		}
	}
	s := &Sender{
		cfg:  cfg,
		opts: opts,
		log:  opts.Logger.With("smtp_server", cfg.Addr()),
		tls: &tls.Config{
			ServerName:         cfg.Host,
			MinVersion:         tls.VersionTLS12,
			RootCAs:            opts.RootCAs,
			InsecureSkipVerify: opts.InsecureSkipVerify, //nolint:gosec // explicit test-only option
		},
		jobs:     make(chan *job),
		throttle: newThrottle(opts.RatePerSecond, opts.Connections, opts.SlowDownFor, opts.Now),
		stopped:  make(chan struct{}),
	}
	if _, err := s.newClient(); err != nil {
		return nil, fmt.Errorf("new smtp sender: %w", err)
	}
	return s, nil
}

// Start launches the pool workers. Connections are opened on first use and
// reopened when they drop. Workers stop when ctx ends or Close is called.
func (s *Sender) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return errors.New("start smtp sender: already started")
	}
	select {
	case <-s.stopped:
		return errors.New("start smtp sender: closed")
	default:
	}
	ctx, s.stop = context.WithCancel(ctx)
	s.runCtx = ctx
	s.running = true
	for i := range s.opts.Connections {
		s.wg.Add(1)
		go s.worker(ctx, i)
	}
	s.log.Info("smtp sender started", "connections", s.opts.Connections,
		"tls", string(s.cfg.TLS), "rate_per_second", s.opts.RatePerSecond)
	return nil
}

// Close stops the workers, waits for messages in flight (each bounded by
// MessageTimeout) and says QUIT on every open connection.
func (s *Sender) Close() error {
	s.mu.Lock()
	select {
	case <-s.stopped:
		s.mu.Unlock()
		return nil
	default:
	}
	close(s.stopped)
	if s.stop != nil {
		s.stop()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Rate returns the current send-rate limit in messages per second: the
// configured one, or less while a 421/454 slow-down lasts; +Inf when
// unlimited.
func (s *Sender) Rate() float64 {
	if r := s.throttle.current(); r != rate.Inf {
		return float64(r)
	}
	return math.Inf(1)
}

// Dials returns how many connections were opened so far (redials included).
func (s *Sender) Dials() int64 { return s.dials.Load() }

// Send builds msg and delivers it through a pool worker. It returns nil once
// the server accepted the message (250 after DATA). Errors wrap
// digest.ErrPermanent for unbuildable messages and for 5xx replies to RCPT
// TO, DATA or the message; every other error (4xx, network, timeout, ctx,
// connection set-up, a refused MAIL FROM) is temporary. An *SMTPError in
// the chain carries the reply code.
//
// Once a worker has taken the message, Send waits for its outcome even if
// ctx ends, so that a message the server accepted is never reported as
// failed (and sent again).
func (s *Sender) Send(ctx context.Context, m digest.Message) error {
	msg, err := renderMessage(m, s.opts.Build)
	if err != nil {
		return err
	}
	j := &job{ctx: ctx, msg: msg, id: m.MessageID, result: make(chan error, 1)}
	s.mu.Lock()
	running, runCtx := s.running, s.runCtx
	s.mu.Unlock()
	if !running {
		return fmt.Errorf("send message %s: %w", m.MessageID, ErrClosed)
	}
	// The message's bytes go back to the pool once no worker can hold
	// them: when the job was not taken, or after its outcome.
	defer msg.release()
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("send message %s: %w", m.MessageID, ctx.Err())
	case <-s.stopped:
		return fmt.Errorf("send message %s: %w", m.MessageID, ErrClosed)
	case <-runCtx.Done(): // Start's context ended without Close
		return fmt.Errorf("send message %s: %w", m.MessageID, ErrClosed)
	}
	return <-j.result
}

// Check opens one connection (greeting, EHLO, STARTTLS, AUTH) and closes it:
// a configuration test for `digest doctor` or a readiness probe.
func (s *Sender) Check(ctx context.Context) error {
	c, err := s.newClient()
	if err != nil {
		return err
	}
	w := &workerConn{s: s, client: c}
	if err := w.dial(ctx); err != nil {
		return fmt.Errorf("check smtp server %s: %w", s.cfg.Addr(), err)
	}
	w.close()
	return nil
}

func (s *Sender) worker(ctx context.Context, n int) {
	defer s.wg.Done()
	log := s.log.With("worker", n)
	c, err := s.newClient()
	if err != nil { // validated in NewSender; cannot happen
		log.Error("smtp worker cannot start", "error", err)
		return
	}
	w := &workerConn{s: s, client: c, log: log}
	defer w.close()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.jobs:
			j.result <- s.deliver(ctx, w, j)
		}
	}
}

// deliver sends one message on the worker's connection, dialling first if
// needed and once more if the connection turns out to be stale.
func (s *Sender) deliver(workerCtx context.Context, w *workerConn, j *job) error {
	ctx, cancel := context.WithCancel(j.ctx)
	defer cancel()
	defer context.AfterFunc(workerCtx, cancel)()

	if err := s.throttle.wait(ctx); err != nil {
		return fmt.Errorf("send message %s: wait for rate limit: %w", j.id, err)
	}
	for attempt := 0; ; attempt++ {
		fresh := false
		if w.conn != nil && s.opts.Now().Sub(w.lastUsed) > idleCheck {
			// Servers close idle connections; find out before starting a
			// transaction rather than by a failed MAIL.
			if err := w.conn.UpdateDeadline(s.opts.DialTimeout); err != nil || w.conn.Noop() != nil {
				w.log.Debug("idle smtp connection is gone; redialling")
				w.drop()
			}
		}
		if w.conn == nil {
			if err := w.dial(ctx); err != nil {
				return fmt.Errorf("send message %s: %w", j.id, err)
			}
			fresh = true
		}
		err := w.send(j.msg)
		w.lastUsed = s.opts.Now()
		if err == nil {
			s.throttle.record()
			return nil
		}
		se := classifySend(err)
		if !fresh && attempt == 0 && staleConn(err, se) {
			// The reused connection died before the transaction began (EOF,
			// or the "421 idle timeout" a server sends before closing):
			// nothing was sent, so try once more on a new connection.
			w.log.Debug("smtp connection went stale; redialling", "error", se)
			w.drop()
			continue
		}
		if se.dropsConn() {
			w.drop()
		} else if rerr := w.conn.Reset(); rerr != nil {
			// go-mail does not RSET after every failure (after a refused
			// DATA the transaction would stay open and the next MAIL get
			// "503 nested MAIL"), so reset here, or start afresh.
			w.drop()
		}
		if se.slowsDown() {
			s.slowDown(w.log, se)
		}
		return fmt.Errorf("send message %s: %w", j.id, wrapSMTP(se))
	}
}

// idleCheck is how long a connection may sit unused before a NOOP checks it.
// Under load there is no NOOP: each message costs MAIL, RCPT, DATA and the
// final dot, four round trips instead of go-mail's default seven.
const idleCheck = 2 * time.Second

// staleConn reports a failure at the very start of a transaction that means
// the connection, not the message, is broken.
func staleConn(err error, se *SMTPError) bool {
	var ge *sendError
	if !errors.As(err, &ge) {
		return false
	}
	switch ge.reason {
	case gomail.ErrConnCheck:
		return true
	case gomail.ErrSMTPMailFrom:
		return se.Code == 0 || se.Code == 421
	}
	return false
}

func (s *Sender) slowDown(log *slog.Logger, se *SMTPError) {
	if lim, changed := s.throttle.slowDown(); changed {
		log.Warn("smtp server asked to slow down; halving the send rate",
			"code", se.Code, "rate_per_second", float64(lim), "for", s.opts.SlowDownFor.String())
	}
}

// wrapSMTP makes a permanent SMTPError also wrap digest.ErrPermanent in its
// message chain.
func wrapSMTP(se *SMTPError) error {
	if se.Permanent {
		return fmt.Errorf("%w: %w", digest.ErrPermanent, se)
	}
	return se
}

// newClient makes the go-mail client holding one worker's settings. Each
// worker owns one, so that no go-mail state is shared between goroutines.
func (s *Sender) newClient() (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.opts.MessageTimeout),
		gomail.WithTLSConfig(s.tls),
		// deliver checks idle connections itself and resets after failures;
		// go-mail's NOOP before and NOOP+RSET after every message would
		// cost three extra round trips each. (The transaction itself is
		// workerConn.send's, on the connection this client dials.)
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	auth, err := authType(s.cfg)
	if err != nil {
		return nil, err
	}
	if auth != gomail.SMTPAuthNoAuth {
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("configure smtp client: %w", err)
	}
	return c, nil
}

// authType maps SMTPConfig.Auth to go-mail. Auto-discovery (not go-mail's
// "opportunistic" mode, which rewrites the client's auth type while holding
// only a read lock) picks the strongest mechanism the server offers and
// refuses cleartext PLAIN/LOGIN on an unencrypted connection.
func authType(cfg SMTPConfig) (gomail.SMTPAuthType, error) {
	switch cfg.Auth {
	case AuthAuto:
		if cfg.Username == "" {
			return gomail.SMTPAuthNoAuth, nil
		}
		return gomail.SMTPAuthAutoDiscover, nil
	case AuthNone:
		return gomail.SMTPAuthNoAuth, nil
	case AuthPlain:
		return gomail.SMTPAuthPlain, nil
	case AuthLogin:
		return gomail.SMTPAuthLogin, nil
	case AuthCRAM:
		return gomail.SMTPAuthCramMD5, nil
	case AuthSCRAM:
		return gomail.SMTPAuthSCRAMSHA256, nil
	case AuthSCRAM1:
		return gomail.SMTPAuthSCRAMSHA1, nil
	}
	return "", fmt.Errorf("unknown smtp auth %q", cfg.Auth)
}

// workerConn is one worker's connection; only its worker touches it.
type workerConn struct {
	s      *Sender
	client *gomail.Client
	conn   *smtp.Client
	log    *slog.Logger
	// lastUsed is when conn last carried a transaction.
	lastUsed time.Time
	// buf holds the dot-stuffed message being written, kept for the next.
	buf []byte
}

func (w *workerConn) dial(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.s.opts.DialTimeout)
	defer cancel()
	w.s.dials.Add(1)
	c, err := w.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		se := classifyConnect(err)
		if se.slowsDown() {
			w.s.slowDown(w.logger(), se)
		}
		w.logger().Warn("smtp connect failed", "error", se)
		return se
	}
	w.conn = c
	w.lastUsed = w.s.opts.Now()
	w.logger().Debug("smtp connection open")
	return nil
}

// send runs one transaction (MAIL, RCPT, DATA, the message, the final
// dot) on go-mail's SMTP client, as go-mail's SendWithSMTPClient does, but
// with the message already rendered (renderMessage) and dot-stuffed here:
// textproto's DotWriter, behind go-mail's DATA writer, goes byte by byte.
// Errors are *sendError, named by go-mail's stages.
func (w *workerConn) send(msg *wireMessage) error {
	c := w.conn
	// Start the per-message clock now.
	if !c.HasConnection() {
		return &sendError{reason: gomail.ErrConnCheck, err: gomail.ErrNoActiveConnection}
	}
	if err := c.UpdateDeadline(w.s.opts.MessageTimeout); err != nil {
		return &sendError{reason: gomail.ErrConnCheck, err: err}
	}
	if ok, _ := c.Extension("PIPELINING"); ok {
		return w.sendPipelined(c, msg)
	}
	if err := c.Mail(msg.from); err != nil {
		return &sendError{reason: gomail.ErrSMTPMailFrom, err: err}
	}
	if err := c.Rcpt(msg.to); err != nil {
		return &sendError{reason: gomail.ErrSMTPRcptTo, err: err}
	}
	dw, err := c.Data()
	if err != nil {
		return &sendError{reason: gomail.ErrSMTPData, err: err}
	}
	if err := w.writeData(c, dw, msg.data); err != nil {
		return &sendError{reason: gomail.ErrWriteContent, err: err}
	}
	// Close writes the final dot and waits for the server's reply.
	if err := dw.Close(); err != nil {
		return &sendError{reason: gomail.ErrSMTPDataClose, err: err}
	}
	return nil
}

// sendPipelined runs the transaction as RFC 2920 allows when the server
// offers PIPELINING: MAIL, RCPT and DATA in one write and their three
// replies read together, then the message and its final dot in one write
// and the reply: two round trips per message instead of four (half the
// waiting on a distant relay, and half the system calls). The commands are
// those go-mail's Client.Mail and Client.Rcpt send (BODY=8BITMIME and
// SMTPUTF8 when offered; no DSN), written on its connection.
//
// Every reply is read, so the stream stays in step whatever fails; the
// first failure is the one returned. A server that answers DATA with 354
// although MAIL or RCPT failed gets an empty message, the lone dot, whose
// reply is read and ignored: nothing is delivered.
func (w *workerConn) sendPipelined(c *smtp.Client, msg *wireMessage) error {
	if strings.ContainsAny(msg.from+msg.to, "\r\n") {
		return &sendError{reason: gomail.ErrSMTPMailFrom, err: errors.New("line break in an envelope address")}
	}
	mail := "MAIL FROM:" + msg.from
	if ok, _ := c.Extension("8BITMIME"); ok {
		mail += " BODY=8BITMIME"
	}
	if ok, _ := c.Extension("SMTPUTF8"); ok {
		mail += " SMTPUTF8"
	}
	t := c.Text
	if _, err := t.W.WriteString(mail + "\r\nRCPT TO:" + msg.to + "\r\nDATA\r\n"); err != nil {
		return &sendError{reason: gomail.ErrSMTPMailFrom, err: err}
	}
	if err := t.W.Flush(); err != nil {
		return &sendError{reason: gomail.ErrSMTPMailFrom, err: err}
	}
	steps := [...]struct {
		reason gomail.SendErrReason
		code   int
	}{{gomail.ErrSMTPMailFrom, 250}, {gomail.ErrSMTPRcptTo, 25}, {gomail.ErrSMTPData, 354}}
	var first *sendError
	dataOK := false
	for _, st := range steps {
		_, _, err := t.ReadResponse(st.code)
		if err == nil {
			dataOK = st.reason == gomail.ErrSMTPData
			continue
		}
		if first == nil {
			first = &sendError{reason: st.reason, err: err}
		}
		var te *textproto.Error
		if !errors.As(err, &te) {
			return first // the connection broke: no more replies to read
		}
	}
	if first != nil {
		if dataOK {
			_, _ = t.W.WriteString(".\r\n")
			if err := t.W.Flush(); err == nil {
				_, _, _ = t.ReadResponse(0)
			}
		}
		return first
	}
	w.buf = appendDotMessage(w.buf[:0], msg.data)
	if _, err := t.W.Write(w.buf); err != nil {
		return &sendError{reason: gomail.ErrWriteContent, err: err}
	}
	if err := t.W.Flush(); err != nil {
		return &sendError{reason: gomail.ErrWriteContent, err: err}
	}
	if _, _, err := t.ReadResponse(250); err != nil {
		return &sendError{reason: gomail.ErrSMTPDataClose, err: err}
	}
	return nil
}

// writeData writes data after DATA. All but its last line are dot-stuffed
// here (appendDotStuffed, the same bytes textproto's DotWriter makes) and
// written straight to the connection's buffered writer, in one write
// system call for a message larger than the buffer; the last line goes
// through dw, go-mail's DATA writer, which thus sees a line start and ends
// the message as it always does (".\r\n", or "\r\n.\r\n" after a line
// without its CRLF).
func (w *workerConn) writeData(c *smtp.Client, dw io.Writer, data []byte) error {
	cut := 0
	if len(data) > 1 {
		cut = bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	}
	if cut > 0 {
		w.buf = appendDotStuffed(w.buf[:0], data[:cut])
		if _, err := c.Text.W.Write(w.buf); err != nil {
			return err
		}
	}
	_, err := dw.Write(data[cut:])
	return err
}

// drop closes the connection without QUIT: after a timeout or a broken
// stream the server may never answer it.
func (w *workerConn) drop() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// close says QUIT with a short deadline, then closes.
func (w *workerConn) close() {
	if w.conn == nil {
		return
	}
	_ = w.conn.UpdateDeadline(5 * time.Second)
	_ = w.conn.Quit()
	w.drop()
}

func (w *workerConn) logger() *slog.Logger {
	if w.log == nil {
		return w.s.log
	}
	return w.log
}

// throttle is the pool-wide rate limit, halved for a while when the server
// pushes back.
type throttle struct {
	lim   *rate.Limiter
	base  rate.Limit
	floor rate.Limit
	slow  time.Duration
	now   func() time.Time

	mu          sync.Mutex
	until       time.Time
	windowStart time.Time
	windowSent  int
	lastRate    float64
}

func newThrottle(perSecond float64, burst int, slow time.Duration, now func() time.Time) *throttle {
	base := rate.Inf
	if perSecond > 0 {
		base = rate.Limit(perSecond)
	}
	return &throttle{
		lim:   rate.NewLimiter(base, burst),
		base:  base,
		floor: 0.5,
		slow:  slow,
		now:   now,
	}
}

func (t *throttle) wait(ctx context.Context) error {
	t.restore()
	return t.lim.Wait(ctx)
}

// restore returns to the configured rate once a slow-down has run out.
func (t *throttle) restore() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.until.IsZero() && t.now().After(t.until) {
		t.until = time.Time{}
		t.lim.SetLimit(t.base)
	}
}

func (t *throttle) current() rate.Limit {
	t.restore()
	return t.lim.Limit()
}

// record counts a sent message, to know the real rate when the configured
// one is unlimited.
func (t *throttle) record() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.windowStart.IsZero() {
		t.windowStart = now
	}
	t.windowSent++
	if el := now.Sub(t.windowStart); el >= 2*time.Second {
		t.lastRate = float64(t.windowSent) / el.Seconds()
		t.windowStart, t.windowSent = now, 0
	}
}

// slowDown halves the current rate for t.slow from now, down to a floor.
// When the configured rate is unlimited it halves the rate observed so far,
// or starts from one message per second per connection when there is no
// observation yet.
func (t *throttle) slowDown() (rate.Limit, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	cur := t.lim.Limit()
	if cur == rate.Inf {
		observed := t.lastRate
		if el := now.Sub(t.windowStart).Seconds(); observed == 0 && !t.windowStart.IsZero() && el >= 1 {
			observed = float64(t.windowSent) / el
		}
		if observed == 0 {
			observed = float64(t.lim.Burst())
		}
		cur = rate.Limit(observed)
	}
	next := max(cur/2, t.floor)
	t.until = now.Add(t.slow)
	changed := next != t.lim.Limit()
	t.lim.SetLimit(next)
	return next, changed
}
