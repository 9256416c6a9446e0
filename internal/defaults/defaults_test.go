package defaults

import (
	"testing"
	"time"
)

func TestPositiveOr(t *testing.T) {
	for _, c := range []struct{ v, want int }{{3, 3}, {0, 7}, {-1, 7}} {
		if got := PositiveOr(c.v, 7); got != c.want {
			t.Errorf("PositiveOr(%d, 7) = %d, want %d", c.v, got, c.want)
		}
	}
	if got := PositiveOr(-time.Second, time.Minute); got != time.Minute {
		t.Errorf("a negative duration gave %s, want the default", got)
	}
	if got := PositiveOr(0.25, 0.5); got != 0.25 {
		t.Errorf("PositiveOr(0.25, 0.5) = %v", got)
	}
}
