package rouge

import (
	"math"
	"strings"
	"testing"
)

func TestScores(t *testing.T) {
	ref := Tokens("The cat was under the bed.", nil)
	cand := Tokens("the CAT was found under-the bed", nil)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	tests := []struct {
		name string
		got  Score
		p, r float64
	}{
		{"rouge-1", N(cand, ref, 1), 6.0 / 7, 6.0 / 6},
		{"rouge-2", N(cand, ref, 2), 4.0 / 6, 4.0 / 5},
		{"rouge-l", L(cand, ref), 6.0 / 7, 6.0 / 6},
		{"clipped", N(Tokens("the the the the", nil), Tokens("the cat", nil), 1), 1.0 / 4, 1.0 / 2},
		{"disjoint", N(Tokens("dog", nil), ref, 1), 0, 0},
		{"empty", L(nil, ref), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !near(tt.got.P, tt.p) || !near(tt.got.R, tt.r) {
				t.Errorf("P=%v R=%v, want P=%v R=%v", tt.got.P, tt.got.R, tt.p, tt.r)
			}
			if tt.p > 0 && !near(tt.got.F, 2*tt.p*tt.r/(tt.p+tt.r)) {
				t.Errorf("F=%v is not the harmonic mean", tt.got.F)
			}
		})
	}
	if got := strings.Join(Tokens("U.S. £1.3bn, it's", strings.ToUpper), " "); got != "U S 1 3BN IT S" {
		t.Errorf("Tokens with stemmer = %q", got)
	}
}
