package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/digest/token"
)

// TestOneClick_FromMail plays a mail provider under RFC 8058: a message
// carrying web.Links' unsubscribe URL goes through mail.Sender to an SMTP
// server; the provider reads List-Unsubscribe and List-Unsubscribe-Post
// from what arrived and POSTs "List-Unsubscribe=One-Click" to the https
// URL, with no cookies and no redirects followed. The reader must be
// unsubscribed and the answer 200.
func TestOneClick_FromMail(t *testing.T) {
	db := storetest.Open(t)
	signer, err := token.NewSigner([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	handler := new(swapHandler)
	ts := httptest.NewTLSServer(handler) // one-click needs https
	t.Cleanup(ts.Close)
	srv, err := New(Config{BaseURL: ts.URL, Signer: signer, Subscribers: db})
	if err != nil {
		t.Fatal(err)
	}
	handler.set(srv.Handler())
	sub, err := db.AddSubscriber(t.Context(), digest.Subscriber{Email: "reader@example.com", TimeZone: "UTC", SendTime: "07:00", Status: digest.StatusActive})
	if err != nil {
		t.Fatal(err)
	}

	sink := mailtest.StartSink(t, mailtest.SinkOptions{})
	sender := startSender(t, sink.Addr)
	links := srv.Links()
	if err := sender.Send(t.Context(), digest.Message{
		From: "Trade Digest <digest@example.com>", To: sub.Email, Subject: "Trade digest",
		MessageID: "digest.1.2026-03-10@example.com", Date: time.Now(), Text: "News.",
		HTML: "<p>News.</p>", ListID: "Trade digest <digest.example.com>",
		UnsubscribeURL: links.UnsubscribeURL(sub), UnsubscribeMailto: "unsubscribe@example.com",
	}); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived", len(msgs))
	}
	m, err := netmail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post = %q", got)
	}
	var target string
	for _, part := range strings.Split(m.Header.Get("List-Unsubscribe"), ",") {
		part = strings.Trim(strings.TrimSpace(part), "<>")
		if strings.HasPrefix(part, "https://") {
			target = part
		}
	}
	if target != links.UnsubscribeURL(sub) {
		t.Fatalf("List-Unsubscribe https URI = %q, want %q", target, links.UnsubscribeURL(sub))
	}

	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for i := range 2 { // repeatable
		resp, err := client.Post(target, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("one-click POST %d: status %d, want 200", i+1, resp.StatusCode)
		}
	}
	got, err := db.Subscriber(t.Context(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != digest.StatusUnsubscribed {
		t.Errorf("status = %q, want unsubscribed", got.Status)
	}
}
