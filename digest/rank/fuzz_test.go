package rank

import (
	"math"
	"testing"
)

// FuzzAssess checks that any title and text give a relevance in 0..1 and
// topics that exist.
func FuzzAssess(f *testing.F) {
	f.Add("EU raises steel tariff", tariffText)
	f.Add("", "rules of rules of origin origin tariff-rate quota---")
	f.Add("\xff", "'’\"")
	r := New(Config{})
	f.Fuzz(func(t *testing.T, title, text string) {
		a := r.Assess(title, text)
		if math.IsNaN(a.Relevance) || a.Relevance < 0 || a.Relevance > 1 {
			t.Fatalf("relevance %v", a.Relevance)
		}
		for _, name := range a.Topics {
			if !ValidTopic(r.cfg.Topics, name) {
				t.Fatalf("unknown topic %q", name)
			}
		}
	})
}
