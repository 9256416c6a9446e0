package queue

import (
	"reflect"
	"testing"
)

// TestBatcher_Ranges checks that deliveries are grouped by ID range and
// edition key, so that a plan repeated with some subscribers of one range
// gone rebuilds the other ranges' batches unchanged (and River's
// uniqueness by args drops them).
func TestBatcher_Ranges(t *testing.T) {
	batches := func(ds []DeliverArgs) [][]DeliverArgs {
		var b batcher
		for _, d := range ds {
			b.add(d)
		}
		b.closeRange()
		var out [][]DeliverArgs
		for _, p := range b.ready {
			out = append(out, p.Args.(DeliverBatchArgs).Deliveries)
		}
		return out
	}
	d := func(id int64, date string) DeliverArgs { return DeliverArgs{SubscriberID: id, Date: date} }
	all := []DeliverArgs{d(1, "2026-06-09"), d(1, "2026-06-10"), d(5, "2026-06-10"), d(99, "2026-06-10"),
		d(100, "2026-06-10"), d(150, "2026-06-10"), d(230, "2026-W24")}
	want := [][]DeliverArgs{
		{d(1, "2026-06-09")},
		{d(1, "2026-06-10"), d(5, "2026-06-10"), d(99, "2026-06-10")},
		{d(100, "2026-06-10"), d(150, "2026-06-10")},
		{d(230, "2026-W24")},
	}
	if got := batches(all); !reflect.DeepEqual(got, want) {
		t.Fatalf("batches = %v, want %v", got, want)
	}
	// Subscriber 5 sent meanwhile: only its range's batch changes.
	later := batches(append(append([]DeliverArgs{}, all[:2]...), all[3:]...))
	if !reflect.DeepEqual(later[2:], want[2:]) || reflect.DeepEqual(later[1], want[1]) {
		t.Fatalf("after one send, batches = %v", later)
	}
}
