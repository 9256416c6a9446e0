package digest

import (
	"context"
	"fmt"
	"iter"
)

// SubscriberPages is the part of Store that AllSubscribers reads.
type SubscriberPages interface {
	// Subscribers returns up to limit subscribers with ID > afterID, in ID
	// order, with the given status (all when status is empty). Paging keeps
	// memory flat in the number of subscribers.
	Subscribers(ctx context.Context, status SubscriberStatus, afterID int64, limit int) ([]Subscriber, error)
}

// subscriberPage is how many subscribers AllSubscribers reads per query.
const subscriberPage = 500

// AllSubscribers yields the subscribers with status (all when status is
// empty) in ID order, reading them a page at a time so that memory does
// not grow with their number. A failed read is yielded as the error of a
// zero Subscriber, and ends the sequence.
func AllSubscribers(ctx context.Context, s SubscriberPages, status SubscriberStatus) iter.Seq2[Subscriber, error] {
	return func(yield func(Subscriber, error) bool) {
		var after int64
		for {
			page, err := s.Subscribers(ctx, status, after, subscriberPage)
			if err != nil {
				yield(Subscriber{}, fmt.Errorf("list subscribers: %w", err))
				return
			}
			for _, sub := range page {
				if !yield(sub, nil) {
					return
				}
				after = sub.ID
			}
			if len(page) < subscriberPage {
				return
			}
		}
	}
}
