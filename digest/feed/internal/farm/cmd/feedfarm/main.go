// Command feedfarm serves synthetic news feeds on loopback addresses with
// a fixed latency, writes their OPML list and runs until interrupted. It
// backs scripts/bench-rss2email.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tradedigest/tradedigest/digest/feed/internal/farm"
)

func main() {
	first := flag.Int("first-host", 2, "first loopback address 127.0.0.N")
	hosts := flag.Int("hosts", 8, "number of loopback addresses")
	feeds := flag.Int("feeds", 200, "number of feeds")
	items := flag.Int("items", 50, "items per feed")
	latency := flag.Duration("latency", 50*time.Millisecond, "delay before every reply")
	opml := flag.String("opml", "farm.opml", "where to write the OPML list")
	short := flag.Int("short-percent", 0, "percent of items with a short teaser whose page is on a host that does not resolve")
	missing := flag.Int("missing-hosts", 200, "number of such hosts (names under .invalid)")
	grow := flag.Int("grow", 3, "new items per feed served after SIGUSR1 (a second SIGUSR1 serves the first items again)")
	flag.Parse()

	fm, err := farm.Start(farm.Config{
		Hosts: farm.HostRange(*first, *hosts), Feeds: *feeds, Items: *items, Latency: *latency,
		ShortPercent: *short, MissingHosts: *missing,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedfarm:", err)
		os.Exit(1)
	}
	defer fm.Close()
	if err := os.WriteFile(*opml, fm.OPML(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "feedfarm:", err)
		os.Exit(1)
	}
	fmt.Printf("feedfarm: %d feeds x %d items on %d hosts, latency %s, %d%% short items (pages on %d missing hosts), list in %s\n",
		*feeds, *items, *hosts, *latency, *short, *missing, *opml)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	grown := false
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-usr1:
			grown = !grown
			extra := 0
			if grown {
				extra = *grow
			}
			fm.Grow(extra)
			fmt.Printf("feedfarm: %d new items per feed\n", extra)
		}
	}
	st := fm.Stats()
	fmt.Printf("feedfarm: served %d requests, %d not modified, %d body bytes\n", st.Requests, st.NotModified, st.BodyBytes)
}
