package mail

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// benchBodies returns a ~12 KB text part and a ~28 KB HTML part, shared by
// every message (as the rendered parts of one edition would be).
func benchBodies() (text, html string) {
	var t, h strings.Builder
	h.WriteString(`<!doctype html><html><body><table width="100%" cellpadding="0" cellspacing="0">`)
	for i := 0; t.Len() < 12<<10; i++ {
		fmt.Fprintf(&t, "%d. Port congestion eases as container rates fall — exporters report shorter waits at Rotterdam and Singapore; steel tariffs unchanged.\n   https://news.example.com/story/%d\n\n", i, i)
	}
	for i := 0; h.Len() < 28<<10; i++ {
		fmt.Fprintf(&h, `<tr><td style="padding:12px 16px;font-family:Georgia,serif;font-size:16px;color:#1a1a1a"><h2 style="margin:0 0 8px;font-size:20px">Story %d: container rates fall</h2><p style="margin:0">Exporters report shorter waits at Rotterdam and Singapore.</p><a href="https://news.example.com/story/%d" style="color:#0b57d0">Read more</a></td></tr>`, i, i)
	}
	h.WriteString(`</table></body></html>`)
	return t.String(), h.String()
}

// BenchmarkSender_Pool sends pre-built ~40 KB messages over a pool of 4
// connections to the in-process go-smtp sink on loopback and reports
// messages per second and peak memory. Compare the counts in separate runs
// (peak RSS is a process high-water mark):
//
//	go test ./digest/mail -run XXX -bench 'Pool/messages=2000$' -benchtime 1x
//	go test ./digest/mail -run XXX -bench 'Pool/messages=10000$' -benchtime 1x
func BenchmarkSender_Pool(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		b.Run("messages="+strconv.Itoa(n), func(b *testing.B) { benchPool(b, n, false) })
	}
	b.Run("starttls/messages=2000", func(b *testing.B) { benchPool(b, 2000, true) })
}

func benchPool(b *testing.B, n int, useTLS bool) {
	opts := mailtest.SinkOptions{DiscardBodies: true}
	mode, sopts := TLSNone, SenderOptions{Connections: 4}
	if useTLS {
		opts.TLS, sopts.RootCAs = mailtest.SelfSignedTLS(b)
		mode = TLSStartTLS
	}
	sink := mailtest.StartSink(b, opts)
	s := startSender(b, configFor(b, sink.Addr, mode), sopts)
	text, html := benchBodies()
	base := testMessage()
	base.Text, base.HTML = text, html
	msgs := make([]digest.Message, n)
	for i := range msgs {
		m := base
		m.To = "reader" + strconv.Itoa(i) + "@example.org"
		msgs[i] = m
	}
	runtime.GC()
	peak := mailtest.StartPeakSampler()
	b.ResetTimer()
	cpu0 := mailtest.CPUTime()
	start := time.Now()
	var sent atomic.Int64
	for iter := range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					m := msgs[i]
					m.MessageID = fmt.Sprintf("bench.%d.%d@digest.example.com", iter, i)
					if err := s.Send(context.Background(), m); err != nil {
						b.Error(err)
						return
					}
					sent.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	el := time.Since(start)
	cpu := mailtest.CPUTime() - cpu0
	b.StopTimer()
	heapPeak := peak()
	if got := sink.Total(); got != b.N*n || int(sent.Load()) != got {
		b.Fatalf("sink received %d, sent %d, want %d", got, sent.Load(), b.N*n)
	}
	b.ReportMetric(float64(sent.Load())/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(sink.Bytes())/el.Seconds()/(1<<20), "MB/s")
	b.ReportMetric(float64(sink.Bytes())/float64(sink.Total())/1024, "KB/msg")
	// CPU time of the whole process (sender and sink): on a shared machine
	// wall-clock rates vary with the neighbours, CPU per message does not.
	b.ReportMetric(float64(cpu.Microseconds())/float64(sent.Load()), "cpu_us/msg")
	b.ReportMetric(float64(heapPeak)/(1<<20), "peak_heap_MB")
	b.ReportMetric(float64(mailtest.PeakRSS())/(1<<20), "peak_rss_MB")
}
