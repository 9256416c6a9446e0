package faults

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/cluster"
	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/templates"
)

// The in-process pipeline is wired as cmd/digest wires `digest now`
// (cmd/digest/app.go), for the one step where the clock must move: the
// recovery run after a kill, which must happen after the killed run's lease
// has expired (the binary takes its clock from the system).

// fromAddr is the From of every scenario; its domain names the Message-IDs,
// as senderDomain does in cmd/digest, so both paths make the same IDs.
const fromAddr = "Trade Digest <digest@faults.test>"

// newEngine returns an engine over db with the CLI's defaults.
func newEngine(t testing.TB, db *store.DB, mailer digest.Mailer, summ digest.Summarizer, now func() time.Time, log *slog.Logger) *digest.Engine {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r, err := templates.New(templates.Options{SiteName: "Trade Digest", Logger: log, Now: now})
	if err != nil {
		t.Fatalf("templates: %v", err)
	}
	ec := digest.DefaultConfig()
	ec.From = fromAddr
	ec.MessageIDDomain = "faults.test"
	ec.ListID = "Trade Digest <digest.faults.test>"
	ec.DefaultTimeZone = "UTC"
	rc := rank.DefaultConfig()
	rc.Topics = rank.DefaultTopics()
	return &digest.Engine{
		Store: db, Clusterer: cluster.New(cluster.DefaultConfig()), Ranker: rank.New(rc),
		Summarizer: summ, Renderer: r, Mailer: mailer, Logger: log, Now: now, Config: ec,
	}
}

// openSources opens feed URLs through a fetcher that lets only localhost
// through the address guard, as the binary's config does.
func openSources(t testing.TB, now func() time.Time, urls ...string) []digest.Source {
	t.Helper()
	fc := feed.DefaultFetcherConfig()
	fc.Timeout = 3 * time.Second
	fc.AllowHosts = []string{"localhost:*"}
	opts := feed.Options{Fetcher: feed.NewFetcher(fc), Now: now}
	var out []digest.Source
	for _, u := range urls {
		s, err := feed.Open(context.Background(), u, opts)
		if err != nil {
			t.Fatalf("open source %s: %v", u, err)
		}
		out = append(out, s...)
	}
	return out
}

// newSender starts an SMTP sender to url with the binary's pool and a 3 s
// message timeout.
func newSender(t testing.TB, url string, log *slog.Logger) *mail.Sender {
	t.Helper()
	sc, err := mail.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mail.NewSender(sc, mail.SenderOptions{Connections: 4, MessageTimeout: 3 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
