package bounce_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/bounce"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// The reports are written from the documented formats: RFC 3464 (delivery
// status notifications, section 9 examples; the Postfix layout of its
// bounce(5) daemon), RFC 5965 (abuse feedback reports, appendix B
// example), RFC 2369 (List-Unsubscribe mailto:) and RFC 3834
// (Auto-Submitted).

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReport(t *testing.T) {
	for _, c := range []struct {
		file, kind string
		want       []digest.SubscriberEvent
	}{
		{"dsn-hard.eml", bounce.KindDSN, []digest.SubscriberEvent{{Email: "jane.forward@elsewhere.example", Kind: digest.EventHardBounce,
			MessageID: "<digest.2026-03-29.0011223344556677@example.com>"}}},
		{"dsn-soft.eml", bounce.KindDSN, []digest.SubscriberEvent{{Email: "soft@example.com", Kind: digest.EventSoftBounce,
			MessageID: "<digest.2026-03-24.ffffffffffffffff@example.com>"}}},
		{"dsn-delayed.eml", bounce.KindDSN, nil},
		{"arf-abuse.eml", bounce.KindARF, []digest.SubscriberEvent{{Email: "kim@example.com", Kind: digest.EventComplaint,
			MessageID: "<digest.2026-03-29.aaaaaaaaaaaaaaaa@example.com>"}}},
		{"unsubscribe.eml", bounce.KindUnsubscribe, []digest.SubscriberEvent{{Email: "li@example.com", Kind: digest.EventUnsubscribe}}},
		{"autoreply.eml", "", nil},
		{"hello.eml", "", nil},
	} {
		t.Run(c.file, func(t *testing.T) {
			rep, err := bounce.ParseReport(readFixture(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Kind != c.kind || len(rep.Events) != len(c.want) {
				t.Fatalf("kind %q, events %+v; want %q, %d events", rep.Kind, rep.Events, c.kind, len(c.want))
			}
			for i, w := range c.want {
				g := rep.Events[i]
				if g.Email != w.Email || g.Kind != w.Kind || g.MessageID != w.MessageID {
					t.Errorf("event %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
	rep, _ := bounce.ParseReport(readFixture(t, "dsn-hard.eml"))
	if d := rep.Events[0].Detail; !strings.HasPrefix(d, "5.1.1 smtp; 550 5.1.1") || strings.Contains(d, "\n") {
		t.Errorf("detail %q", d)
	}
}

// mailboxEnv is mailpit with a POP3 account, and a store whose ledger
// knows Jane's digest.
type mailboxEnv struct {
	mp  mailtest.Mailpit
	db  *store.DB
	rec *bounce.Recorder
}

func newMailboxEnv(t *testing.T, db *store.DB, opts mailtest.MailpitOptions) *mailboxEnv {
	t.Helper()
	opts.POP3User, opts.POP3Password = "bounces", "pop3-secret"
	e := &mailboxEnv{mp: mailtest.StartMailpitWith(t, opts), db: db,
		rec: &bounce.Recorder{Store: db, Policy: digest.EventPolicy{BounceAfter: 3}}}
	ctx := context.Background()
	for _, a := range []string{"jane@example.com", "soft@example.com", "kim@example.com", "li@example.com"} {
		s, err := db.AddSubscriber(ctx, digest.Subscriber{Email: a, TimeZone: "UTC", SendTime: "07:00"})
		if err != nil {
			t.Fatal(err)
		}
		if a == "jane@example.com" {
			if _, err := db.EnsureDelivery(ctx, digest.Delivery{SubscriberID: s.ID, Email: a, EditionDate: "2026-03-29",
				MessageID: "digest.2026-03-29.0011223344556677@example.com"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return e
}

// send delivers a fixture through mailpit's SMTP server, as a relay would
// deliver a bounce to the bounce mailbox.
func (e *mailboxEnv) send(t *testing.T, file string) {
	t.Helper()
	if err := smtp.SendMail(e.mp.SMTPAddr, nil, "mailer-daemon@example.net", []string{"bounces@example.com"}, readFixture(t, file)); err != nil {
		t.Fatalf("send %s: %v", file, err)
	}
}

func (e *mailboxEnv) status(t *testing.T, email string) digest.SubscriberStatus {
	t.Helper()
	s, err := e.db.SubscriberByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return s.Status
}

// left returns the subjects of the messages in the mailbox once it holds
// want of them, or after 10 s what it holds then. Mailpit answers QUIT
// with +OK before it deletes the messages marked with DELE (in a deferred
// function of its session), so right after a poll returns the deletion
// may still be under way; RFC 1939 servers delete first.
func (e *mailboxEnv) left(t *testing.T, want int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs, err := mailtest.MailpitMessages(context.Background(), e.mp.APIURL, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == want || time.Now().After(deadline) {
			var subjects []string
			for _, m := range msgs {
				subjects = append(subjects, m.Subject)
			}
			return subjects
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMailbox_Poll(t *testing.T) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			e := newMailboxEnv(t, o.Open(t), mailtest.MailpitOptions{})
			for _, f := range []string{"dsn-hard.eml", "dsn-soft.eml", "dsn-delayed.eml", "arf-abuse.eml", "unsubscribe.eml", "autoreply.eml", "hello.eml"} {
				e.send(t, f)
			}
			cfg, err := bounce.ParsePOP3URL("pop3://bounces@" + e.mp.POP3Addr + "?tls=none")
			if err != nil {
				t.Fatal(err)
			}
			cfg.Password = "pop3-secret"
			mb := &bounce.Mailbox{POP3: cfg, Recorder: e.rec}
			res, err := mb.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Messages != 7 || res.Reports != 5 || res.Deleted != 5 || res.Ignored != 2 || res.Events != 4 {
				t.Fatalf("first poll: %+v", res)
			}
			for email, want := range map[string]digest.SubscriberStatus{
				// Matched by the ledger's Message-ID, not the forwarded Final-Recipient.
				"jane@example.com": digest.StatusBounced,
				// Matched by the VERP return path; one soft bounce is not enough.
				"soft@example.com": digest.StatusActive,
				"kim@example.com":  digest.StatusUnsubscribed,
				"li@example.com":   digest.StatusUnsubscribed,
			} {
				if st := e.status(t, email); st != want {
					t.Errorf("%s: %s, want %s", email, st, want)
				}
			}
			s, _ := e.db.SubscriberByEmail(context.Background(), "soft@example.com")
			if evs, _ := e.db.SubscriberEvents(context.Background(), s.ID, 0); len(evs) != 1 || evs[0].Kind != digest.EventSoftBounce || evs[0].Source != "mailbox" {
				t.Errorf("soft bounce log: %+v", evs)
			}
			// Only what is not a report stays in the mailbox.
			left := e.left(t, 2)
			if len(left) != 2 {
				t.Fatalf("left in the mailbox: %q", left)
			}
			// The next poll does not download them again.
			res, err = mb.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Messages != 2 || res.Ignored != 2 || res.Deleted != 0 || res.Reports != 0 {
				t.Fatalf("second poll: %+v", res)
			}
			// Wrong password: an error naming the refusal, not the password.
			cfg.Password = "wrong"
			_, err = (&bounce.Mailbox{POP3: cfg, Recorder: e.rec}).Poll(context.Background())
			if err == nil || strings.Contains(err.Error(), "wrong") && !strings.Contains(err.Error(), "refused") {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}

// TestMailbox_PollTLS reads the mailbox over implicit TLS (pop3s://),
// trusting a test CA.
func TestMailbox_PollTLS(t *testing.T) {
	dir := t.TempDir()
	pool := writeTestCert(t, dir)
	e := newMailboxEnv(t, storetest.Open(t), mailtest.MailpitOptions{
		POP3CertFile: filepath.Join(dir, "cert.pem"), POP3KeyFile: filepath.Join(dir, "key.pem")})
	e.send(t, "arf-abuse.eml")
	cfg, err := bounce.ParsePOP3URL("pop3s://bounces@" + e.mp.POP3Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = "pop3-secret"
	cfg.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	res, err := (&bounce.Mailbox{POP3: cfg, Recorder: e.rec}).Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 1 || e.status(t, "kim@example.com") != digest.StatusUnsubscribed {
		t.Fatalf("pop3s poll: %+v", res)
	}
	// Without the test CA the server is not trusted.
	cfg.TLSConfig = nil
	if _, err := (&bounce.Mailbox{POP3: cfg, Recorder: e.rec}).Poll(context.Background()); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
}

// writeTestCert writes mailtest's self-signed certificate for 127.0.0.1
// as PEM files for mailpit and returns the pool that trusts it.
func writeTestCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	cfg, pool := mailtest.SelfSignedTLS(t)
	cert := cfg.Certificates[0]
	keyDER, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"cert.pem": {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		"key.pem":  {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return pool
}
