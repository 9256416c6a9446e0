package mail

import (
	"context"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// TestSender_Mailpit sends through a real mailpit (skipped when it is not
// installed; CI installs it) with AUTH PLAIN and DKIM, then reads the
// messages back through mailpit's HTTP API.
func TestSender_Mailpit(t *testing.T) {
	smtpAddr, api := mailtest.StartMailpit(t)
	pemKey, pub := rsaKeyPEM(t)
	cfg := configFor(t, smtpAddr, TLSNone)
	cfg.Username, cfg.Password, cfg.Auth = "digest", "any-password", AuthPlain
	s := startSender(t, cfg, SenderOptions{
		Connections: 4,
		Build:       BuildOptions{DKIM: &DKIMConfig{Domain: "example.com", Selector: "d1", PrivateKeyPEM: pemKey}},
	})
	const n = 25
	for i := range n {
		if err := s.Send(context.Background(), msgN(i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var msgs []mailtest.MailpitMessage
	for {
		var err error
		msgs, err = mailtest.MailpitMessages(ctx, api, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) >= n || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[string]int{}
	byID := map[string]string{}
	for _, m := range msgs {
		seen[m.MessageID]++
		byID[m.MessageID] = m.ID
	}
	for i := range n {
		if c := seen[msgN(i).MessageID]; c != 1 {
			t.Errorf("%s is in mailpit %d times, want once", msgN(i).MessageID, c)
		}
	}
	if len(msgs) != n {
		t.Errorf("mailpit holds %d messages, want %d", len(msgs), n)
	}
	raw, err := mailtest.MailpitRaw(ctx, api, byID[msgN(3).MessageID])
	if err != nil {
		t.Fatal(err)
	}
	h := parse(t, raw).Header
	if h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || h.Get("To") != `"Ada Lovelace" <user3@example.org>` {
		t.Errorf("headers as stored by mailpit: %v", h)
	}
	if _, err := dkimVerify(raw, pub); err != nil {
		t.Errorf("DKIM signature of the message stored by mailpit: %v", err)
	}
}
