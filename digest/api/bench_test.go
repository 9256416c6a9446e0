package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkAPI_Subscribers measures the latency of the admin API over
// loopback HTTP on each store: importing 10,000 new subscribers in one CSV
// request into an empty store, re-importing them (all updates), and
// listing the 10,000 a page at a time. It reports p50 and p99 of the requests it made (with few requests,
// p99 is the slowest one).
//
//	DIGEST_TEST_POSTGRES_DSN=... go test -run XXX -bench API_Subscribers -benchtime 5x ./digest/api
func BenchmarkAPI_Subscribers(b *testing.B) {
	const rows = 10000
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			b.Run("import_10k_new", func(b *testing.B) {
				var lat []time.Duration
				for range b.N {
					db := be.open(b) // an empty store each time
					h := newHarness(b, db)
					start := time.Now()
					r := h.csv("/api/v1/subscribers/import", subscriberCSV(0, rows))
					lat = append(lat, time.Since(start))
					if r.status != http.StatusOK {
						b.Fatalf("import: %d %s", r.status, r.body)
					}
				}
				report(b, lat)
			})
			// The rest run on one store holding the 10,000.
			db := be.open(b)
			h := newHarness(b, db)
			if r := h.csv("/api/v1/subscribers/import", subscriberCSV(0, rows)); r.status != http.StatusOK {
				b.Fatalf("import: %d %s", r.status, r.body)
			}
			b.Run("import_10k_existing", func(b *testing.B) {
				body := subscriberCSV(0, rows)
				var lat []time.Duration
				for range b.N {
					start := time.Now()
					r := h.csv("/api/v1/subscribers/import", body)
					lat = append(lat, time.Since(start))
					if r.status != http.StatusOK {
						b.Fatalf("re-import: %d %s", r.status, r.body)
					}
				}
				report(b, lat)
			})
			for _, c := range []struct{ name, query string }{
				{"list_page_100", "limit=100"},
				{"list_page_1000", "limit=1000"},
				{"list_topic_page_100", "limit=100&topic=tariffs"},
			} {
				b.Run(c.name, func(b *testing.B) {
					var lat []time.Duration
					cursor := ""
					for range b.N {
						// Walk the whole list, page after page, b.N times over.
						for {
							start := time.Now()
							r := h.do(http.MethodGet, "/api/v1/subscribers?"+c.query+"&cursor="+cursor, nil)
							lat = append(lat, time.Since(start))
							if r.status != http.StatusOK {
								b.Fatalf("list: %d %s", r.status, r.body)
							}
							var page struct {
								NextCursor string `json:"next_cursor"`
							}
							r.json(b, &page)
							if cursor = page.NextCursor; cursor == "" {
								break
							}
						}
					}
					report(b, lat)
				})
			}
		})
	}
}

// subscriberCSV makes n rows starting at number from; every fourth reader
// chose tariffs.
func subscriberCSV(from, n int) string {
	var b strings.Builder
	b.WriteString("email,name,timezone,send_time,topics\n")
	for i := from; i < from+n; i++ {
		topics := "autos"
		if i%4 == 0 {
			topics = "tariffs;autos"
		}
		fmt.Fprintf(&b, "reader%06d@example.com,Reader %d,Europe/Berlin,07:%02d,%s\n", i, i, i%60, topics)
	}
	return b.String()
}

func report(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 {
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(float64(len(lat)), "requests")
}
