package mailtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail"
)

// startKeepingLeanSink starts a lean sink that keeps message bytes, so a
// test can compare what arrived with what was sent.
func startKeepingLeanSink(t *testing.T, pipelining bool) *LeanSink {
	t.Helper()
	s := StartLeanSink(t)
	s.mu.Lock()
	s.keep, s.kept, s.noPipelining = true, map[string][]byte{}, !pipelining
	s.mu.Unlock()
	return s
}

func (s *LeanSink) keptMessage(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kept[id]
}

// trickyBodies are message bodies whose lines test dot-stuffing and the
// line reader: leading dots, a lone dot inside the body, bare LFs before a
// dot, and lines around the reader's 64 KB buffer, one of whose CRLF is
// split across two reads.
func trickyBodies() []string {
	long := func(n int) string { return strings.Repeat("x", n) }
	return []string{
		"body line\r\n.leading dot\r\n",
		".\r\n..\r\n...\r\n. space\r\n",
		"a\n.\r\nafter bare LF\r\n",
		"no final line break",
		"." + long(70000) + "\r\n.next\r\n",
		long(65535) + "\r\n.after split CRLF\r\n",
		long(65534) + "\r\n.x\r\n" + long(65536) + "\r\n.y\r\n",
		"\r\n",
	}
}

func TestLeanSink_NetSMTPDotUnstuffing(t *testing.T) {
	s := startKeepingLeanSink(t, true)
	for i, body := range trickyBodies() {
		id := fmt.Sprintf("tricky-%d@example.com", i)
		msg := "Subject: t\r\nmessage-id:  <" + id + ">\r\n\r\n" + body
		if err := smtp.SendMail(s.Addr, nil, "a@example.com", []string{"b@example.com"}, []byte(msg)); err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		// net/smtp's DotWriter writes a bare LF as CRLF and ends a message
		// without a final line break with one.
		want := strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\n", "\r\n")
		if !strings.HasSuffix(want, "\r\n") {
			want += "\r\n"
		}
		if got := s.keptMessage(id); string(got) != want {
			t.Errorf("body %d: received %d bytes, want %d; differs at %d", i, len(got), len(want), firstDiff(got, []byte(want)))
		}
	}
	if n := len(trickyBodies()); s.Total() != n || len(s.IDs()) != n {
		t.Errorf("total %d, distinct %d, want %d", s.Total(), len(s.IDs()), n)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestLeanSink_MatchesSink sends the same messages to Sink (go-smtp) and
// LeanSink and compares their counts: the sink process's figures mean
// the same as before.
func TestLeanSink_MatchesSink(t *testing.T) {
	ref := StartSink(t, SinkOptions{DiscardBodies: true})
	lean := StartLeanSink(t)
	// go-smtp refuses lines over its line limit: leave out the long ones.
	bodies := append(trickyBodies()[:4], "\r\n", ".only a dot line\r\n")
	send := func(addr string) {
		for i, body := range bodies {
			// Two messages share an ID, one has none.
			hdr := fmt.Sprintf("Message-ID: <m-%d@example.com>\r\n", i%5)
			if i == 3 {
				hdr = ""
			}
			if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com"}, []byte(hdr+"Subject: s\r\n\r\n"+body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(ref.Addr)
	send(lean.Addr)
	if ref.Total() != lean.Total() || ref.Bytes() != lean.Bytes() || fmt.Sprint(ref.IDs()) != fmt.Sprint(lean.IDs()) {
		t.Errorf("lean sink: %d messages, %d bytes, ids %v; go-smtp sink: %d, %d, %v",
			lean.Total(), lean.Bytes(), lean.IDs(), ref.Total(), ref.Bytes(), ref.IDs())
	}
}

func TestLeanSink_GoMailClient(t *testing.T) {
	s := startKeepingLeanSink(t, true)
	host, port, _ := net.SplitHostPort(s.Addr)
	p, _ := strconv.Atoi(port)
	c, err := gomail.NewClient(host, gomail.WithPort(p), gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithHELO("client.test"))
	if err != nil {
		t.Fatal(err)
	}
	var sent [][]byte
	for i, body := range trickyBodies()[:4] {
		m := gomail.NewMsg()
		if err := m.From("a@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := m.To("b@example.com"); err != nil {
			t.Fatal(err)
		}
		m.SetMessageIDWithValue(fmt.Sprintf("gomail-%d@example.com", i))
		m.SetDate()
		m.Subject("s")
		m.SetBodyString(gomail.TypeTextPlain, body)
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, buf.Bytes())
		if err := c.DialAndSend(m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	for i, want := range sent {
		got := s.keptMessage(fmt.Sprintf("gomail-%d@example.com", i))
		if !bytes.Equal(bytes.TrimRight(got, "\r\n"), bytes.TrimRight(want, "\r\n")) {
			t.Errorf("message %d: received %q\nsent %q", i, got, want)
		}
	}
	if s.Total() != len(sent) {
		t.Errorf("total %d, want %d", s.Total(), len(sent))
	}
}

func TestLeanSink_DigestSender(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			lean := startKeepingLeanSink(t, pipelining)
			ref := StartSink(t, SinkOptions{})
			const n = 40
			for _, addr := range []string{lean.Addr, ref.Addr} {
				host, port, _ := net.SplitHostPort(addr)
				p, _ := strconv.Atoi(port)
				snd, err := mail.NewSender(mail.SMTPConfig{Host: host, Port: p, TLS: mail.TLSNone}, mail.SenderOptions{Connections: 4})
				if err != nil {
					t.Fatal(err)
				}
				if err := snd.Start(context.Background()); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						m := digest.Message{
							From: "digest@example.com", To: fmt.Sprintf("u%02d@example.org", i), Subject: "Digest",
							MessageID: fmt.Sprintf("d%d@example.com", i%(n/2)),
							Date:      time.Date(2026, 1, 2, 7, 0, 0, 0, time.UTC),
							Text:      "Today\n.a line with a leading dot\n.\n" + strings.Repeat("y", 2000) + "\n",
						}
						if err := snd.Send(context.Background(), m); err != nil {
							t.Errorf("send %d: %v", i, err)
						}
					})
				}
				wg.Wait()
				_ = snd.Close()
			}
			if lean.Total() != n || len(lean.IDs()) != n/2 || lean.Bytes() != ref.Bytes() {
				t.Errorf("lean sink: %d messages, %d distinct, %d bytes; want %d, %d, %d bytes (go-smtp sink)",
					lean.Total(), len(lean.IDs()), lean.Bytes(), n, n/2, ref.Bytes())
			}
			for _, m := range ref.Messages() {
				if got := lean.keptMessage(m.MessageID); len(got) != m.Size || !bytes.Contains(got, []byte("\r\n.a line with a leading dot")) {
					t.Errorf("%s: lean sink kept %d bytes, go-smtp %d; leading-dot line intact: %v", m.MessageID, len(got), m.Size, bytes.Contains(got, []byte("\r\n.a line")))
				}
			}
		})
	}
}

func TestLeanSink_Concurrent(t *testing.T) {
	s := StartLeanSink(t)
	const conns, per = 16, 10
	var wg sync.WaitGroup
	for g := range conns {
		wg.Go(func() {
			c, err := smtp.Dial(s.Addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer func() { _ = c.Quit() }()
			for i := range per {
				msg := fmt.Sprintf("Message-ID: <c%d-%d@example.com>\r\n\r\n.dot\r\n", g, i)
				if err := c.Mail("a@example.com"); err != nil {
					t.Error(err)
					return
				}
				if err := c.Rcpt("b@example.com"); err != nil {
					t.Error(err)
					return
				}
				w, err := c.Data()
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = w.Write([]byte(msg))
				if err := w.Close(); err != nil {
					t.Error(err)
					return
				}
				_ = s.stats() // read while others write
			}
		})
	}
	wg.Wait()
	wantBytes := int64(0)
	for g := range conns {
		for i := range per {
			wantBytes += int64(len(fmt.Sprintf("Message-ID: <c%d-%d@example.com>\r\n\r\n.dot\r\n", g, i)))
		}
	}
	if st := s.stats(); st.Total != conns*per || st.Distinct != conns*per || st.Bytes != wantBytes {
		t.Errorf("stats %+v, want %d messages, %d distinct, %d bytes", st, conns*per, conns*per, wantBytes)
	}
}

// TestLeanSink_Protocol drives the sink with raw commands: pipelined
// MAIL, RCPT and DATA in one write, commands out of order, RSET, NOOP,
// an unknown command, HELO, an oversized message and QUIT.
func TestLeanSink_Protocol(t *testing.T) {
	s := StartLeanSink(t)
	nc, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = nc.Close() }()
	tp := textproto.NewConn(nc)
	expect := func(code int) string {
		t.Helper()
		_, msg, err := tp.ReadResponse(code)
		if err != nil {
			t.Fatalf("want %d: %v", code, err)
		}
		return msg
	}
	send := func(s string) {
		t.Helper()
		if _, err := nc.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	expect(220)
	send("MAIL FROM:<a@example.com>\r\n")
	expect(503)
	send("EHLO client.test\r\n")
	if msg := expect(250); !strings.Contains(msg, "PIPELINING") || !strings.Contains(msg, "8BITMIME") {
		t.Errorf("EHLO reply %q lacks PIPELINING or 8BITMIME", msg)
	}
	send("RCPT TO:<b@example.com>\r\nDATA\r\nNOOP\r\nXYZZY\r\n")
	expect(502)
	expect(502)
	expect(250)
	expect(502)
	send("MAIL FROM:<a@example.com> BODY=8BITMIME\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	expect(250)
	expect(250)
	expect(354)
	// A dot after a bare LF is data, as in go-smtp: the message goes on.
	send("Message-ID: <p@example.com>\r\n\r\n..x\r\na\n.\r\n.\r\nMAIL FROM:<a@example.com>\r\nRSET\r\nRCPT TO:<b@example.com>\r\n")
	expect(250)
	expect(250)
	expect(250)
	expect(502)
	send("HELO client.test\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	expect(250)
	expect(250)
	expect(250)
	expect(354)
	big := strings.Repeat(strings.Repeat("z", 998)+"\r\n", leanMaxMessageBytes/1000+1)
	send("Message-ID: <big@example.com>\r\n\r\n" + big + ".\r\nQUIT\r\n")
	expect(552)
	expect(221)
	if s.Total() != 1 || s.IDs()["p@example.com"] != 1 || s.Bytes() != int64(len("Message-ID: <p@example.com>\r\n\r\n.x\r\na\n.\r\n")) {
		t.Errorf("total %d, ids %v, bytes %d", s.Total(), s.IDs(), s.Bytes())
	}
	if _, err := bufio.NewReader(nc).ReadByte(); err == nil {
		t.Error("connection still open after QUIT")
	}
}
