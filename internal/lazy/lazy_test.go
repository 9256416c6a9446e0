package lazy

import (
	"sync"
	"testing"
)

func TestValue_Get(t *testing.T) {
	calls := 0
	v := Value[map[string]int]{Build: func() map[string]int {
		calls++
		return map[string]int{"a": 1}
	}}
	var wg sync.WaitGroup
	got := make([]map[string]int, 8)
	for i := range got {
		wg.Go(func() { got[i] = v.Get() })
	}
	wg.Wait()
	for i, m := range got {
		if m["a"] != 1 {
			t.Errorf("goroutine %d: %v", i, m)
		}
	}
	if calls != 1 {
		t.Errorf("Build called %d times, want 1", calls)
	}
}

func TestValue_Get_panicsOnEveryCall(t *testing.T) {
	v := Value[int]{Build: func() int { panic("boom") }}
	for i := range 2 {
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("call %d: recovered %v, want boom", i+1, r)
				}
			}()
			v.Get()
		}()
	}
}
