package mail_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// Wiring a pooled sender, as cmd/digest does with DIGEST_SMTP_URL; here the
// server is an in-process sink on loopback.
func ExampleSender() {
	sink, err := mailtest.NewSink(mailtest.SinkOptions{})
	if err != nil {
		panic(err)
	}
	defer func() { _ = sink.Close() }()
	host, port := sink.HostPort()

	cfg, err := mail.ParseURL(fmt.Sprintf("smtp://%s:%d?tls=none", host, port))
	if err != nil {
		panic(err)
	}
	s, err := mail.NewSender(cfg, mail.SenderOptions{Connections: 2, RatePerSecond: 50})
	if err != nil {
		panic(err)
	}
	if err := s.Start(context.Background()); err != nil {
		panic(err)
	}
	defer func() { _ = s.Close() }()

	err = s.Send(context.Background(), digest.Message{
		From: "Trade Digest <digest@example.com>", To: "ada@example.org", ToName: "Ada",
		Subject: "Trade digest", MessageID: "digest.2026-11-27.ab12@digest.example.com",
		Date: time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC), Text: "Hello", HTML: "<p>Hello</p>",
		ListID: "Trade digest <digest.example.com>", UnsubscribeURL: "https://digest.example.com/u/tok",
	})
	fmt.Println(err, sink.Count("digest.2026-11-27.ab12@digest.example.com"))
	// Output: <nil> 1
}

// Writing .eml files when no SMTP server is configured.
func ExampleOutbox() {
	dir, err := os.MkdirTemp("", "outbox")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	ob, err := mail.NewOutbox(dir, mail.OutboxOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(mail.FileName(digest.Message{
		To: "ada@example.org", MessageID: "digest.2026-11-27.ab12@digest.example.com",
		Date: time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC),
	}), ob.Written())
	// Output: 2026-11-27-ada-example-org-4ef6f064.eml 0
}
