package lazyre

import (
	"sync"
	"testing"
)

func TestRegexp_Get(t *testing.T) {
	re := New(`^a+b$`)
	var wg sync.WaitGroup
	got := make([]bool, 8)
	for i := range got {
		wg.Go(func() { got[i] = re.Get().MatchString("aab") })
	}
	wg.Wait()
	for i, ok := range got {
		if !ok {
			t.Errorf("goroutine %d: no match", i)
		}
	}
	first, second := re.Get(), re.Get()
	if first != second {
		t.Error("compiled twice")
	}
}

func TestRegexp_Get_badPatternPanicsOnEveryUse(t *testing.T) {
	re := New(`(`) // no panic yet: nothing compiled
	for i := range 2 {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("call %d: bad pattern did not panic", i+1)
				}
			}()
			re.Get()
		}()
	}
}
