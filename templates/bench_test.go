package templates

import (
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

// typicalEdition has n stories cycled from the fixture: short summaries,
// some with several outlets and key points.
func typicalEdition(n int) digest.Edition {
	ed := fixtureEdition()
	base := ed.Stories
	ed.Stories = nil
	for i := range n {
		ed.Stories = append(ed.Stories, base[i%len(base)])
	}
	return ed
}

// BenchmarkRenderer_Render reports messages rendered per second, their
// size and the CPU time per message (steadier than wall time on a shared
// machine) for 20-story editions, serially, without the story cache, and from all
// CPUs as the sender pool calls it, and for a 200-story edition that must be
// trimmed.
func BenchmarkRenderer_Render(b *testing.B) {
	r := newRenderer(b, Options{})
	cases := []struct {
		name string
		ed   digest.Edition
	}{
		{"typical20", typicalEdition(20)},
		{"long20", longEdition(20)},
		{"trim200", longEdition(200)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var size int
			c0 := testutil.CPUTime()
			for b.Loop() {
				msg, err := r.Render(c.ed)
				if err != nil {
					b.Fatal(err)
				}
				size = len(msg.HTML) + len(msg.Text)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(size), "bytes/msg")
			b.ReportMetric(float64((testutil.CPUTime()-c0).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
	b.Run("typical20-nocache", func(b *testing.B) {
		r := newRenderer(b, Options{CacheBytes: -1})
		ed := typicalEdition(20)
		for b.Loop() {
			if _, err := r.Render(ed); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("typical20-parallel", func(b *testing.B) {
		ed := typicalEdition(20)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := r.Render(ed); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkNew reports the start-up cost: loading, inlining, parsing and
// the self-check render.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
