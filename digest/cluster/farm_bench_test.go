package cluster

import (
	"fmt"
	"testing"
)

// BenchmarkCluster_Farm clusters the loopback farm's templated wire texts
// (farmArticles), where nearly every pair is a near-duplicate whose titles
// conflict, at 100, 200 and 800 feeds of 50 items, and reports articles per
// second (go test -run - -bench Cluster_Farm ./digest/cluster).
func BenchmarkCluster_Farm(b *testing.B) {
	for _, feeds := range []int{100, 200, 800} {
		b.Run(fmt.Sprintf("articles=%d", feeds*50), func(b *testing.B) {
			benchClusterOnce(b, farmArticles(feeds, 50))
		})
	}
}
