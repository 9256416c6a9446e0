package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// msgN is a small message to user<n>@example.org with a unique Message-ID.
func msgN(n int) digest.Message {
	m := testMessage()
	m.To = fmt.Sprintf("user%d@example.org", n)
	m.MessageID = fmt.Sprintf("digest.test.%d@digest.example.com", n)
	return m
}

func configFor(t testing.TB, addr string, mode TLSMode) SMTPConfig {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return SMTPConfig{Host: host, Port: p, TLS: mode}
}

func startSender(t testing.TB, cfg SMTPConfig, opts SenderOptions) *Sender {
	t.Helper()
	s, err := NewSender(cfg, opts)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSender_SendPool(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	s := startSender(t, configFor(t, sink.Addr, TLSNone), SenderOptions{Connections: 4})

	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 20 {
				errs <- s.Send(context.Background(), msgN(i))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	ids := sink.IDs()
	for i := range n {
		if c := ids[msgN(i).MessageID]; c != 1 {
			t.Errorf("%s arrived %d times, want once", msgN(i).MessageID, c)
		}
	}
	if len(ids) != n {
		t.Errorf("sink has %d distinct ids, want %d", len(ids), n)
	}
	if c := sink.Connections(); c < 1 || c > 4 {
		t.Errorf("%d connections, want 1..4 (one per worker)", c)
	}
	for _, m := range sink.Messages()[:5] {
		if len(m.To) != 1 || !strings.HasPrefix(m.To[0], "user") || m.From != "digest@example.com" {
			t.Errorf("envelope from %q to %v", m.From, m.To)
		}
	}
}

func TestSender_StartTLSWithAuth(t *testing.T) {
	srvTLS, pool := mailtest.SelfSignedTLS(t)
	sink := mailtest.StartSink(t, mailtest.SinkOptions{TLS: srvTLS, Username: "digest", Password: "pw-123"})
	cfg := configFor(t, sink.Addr, TLSStartTLS)
	cfg.Username, cfg.Password = "digest", "pw-123"
	s := startSender(t, cfg, SenderOptions{RootCAs: pool, Connections: 2})
	for i := range 5 {
		if err := s.Send(context.Background(), msgN(i)); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if sink.Total() != 5 {
		t.Errorf("sink received %d, want 5", sink.Total())
	}
}

func TestSender_TLSPolicy(t *testing.T) {
	srvTLS, pool := mailtest.SelfSignedTLS(t)
	plain := mailtest.StartSink(t, mailtest.SinkOptions{})
	implicit := mailtest.StartSink(t, mailtest.SinkOptions{TLS: srvTLS, ImplicitTLS: true})
	starttls := mailtest.StartSink(t, mailtest.SinkOptions{TLS: srvTLS})
	tests := []struct {
		name    string
		sink    *mailtest.Sink
		mode    TLSMode
		opts    SenderOptions
		wantErr bool
	}{
		{"starttls required but not offered", plain, TLSStartTLS, SenderOptions{}, true},
		{"opportunistic falls back to plain", plain, TLSOpportunistic, SenderOptions{}, false},
		{"opportunistic upgrades", starttls, TLSOpportunistic, SenderOptions{RootCAs: pool}, false},
		{"implicit tls", implicit, TLSImplicit, SenderOptions{RootCAs: pool}, false},
		{"implicit tls, untrusted certificate", implicit, TLSImplicit, SenderOptions{}, true},
		{"starttls, untrusted certificate", starttls, TLSStartTLS, SenderOptions{}, true},
		{"starttls, verification off for tests", starttls, TLSStartTLS, SenderOptions{InsecureSkipVerify: true}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.sink.Total()
			s := startSender(t, configFor(t, tt.sink.Addr, tt.mode), tt.opts)
			err := s.Send(context.Background(), msgN(i))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && digest.IsPermanent(err) {
				t.Errorf("a connection-level failure must be temporary: %v", err)
			}
			if got := tt.sink.Total() - before; got != map[bool]int{true: 0, false: 1}[tt.wantErr] {
				t.Errorf("sink received %d messages", got)
			}
		})
	}
}

func TestSender_SecretsNeverLogged(t *testing.T) {
	const secret = "wrong-s3cret-value"
	srvTLS, pool := mailtest.SelfSignedTLS(t)
	sink := mailtest.StartSink(t, mailtest.SinkOptions{TLS: srvTLS, Username: "digest", Password: "right"})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := configFor(t, sink.Addr, TLSStartTLS)
	cfg.Username, cfg.Password = "digest", secret
	s := startSender(t, cfg, SenderOptions{RootCAs: pool, Logger: logger})
	err := s.Send(context.Background(), msgN(1))
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	if sink.AuthFailures() == 0 {
		t.Fatalf("the server saw no AUTH attempt; error: %v", err)
	}
	if digest.IsPermanent(err) {
		t.Errorf("an AUTH failure is the relay's configuration, not the recipient's: want temporary, got %v", err)
	}
	_ = s.Close()
	plainAuth := base64.StdEncoding.EncodeToString([]byte("\x00digest\x00" + secret))
	for what, text := range map[string]string{"error": err.Error(), "logs": logs.String(), "config": fmt.Sprint(cfg), "config %+v": fmt.Sprintf("%+v", s.cfg.String())} {
		if strings.Contains(text, secret) || strings.Contains(text, plainAuth) {
			t.Errorf("%s contain the password: %s", what, text)
		}
	}
	if !strings.Contains(logs.String(), "smtp connect failed") {
		t.Errorf("the failure was not logged: %s", logs.String())
	}
}

func TestSender_Lifecycle(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	s, err := NewSender(configFor(t, sink.Addr, TLSNone), SenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), msgN(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send before Start = %v, want ErrClosed", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	if err := s.Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
	if err := s.Send(context.Background(), msgN(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), msgN(3)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
	if sink.Count(msgN(2).MessageID) != 1 || sink.Count(msgN(3).MessageID) != 0 {
		t.Errorf("sink ids = %v", sink.IDs())
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSender_InvalidMessageIsPermanent(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	s := startSender(t, configFor(t, sink.Addr, TLSNone), SenderOptions{})
	m := msgN(1)
	m.To = "nobody"
	if err := s.Send(context.Background(), m); !digest.IsPermanent(err) {
		t.Errorf("Send = %v, want permanent", err)
	}
	if sink.Connections() != 0 {
		t.Errorf("an unbuildable message opened a connection")
	}
}

func TestSender_ContextEndsWhileQueued(t *testing.T) {
	busy := make(chan struct{})
	release := make(chan struct{})
	sink := mailtest.StartSink(t, mailtest.SinkOptions{Rcpt: func(to string) error {
		if to == "user1@example.org" {
			close(busy)
			<-release // hold the only connection until message 2 gave up
		}
		return nil
	}})
	s := startSender(t, configFor(t, sink.Addr, TLSNone), SenderOptions{Connections: 1})
	first := make(chan error, 1)
	go func() { first <- s.Send(context.Background(), msgN(1)) }()
	<-busy
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := s.Send(ctx, msgN(2))
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) || digest.IsPermanent(err) {
		t.Errorf("queued Send = %v, want a temporary deadline error", err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if sink.Count(msgN(2).MessageID) != 0 || sink.Count(msgN(1).MessageID) != 1 {
		t.Errorf("sink ids = %v, want only message 1", sink.IDs())
	}
}

func TestSender_RateLimit(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{DiscardBodies: true})
	s := startSender(t, configFor(t, sink.Addr, TLSNone), SenderOptions{Connections: 2, RatePerSecond: 40})
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 42 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Send(context.Background(), msgN(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// 42 messages at 40/s with a burst of 2 need at least one second: a
	// lower bound, which no slow machine can break.
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("42 messages at 40/s took %v", el)
	}
	if sink.Total() != 42 {
		t.Errorf("sink received %d", sink.Total())
	}
}

func TestSender_SlowDownOn421And454(t *testing.T) {
	for _, reply := range []string{"421 4.7.0 too many messages, slow down", "454 4.7.0 rate limited"} {
		t.Run(reply[:3], func(t *testing.T) {
			srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{Rules: map[string]mailtest.Rule{
				"user1@example.org": {Stage: mailtest.AtRcpt, Reply: reply},
			}})
			var now atomic.Int64
			now.Store(time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC).UnixNano())
			clock := func() time.Time { return time.Unix(0, now.Load()) }
			s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{
				Connections: 1, RatePerSecond: 100, SlowDownFor: time.Minute, Now: clock,
			})
			err := s.Send(context.Background(), msgN(1))
			var se *SMTPError
			if !errors.As(err, &se) || se.Code != mustAtoi(reply[:3]) || digest.IsPermanent(err) {
				t.Fatalf("Send = %v, want a temporary %s", err, reply[:3])
			}
			if r := s.Rate(); r != 50 {
				t.Errorf("rate after %s = %v, want 50", reply[:3], r)
			}
			if err := s.Send(context.Background(), msgN(2)); err != nil {
				t.Fatalf("next message: %v", err)
			}
			now.Add(int64(2 * time.Minute))
			if r := s.Rate(); r != 100 {
				t.Errorf("rate after the slow-down window = %v, want 100", r)
			}
		})
	}
}

func TestSender_SlowDownWhenUnlimited(t *testing.T) {
	srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{Greetings: []string{"421 4.3.2 busy"}})
	s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{Connections: 1})
	if r := s.Rate(); !math.IsInf(r, 1) {
		t.Fatalf("rate = %v, want unlimited", r)
	}
	err := s.Send(context.Background(), msgN(1))
	if err == nil || digest.IsPermanent(err) {
		t.Fatalf("Send against a 421 greeting = %v, want temporary", err)
	}
	if r := s.Rate(); math.IsInf(r, 1) || r <= 0 {
		t.Errorf("rate after a 421 greeting = %v, want a finite limit", r)
	}
	if err := s.Send(context.Background(), msgN(2)); err != nil {
		t.Errorf("the next connection is greeted normally, Send = %v", err)
	}
}

func TestSender_RedialsDroppedConnection(t *testing.T) {
	tests := []struct {
		name       string
		closeReply string
		idle       time.Duration // fake time between messages
	}{
		{"closed, found by MAIL", "", 0},
		{"421 idle timeout, found by MAIL", "421 4.4.2 idle timeout, bye", 0},
		{"closed while idle, found by NOOP", "", 3 * time.Second},
	}
	for _, tt := range tests {
		for _, noPipe := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/pipelining=%v", tt.name, !noPipe), func(t *testing.T) {
				srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{CloseAfter: 2, CloseReply: tt.closeReply, NoPipelining: noPipe})
				var now atomic.Int64
				clock := func() time.Time { return time.Unix(0, now.Load()) }
				s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{Connections: 1, RatePerSecond: 1000, Now: clock})
				for i := range 7 {
					if err := s.Send(context.Background(), msgN(i)); err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					time.Sleep(5 * time.Millisecond) // let the server close
					now.Add(int64(tt.idle))
				}
				got := srv.Delivered()
				for i := range 7 {
					if got[msgN(i).MessageID] != 1 {
						t.Errorf("%s delivered %d times", msgN(i).MessageID, got[msgN(i).MessageID])
					}
				}
				if srv.Connections() != 4 || s.Dials() != 4 {
					t.Errorf("connections = %d, dials = %d; want 4 (two messages per connection)", srv.Connections(), s.Dials())
				}
				if r := s.Rate(); r != 1000 {
					t.Errorf("a stale connection's 421 changed the rate to %v", r)
				}
			})
		}
	}
}

// TestSender_ResetsAfterRefusedData checks that a refused DATA command does
// not leave the transaction open for the next message on the connection
// (which a strict server would answer "503 nested MAIL").
func TestSender_ResetsAfterRefusedData(t *testing.T) {
	for _, noPipe := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", !noPipe), func(t *testing.T) { testResetsAfterRefusedData(t, noPipe) })
	}
}

func testResetsAfterRefusedData(t *testing.T, noPipelining bool) {
	srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{Rules: map[string]mailtest.Rule{
		"user1@example.org": {Stage: mailtest.AtData, Reply: "451 4.3.0 try later"},
		"user2@example.org": {Stage: mailtest.AtData, Reply: "554 5.6.0 no"},
	}, NoPipelining: noPipelining})
	s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{Connections: 1})
	for i, wantPerm := range map[int]bool{1: false, 2: true} {
		if err := s.Send(context.Background(), msgN(i)); err == nil || digest.IsPermanent(err) != wantPerm {
			t.Errorf("message %d: %v, want permanent=%v", i, err, wantPerm)
		}
		if err := s.Send(context.Background(), msgN(10+i)); err != nil {
			t.Errorf("the message after a refused DATA: %v", err)
		}
	}
	if srv.Connections() != 1 {
		t.Errorf("%d connections, want the one kept open", srv.Connections())
	}
}

func TestSender_DKIMOverSMTP(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	pemKey, pub := rsaKeyPEM(t)
	s := startSender(t, configFor(t, sink.Addr, TLSNone), SenderOptions{
		Build: BuildOptions{DKIM: &DKIMConfig{Domain: "example.com", Selector: "d1", PrivateKeyPEM: pemKey}},
	})
	if err := s.Send(context.Background(), msgN(1)); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if _, err := dkimVerify(msgs[0].Data, pub); err != nil {
		t.Errorf("signature of the delivered message does not verify: %v", err)
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func TestSender_StartContextEnds(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	s, err := NewSender(configFor(t, sink.Addr, TLSNone), SenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan error, 1)
	go func() { done <- s.Send(context.Background(), msgN(1)) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Send after the run context ended = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Send blocked after the run context ended")
	}
	_ = s.Close()
}

func TestSender_MailFromRefusedIsTemporary(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{Username: "u", Password: "p", AllowInsecureAuth: true})
	// No credentials: the sink answers MAIL FROM with 502 "authenticate first".
	s := startSender(t, configFor(t, sink.Addr, TLSNone), SenderOptions{})
	err := s.Send(context.Background(), msgN(1))
	var se *SMTPError
	if !errors.As(err, &se) || se.Code < 500 || digest.IsPermanent(err) {
		t.Errorf("Send = %v, want a temporary error carrying the 5xx", err)
	}
}

// TestSender_BytesArriveUnchanged sends messages whose lines start with
// dots, through the sender's own dot-stuffing, and compares what the sink
// read back (go-smtp undoes the stuffing) with the rendered bytes.
func TestSender_BytesArriveUnchanged(t *testing.T) {
	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	s := startSender(t, configFor(t, sink.Addr, TLSNone), SenderOptions{Connections: 2})
	dots := strings.Repeat(".leading dot\r\n..two dots\n.\r\nmid . dot\r\n", 300)
	cases := []struct{ text, html string }{
		{dots, "<p>\n." + dots + "</p>"},
		{"ends without a newline\n.", ""},
		{"", ".only html, no newline at the end"},
		{strings.Repeat("x", 5000), strings.Repeat("<b>é</b>", 3000)},
	}
	for i, c := range cases {
		m := msgN(i)
		m.Text, m.HTML = c.text, c.html
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		w, err := renderMessage(m, BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := w.data
		if !bytes.HasSuffix(want, []byte("\r\n")) {
			want = append(want, '\r', '\n') // SMTP ends the data with CRLF.
		}
		got := sink.Messages()[i].Data
		if !bytes.Equal(got, want) {
			t.Errorf("message %d: the sink read %d bytes, want the %d rendered", i, len(got), len(want))
		}
	}
}

// TestSender_PipelinedDataAfterRefusedRcpt: with pipelining, DATA is sent
// before RCPT's reply is known; a server that answers it with 354 although
// the recipient was refused gets an empty message (the lone dot), the
// refusal is what Send reports, and the connection goes on.
func TestSender_PipelinedDataAfterRefusedRcpt(t *testing.T) {
	srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{
		Rules:                 map[string]mailtest.Rule{"user1@example.org": {Stage: mailtest.AtRcpt, Reply: "550 5.1.1 no such user"}},
		DataWithoutRecipients: true,
	})
	s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{Connections: 1})
	err := s.Send(context.Background(), msgN(1))
	var se *SMTPError
	if !errors.As(err, &se) || se.Code != 550 || !digest.IsPermanent(err) {
		t.Errorf("refused recipient: %v, want a permanent 550", err)
	}
	if err := s.Send(context.Background(), msgN(2)); err != nil {
		t.Errorf("the next message: %v", err)
	}
	got := srv.Delivered()
	if got[msgN(1).MessageID] != 0 || got[msgN(2).MessageID] != 1 || len(got) != 1 {
		t.Errorf("delivered %v, want only %s once", got, msgN(2).MessageID)
	}
	if srv.Connections() != 1 {
		t.Errorf("%d connections, want the one kept open", srv.Connections())
	}
}
