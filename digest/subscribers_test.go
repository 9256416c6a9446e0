package digest

import (
	"context"
	"errors"
	"testing"
)

// pager is a SubscriberPages over n subscribers with IDs 1..n that fails
// the read after failAfter when set.
type pager struct {
	n, failAfter int64
	calls        int
}

func (p *pager) Subscribers(_ context.Context, _ SubscriberStatus, afterID int64, limit int) ([]Subscriber, error) {
	p.calls++
	if p.failAfter > 0 && afterID >= p.failAfter {
		return nil, errors.New("connection refused")
	}
	var out []Subscriber
	for id := afterID + 1; id <= p.n && len(out) < limit; id++ {
		out = append(out, Subscriber{ID: id})
	}
	return out, nil
}

func TestAllSubscribers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		n     int64
		calls int
	}{
		{"none", 0, 1},
		{"one page", 3, 1},
		{"a full page, then an empty one", subscriberPage, 2},
		{"pages", 2*subscriberPage + 7, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &pager{n: tc.n}
			var want int64 = 1
			for sub, err := range AllSubscribers(ctx, p, StatusActive) {
				if err != nil {
					t.Fatal(err)
				}
				if sub.ID != want {
					t.Fatalf("got subscriber %d, want %d", sub.ID, want)
				}
				want++
			}
			if want-1 != tc.n || p.calls != tc.calls {
				t.Fatalf("yielded %d subscribers in %d reads, want %d in %d", want-1, p.calls, tc.n, tc.calls)
			}
		})
	}
	t.Run("a failed read ends it with the error", func(t *testing.T) {
		p := &pager{n: 2 * subscriberPage, failAfter: subscriberPage}
		got, errs := 0, 0
		for _, err := range AllSubscribers(ctx, p, StatusActive) {
			if err != nil {
				errs++
				continue
			}
			got++
		}
		if got != subscriberPage || errs != 1 {
			t.Fatalf("yielded %d subscribers and %d errors, want %d and 1", got, errs, subscriberPage)
		}
	})
	t.Run("stopping early reads no further", func(t *testing.T) {
		p := &pager{n: 2 * subscriberPage}
		for range AllSubscribers(ctx, p, StatusActive) {
			break
		}
		if p.calls != 1 {
			t.Fatalf("%d reads after a break, want 1", p.calls)
		}
	})
}
