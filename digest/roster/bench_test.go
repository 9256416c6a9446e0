package roster_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/roster"
)

// BenchmarkParseCSV_10k parses and validates a 10,000-row list naming five
// time zones (the CLI's and the admin API's import).
//
//	go test -run XXX -bench ParseCSV_10k ./digest/roster
func BenchmarkParseCSV_10k(b *testing.B) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Asia/Kathmandu"}
	var sb strings.Builder
	sb.WriteString("email,name,timezone,send_time,topics\n")
	for i := range 10000 {
		fmt.Fprintf(&sb, "reader%06d@example.com,Reader %d,%s,07:%02d,tariffs;autos\n", i, i, zones[i%len(zones)], i%60)
	}
	csv := sb.String()
	topics := rank.DefaultTopics()
	opts := roster.Options{Topics: rank.TopicNames(topics), Canonical: func(t string) (string, bool) { return rank.CanonicalTopic(topics, t) }}
	b.ResetTimer()
	for range b.N {
		subs, bad, err := roster.ParseCSV(strings.NewReader(csv), opts)
		if err != nil || len(bad) != 0 || len(subs) != 10000 {
			b.Fatalf("%d subscribers, %d bad, %v", len(subs), len(bad), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/10000, "µs/row")
}
