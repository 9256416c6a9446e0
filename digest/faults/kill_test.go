package faults

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/summarize"
	"github.com/tradedigest/tradedigest/summarize/openaitest"
)

// killWhen starts `digest now`, waits (bounded) until cond holds, and
// SIGKILLs it. It reports false when the process ended before cond held.
func killWhen(t *testing.T, w *world, smtpURL string, cond func() bool, args ...string) (killed bool, stderr string) {
	t.Helper()
	cfg := w.config(smtpURL)
	cmd := exec.Command(binPath, append([]string{"now", "--config", cfg}, args...)...)
	cmd.Env = w.environ()
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return false, errb.String()
		case <-deadline:
			cmd.Process.Kill()
			<-done
			t.Fatalf("the stage to kill in was not reached within 30 s\n%s", tail(errb.String()))
		case <-tick.C:
			if cond() {
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				return true, errb.String()
			}
		}
	}
}

// TestKill SIGKILLs `digest now` in each stage, runs it again, and then —
// once the killed run's leases have expired — runs the pipeline once more
// with the clock moved on. Every subscriber must end with their digest sent,
// the store must be consistent after every step, and the copies at the
// sinks beyond one per digest must not exceed the rows that were in flight
// when the process died.
func TestKill(t *testing.T) {
	needBinary(t)
	subs := make([]string, 12)
	for i := range subs {
		subs[i] = fmt.Sprintf("reader%02d@example.com", i)
	}
	t.Run("gather", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, subs...)
		var hits atomic.Int32
		w.mux.HandleFunc("/slow.xml", func(rw http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 { // only the first run meets a feed that stalls
				select {
				case <-r.Context().Done():
				case <-time.After(20 * time.Second):
				}
				return
			}
			rw.Write(healthyFeed(t, w.base, time.Now()))
		})
		sink, url := sinkURL(t, mailtest.SinkOptions{})
		killed, out := killWhen(t, w, url, func() bool { return hits.Load() >= 1 },
			"--source", w.base+"/healthy.xml", "--source", w.base+"/slow.xml")
		if !killed {
			t.Fatalf("digest now ended before the kill:\n%s", tail(out))
		}
		afterKill(t, w, "kill/gather", subs, url, sink, nil)
	})
	t.Run("summarise", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, subs...)
		fake := openaitest.New(t)
		fake.SetLatency(10 * time.Second)
		w.env["OPENAI_BASE_URL"], w.env["OPENAI_API_KEY"] = fake.URL, "sk-kill-test"
		sink, url := sinkURL(t, mailtest.SinkOptions{})
		killed, out := killWhen(t, w, url, func() bool { return fake.Count() >= 1 }, "--source", w.base+"/healthy.xml")
		if !killed {
			t.Fatalf("digest now finished without asking the LLM at OPENAI_BASE_URL, so the summarise stage could not be killed\n%s", tail(out))
		}
		fake.SetLatency(0)
		afterKill(t, w, "kill/summarise", subs, url, sink, nil)
	})
	t.Run("deliver", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, subs...)
		slow, url := sinkURL(t, mailtest.SinkOptions{Delay: 300 * time.Millisecond})
		// A random point of the deliver stage: after 1 to 8 of the 12
		// messages have arrived.
		k := 1 + rand.IntN(8)
		t.Logf("killing after %d messages arrived", k)
		killed, out := killWhen(t, w, url, func() bool { return slow.Total() >= k }, "--source", w.base+"/healthy.xml")
		if !killed {
			t.Fatalf("digest now ended before the kill:\n%s", tail(out))
		}
		fast, fastURL := sinkURL(t, mailtest.SinkOptions{})
		afterKill(t, w, "kill/deliver", subs, fastURL, fast, slow)
	})
}

// afterKill checks the store, reruns `digest now`, then runs the pipeline
// past the lease, and records the figures. first is the sink the killed run
// talked to when it differs from sink. It returns the number of duplicates.
func afterKill(t *testing.T, w *world, name string, subs []string, url string, sink, first *mailtest.Sink) int {
	t.Helper()
	db := w.open()
	doctor(t, db, time.Now())
	inFlight := 0
	for _, d := range ledger(t, db) {
		if d.Status == digest.DeliverySending {
			inFlight++
		}
	}
	r := w.now(url, "--source", w.base+"/healthy.xml")
	if r.Code != 0 {
		t.Fatalf("rerun exited %d\n%s", r.Code, tail(r.Stderr))
	}
	rep := lastRun(t, db)
	if rep.InFlight != inFlight {
		t.Errorf("rerun reported %d in flight, the ledger had %d leased rows", rep.InFlight, inFlight)
	}
	doctor(t, db, time.Now())

	// Recovery: the killed run's leases expire after 10 minutes; run the
	// pipeline once more with the clock past them.
	later := time.Now().Add(digest.DefaultConfig().Lease + time.Minute)
	if digest.LocalDate(later, time.UTC) != digest.LocalDate(time.Now(), time.UTC) {
		t.Skip("too close to midnight UTC: the recovery run would open the next edition")
		return 0
	}
	clock := func() time.Time { return time.Now().Add(digest.DefaultConfig().Lease + time.Minute) }
	eng := newEngine(t, db, newSender(t, url, nil), summarize.NewExtractive(), clock, nil)
	if _, err := eng.Run(context.Background(), digest.RunOptions{Sources: openSources(t, clock, w.base+"/healthy.xml"), Since: 24 * time.Hour}); err != nil {
		t.Fatalf("recovery run: %v", err)
	}
	doctor(t, db, clock())

	ids := sink.IDs()
	if first != nil {
		for id, n := range first.IDs() {
			ids[id] += n
		}
	}
	delivered := 0
	for addr, d := range ledger(t, db) {
		if d.Status != digest.DeliverySent {
			t.Errorf("%s: %s after recovery (%s)", addr, d.Status, d.LastError)
		}
		if ids[d.MessageID] >= 1 {
			delivered++
		}
	}
	if delivered != len(subs) {
		t.Errorf("%d of %d digests arrived", delivered, len(subs))
	}
	if d := dups(ids); d > inFlight {
		t.Errorf("%d duplicates, more than the %d deliveries in flight at the kill", d, inFlight)
	}
	record(figure{Scenario: name, Time: r.Took, PeakMB: r.PeakRSSMB, Memory: "rss", Delivered: delivered,
		Dups: dups(ids), InFlight: inFlight, Note: "time and memory of the rerun"})
	return dups(ids)
}
