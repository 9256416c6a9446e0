package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// FuzzCluster feeds arbitrary articles to the clusterer: it must not panic
// and must put every article in exactly one story. The input is split into
// articles at NUL bytes; each article's first line is its title, the rest
// its text, and its first byte picks its hour.
func FuzzCluster(f *testing.F) {
	f.Add([]byte("EU steel tariff\nThe EU raises its steel tariff to 40%.\x00EU steel duty\nBrussels lifts the steel duty to 40%, Helena Marwick said."))
	f.Add([]byte("\x00\x00\n\n"))
	f.Add([]byte("U.S. 3.5% 1,000. Mr. A. B. C.\x00U.S. 3.5% 1,000. Mr. A. B. C."))
	f.Fuzz(func(t *testing.T, data []byte) {
		var arts []digest.Article
		for i, part := range strings.Split(string(data), "\x00") {
			title, text, _ := strings.Cut(part, "\n")
			var at time.Time
			if len(part) > 0 && part[0]%4 != 0 {
				at = t0.Add(time.Duration(part[0]) * time.Hour)
			}
			arts = append(arts, digest.Article{
				URL: "u" + string(rune('a'+i%26)), Title: title, Text: text, Published: at,
				ContentHash: digest.ContentHash(text),
			})
		}
		stories, err := New(Config{}).Cluster(context.Background(), arts)
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, arts, stories)
	})
}
