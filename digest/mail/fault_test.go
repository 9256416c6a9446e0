package mail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// outcome is what the caller saw for one message over all its attempts.
type outcome struct {
	attempts  int
	permanent bool
	lastErr   error
	sent      bool
}

// deliverWithRetries plays the engine: it sends every message, retries the
// temporary failures in later rounds and never retries a permanent one.
func deliverWithRetries(ctx context.Context, t *testing.T, s *Sender, msgs []digest.Message, rounds int) map[string]*outcome {
	t.Helper()
	out := map[string]*outcome{}
	pending := msgs
	for round := 0; round < rounds && len(pending) > 0; round++ {
		var (
			mu   sync.Mutex
			next []digest.Message
			wg   sync.WaitGroup
		)
		for _, m := range pending {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Send(ctx, m)
				mu.Lock()
				defer mu.Unlock()
				o := out[m.To]
				if o == nil {
					o = &outcome{}
					out[m.To] = o
				}
				o.attempts++
				o.lastErr = err
				switch {
				case err == nil:
					o.sent = true
				case digest.IsPermanent(err):
					o.permanent = true
				default:
					next = append(next, m)
				}
			}()
		}
		wg.Wait()
		pending = next
	}
	return out
}

func messageTo(addr string) digest.Message {
	m := testMessage()
	m.To = addr
	m.MessageID = "digest.fault." + slug(addr) + "@digest.example.com"
	return m
}

// TestSender_Faults runs the SMTP fault scenarios of issue 8 against a
// scripted server and checks, by Message-ID at the server, that every
// deliverable message arrives exactly once, permanent failures are reported
// as permanent and not retried, and temporary ones arrive after a retry.
func TestSender_Faults(t *testing.T) {
	for _, noPipe := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", !noPipe), func(t *testing.T) { testSenderFaults(t, noPipe) })
	}
}

func testSenderFaults(t *testing.T, noPipelining bool) {
	rules := map[string]mailtest.Rule{
		"greylist@example.org":  {Stage: mailtest.AtRcpt, Reply: "451 4.7.1 greylisted, try again", Times: 1},
		"full@example.org":      {Stage: mailtest.AtRcpt, Reply: "452 4.2.2 mailbox full", Times: 1},
		"tempdata@example.org":  {Stage: mailtest.AtData, Reply: "451 4.3.0 local error", Times: 1},
		"drop@example.org":      {Stage: mailtest.MidData, Times: 1},
		"hang@example.org":      {Stage: mailtest.AtDot, Hang: true, Times: 1},
		"unknown@example.org":   {Stage: mailtest.AtRcpt, Reply: "550 5.1.1 no such user"},
		"spam@example.org":      {Stage: mailtest.AtDot, Reply: "554 5.7.1 message rejected"},
		"toobig@example.org":    {Stage: mailtest.AtData, Reply: "552 5.3.4 message too big"},
		"forbidden@example.org": {Stage: mailtest.AtRcpt, Reply: "553 5.7.1 relaying denied"},
	}
	temporary := []string{"greylist@example.org", "full@example.org", "tempdata@example.org", "drop@example.org", "hang@example.org"}
	permanent := map[string]int{"unknown@example.org": 550, "spam@example.org": 554, "toobig@example.org": 552, "forbidden@example.org": 553}

	srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{
		Greetings:    []string{"421 4.3.2 too busy, try later"},
		Rules:        rules,
		NoPipelining: noPipelining,
	})
	s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{
		Connections: 4, MessageTimeout: 700 * time.Millisecond, SlowDownFor: 100 * time.Millisecond,
	})
	var msgs []digest.Message
	for addr := range rules {
		msgs = append(msgs, messageTo(addr))
	}
	for i := range 40 {
		msgs = append(msgs, messageTo(fmt.Sprintf("reader%d@example.org", i)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	got := deliverWithRetries(ctx, t, s, msgs, 4)
	elapsed := time.Since(start)

	delivered := srv.Delivered()
	var nSent, nPerm, nRetried int
	for _, m := range msgs {
		o := got[m.To]
		_, isPerm := permanent[m.To]
		switch {
		case isPerm:
			nPerm++
			// 2 attempts only when the first met the 421 greeting.
			if !o.permanent || o.attempts > 2 || delivered[m.MessageID] != 0 {
				t.Errorf("%s: permanent=%v attempts=%d delivered=%d, want permanent, never delivered (err %v)",
					m.To, o.permanent, o.attempts, delivered[m.MessageID], o.lastErr)
			}
			var se *SMTPError
			if !errors.As(o.lastErr, &se) || se.Code != permanent[m.To] {
				t.Errorf("%s: error %v, want SMTP code %d", m.To, o.lastErr, permanent[m.To])
			}
		default:
			if !o.sent || delivered[m.MessageID] != 1 {
				t.Errorf("%s: sent=%v delivered %d times after %d attempts (last error %v), want exactly once",
					m.To, o.sent, delivered[m.MessageID], o.attempts, o.lastErr)
			}
			nSent++
		}
		if o.attempts > 1 {
			nRetried++
		}
	}
	for _, addr := range temporary {
		// 2: one scripted failure, then delivered; 3 when the message was
		// also the one that met the 421 greeting.
		if o := got[addr]; o.attempts < 2 || o.attempts > 3 {
			t.Errorf("%s: %d attempts, want 2 or 3", addr, o.attempts)
		}
	}
	extra := 0
	for _, o := range got {
		extra += o.attempts - 1
	}
	// One retry per scripted temporary failure, plus one for the 421
	// greeting: no failure is invented, none is hidden.
	if extra != len(temporary)+1 {
		t.Errorf("%d retries in all, want %d", extra, len(temporary)+1)
	}
	t.Logf("faults: %d messages, %d delivered exactly once, %d permanent, %d retried, %d connections, %v",
		len(msgs), nSent, nPerm, nRetried, srv.Connections(), elapsed.Round(time.Millisecond))
}

func TestSender_SlowServer(t *testing.T) {
	srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{Delay: 15 * time.Millisecond})
	s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{Connections: 4, MessageTimeout: 5 * time.Second})
	var msgs []digest.Message
	for i := range 20 {
		msgs = append(msgs, messageTo(fmt.Sprintf("slow%d@example.org", i)))
	}
	got := deliverWithRetries(context.Background(), t, s, msgs, 1)
	delivered := srv.Delivered()
	for _, m := range msgs {
		if !got[m.To].sent || delivered[m.MessageID] != 1 {
			t.Errorf("%s: %v, delivered %d times", m.To, got[m.To].lastErr, delivered[m.MessageID])
		}
	}
}

// TestSender_TooSlowServerTimesOut shows the per-message timeout bounds a
// server slower than it: the failure is temporary and nothing is delivered.
func TestSender_TooSlowServerTimesOut(t *testing.T) {
	srv := mailtest.StartFaultServer(t, mailtest.FaultOptions{Delay: 150 * time.Millisecond})
	s := startSender(t, configFor(t, srv.Addr, TLSNone), SenderOptions{Connections: 1, MessageTimeout: 400 * time.Millisecond})
	// Dialling (greeting + EHLO) fits in the timeout; the transaction's six
	// replies do not.
	err := s.Send(context.Background(), messageTo("a@example.org"))
	if err == nil || digest.IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary timeout", err)
	}
	if n := len(srv.Delivered()); n != 0 {
		t.Errorf("%d messages delivered", n)
	}
}
