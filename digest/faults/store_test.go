package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// TestStoreFaults holds SQLite's write lock from another connection while
// `digest now` runs: briefly (the run waits it out with busy_timeout and
// succeeds) and for longer than the store waits (the run fails as a whole,
// sends nothing and leaves nothing half-written; a rerun then delivers
// each digest once).
func TestStoreFaults(t *testing.T) {
	needBinary(t)
	cases := []struct {
		name     string
		hold     time.Duration
		wantFail bool
	}{
		{"locked-2s", 2 * time.Second, false},
		{"locked-beyond-busy-timeout", 25 * time.Second, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			subs := []string{"ana@example.com", "ben@example.com"}
			w := newWorld(t, subs...)
			w.env["DIGEST_SECRET"] = digestSecret
			sink, url := sinkURL(t, mailtest.SinkOptions{})
			db := w.open()
			ctx := context.Background()
			conn, err := db.SQL().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
				t.Fatalf("take the write lock: %v", err)
			}
			release := time.AfterFunc(c.hold, func() {
				conn.ExecContext(context.Background(), "ROLLBACK")
				conn.Close()
			})
			defer func() {
				if release.Stop() {
					conn.ExecContext(context.Background(), "ROLLBACK")
					conn.Close()
				}
			}()
			r := w.now(url, "--source", w.base+"/healthy.xml")
			fig := figure{Scenario: "store/" + c.name, Time: r.Took, PeakMB: r.PeakRSSMB, Memory: "rss"}
			if c.wantFail {
				if r.Code != 1 {
					t.Fatalf("digest now exited %d with the store locked, want 1\n%s\n%s", r.Code, r.Stdout, tail(r.Stderr))
				}
				if n := sink.Total(); n != 0 {
					t.Errorf("%d messages sent by a run that could not write its ledger", n)
				}
				t.Logf("locked run: %s", lastLine(r.Stderr))
				fig.Note = "run failed (exit 1), nothing sent; rerun after release: "
				if release.Stop() {
					conn.ExecContext(ctx, "ROLLBACK")
					conn.Close()
				}
				doctor(t, db, time.Now())
				r = w.now(url, "--source", w.base+"/healthy.xml")
				if r.Code != 0 {
					t.Fatalf("rerun exited %d\n%s", r.Code, tail(r.Stderr))
				}
				fig.Note += "all delivered"
			} else if r.Code != 0 {
				t.Fatalf("digest now exited %d though the lock was released after %s\n%s", r.Code, c.hold, tail(r.Stderr))
			} else {
				fig.Note = "waited for the lock, all delivered"
			}
			fig.Delivered, _ = checkDelivered(t, db, sink.IDs(), subs)
			fig.Dups = dups(sink.IDs())
			doctor(t, db, time.Now())
			record(fig)
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n ")
	return s[strings.LastIndexByte(s, '\n')+1:]
}
