package lazyre

import (
	"sync"
	"testing"
)

func TestNew(t *testing.T) {
	re := New(`^a+b$`)
	var wg sync.WaitGroup
	got := make([]bool, 8)
	for i := range got {
		wg.Go(func() { got[i] = re().MatchString("aab") })
	}
	wg.Wait()
	for i, ok := range got {
		if !ok {
			t.Errorf("goroutine %d: no match", i)
		}
	}
	first, second := re(), re()
	if first != second {
		t.Error("compiled twice")
	}
}

func TestNew_badPatternPanicsOnUse(t *testing.T) {
	re := New(`(`) // no panic yet: nothing compiled
	defer func() {
		if recover() == nil {
			t.Error("bad pattern did not panic on first use")
		}
	}()
	re()
}
