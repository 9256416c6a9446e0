package queue

import (
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

func TestDeliverRetryAt(t *testing.T) {
	for _, c := range []struct {
		errs int
		base time.Duration
	}{
		{1, time.Second}, {2, 16 * time.Second}, {3, deliverRetryCap},
		{5, deliverRetryCap}, {24, deliverRetryCap}, {100, deliverRetryCap},
	} {
		// hi allows for the clock read inside River's policy, after now.
		lo, hi := time.Duration(float64(c.base)*0.9), time.Duration(float64(c.base)*1.1)+10*time.Millisecond
		row := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, c.errs-1)}
		for range 50 {
			now := time.Now()
			wait := deliverRetryAt(row).Sub(now)
			if wait < lo || wait > hi {
				t.Fatalf("after %d errors: retry in %v, want %v ± 10 %%", c.errs, wait, c.base)
			}
		}
	}
}

// TestDeliverWorkers_NextRetry checks both deliver workers use the capped
// back-off: River's default would wait 625 s after a fifth error.
func TestDeliverWorkers_NextRetry(t *testing.T) {
	row := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, 4)}
	for name, next := range map[string]func() time.Time{
		"deliver":       func() time.Time { return (&deliverWorker{}).NextRetry(&river.Job[DeliverArgs]{JobRow: row}) },
		"deliver_batch": func() time.Time { return (&deliverBatchWorker{}).NextRetry(&river.Job[DeliverBatchArgs]{JobRow: row}) },
	} {
		before := time.Now()
		at := next()
		if wait := at.Sub(before); wait < 27*time.Second || wait > 34*time.Second {
			t.Errorf("%s after 5 errors: retry in %v (at %v), want ~%v", name, wait, at, deliverRetryCap)
		}
	}
}
