// Command gather reads every feed of an OPML list twice through
// (*digest.Engine).Gather at the default fetch limits, with an in-memory
// store, and prints wall times, 304 share and bytes. It is the "digest"
// side of scripts/bench-rss2email.sh; loopback is allowed because the
// benchmark's feeds are served there.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/digest/feed/internal/farm"
)

func main() {
	opml := flag.String("opml", "farm.opml", "OPML list of feeds")
	flag.Parse()
	if err := run(context.Background(), *opml); err != nil {
		fmt.Fprintln(os.Stderr, "gather:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opml string) error {
	cfg := feed.DefaultFetcherConfig()
	cfg.AllowHosts = []string{"127.0.0.0/8:*"}
	fetcher := feed.NewFetcher(cfg)
	defer fetcher.Close()
	sources, err := feed.Open(ctx, opml, feed.Options{Fetcher: fetcher})
	if err != nil {
		return err
	}
	eng := &digest.Engine{Store: farm.NewMemStore(), Config: digest.DefaultConfig()}
	for run := 1; run <= 2; run++ {
		var rep digest.Report
		t0 := time.Now()
		if err := eng.Gather(ctx, sources, &rep); err != nil {
			return err
		}
		wall := time.Since(t0)
		var bytes int64
		notModified := 0
		for _, s := range rep.Sources {
			bytes += s.Bytes
			if s.NotModified {
				notModified++
			}
		}
		fmt.Printf("run=%d wall_s=%.3f sources=%d errors=%d articles_new=%d not_modified=%d bytes=%d\n",
			run, wall.Seconds(), len(rep.Sources), len(rep.Errors), rep.ArticlesNew, notModified, bytes)
		if len(rep.Errors) > 0 {
			fmt.Fprintln(os.Stderr, "first error:", rep.Errors[0])
		}
	}
	return nil
}
