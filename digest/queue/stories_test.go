package queue

import (
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// Deliver jobs read the clock before they wait for the cache's lock, so one
// that read it a moment before the job holding the lock must take the list
// that job built, not build it again (each build clusters the whole window).
func TestStoryCache_WaiterTakesFreshBuild(t *testing.T) {
	c := &storyCache{ttl: 2 * time.Minute}
	t0 := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	builds := 0
	build := func() ([]digest.Story, error) {
		mu.Lock()
		defer mu.Unlock()
		builds++
		return []digest.Story{{Key: "k"}}, nil
	}
	// The job holding the lock read the clock last.
	if _, err := c.get(t0.Add(50*time.Millisecond), build); err != nil {
		t.Fatal(err)
	}
	// The waiter read it first.
	got, err := c.get(t0, build)
	if err != nil {
		t.Fatal(err)
	}
	if builds != 1 || len(got) != 1 {
		t.Fatalf("builds = %d, stories = %d; want 1 build shared by both jobs", builds, len(got))
	}
	// A clock moved back by more than the TTL is not served the newer list.
	if _, err := c.get(t0.Add(-3*time.Minute), build); err != nil {
		t.Fatal(err)
	}
	// Nor is one past the TTL.
	if _, err := c.get(t0.Add(3*time.Minute), build); err != nil {
		t.Fatal(err)
	}
	if builds != 3 {
		t.Fatalf("builds = %d, want 3", builds)
	}
}
