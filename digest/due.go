package digest

import (
	"context"
	"errors"
	"fmt"
)

// allDelivered reports whether every recipient of a run already has the
// edition their frequency gives them today (a sent, failed or skipped
// ledger row for its key) or none today. It stops at the first recipient
// still due, which is at once on a day's first run. When it reports true
// it counts them in rep as deliverAll would: already sent, or not today.
//
// It is what lets a run that gathered nothing new skip clustering and
// summarising: the stories it would make are the ones every recipient has.
func (e *Engine) allDelivered(ctx context.Context, opts RunOptions, rep *Report) (bool, error) {
	iter := e.activeSubscribers(ctx)
	if len(opts.To) > 0 {
		iter = e.adHoc(opts.To)
	}
	done, already, notToday := true, 0, 0
	err := iter(func(sub Subscriber) bool {
		freq, err := ParseFrequency(string(sub.Frequency))
		if err != nil {
			done = false // deliverAll reports it
			return false
		}
		key, sends := freq.EditionOn(e.now().In(sub.Location()))
		if !sends {
			notToday++
			return true
		}
		d, err := e.Store.DeliveryFor(ctx, sub.Email, key)
		if err != nil || (d.Status != DeliverySent && d.Status != DeliveryFailed && d.Status != DeliverySkipped) {
			// Not found: due. A store error: the run proper meets it
			// and says so.
			done = false
			return false
		}
		already++
		return true
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return false, err
		}
		return false, nil // the run proper lists the subscribers again and reports it
	}
	if !done {
		return false, nil
	}
	rep.Recipients += already
	rep.AlreadySent += already
	rep.NotToday += notToday
	rep.Notes = append(rep.Notes, fmt.Sprintf("nothing new, and all %d recipients due today have their edition: no stories made", already))
	return true, nil
}

// adHoc yields a recipient in the default time zone for each address of a
// run's To.
func (e *Engine) adHoc(to []string) SubscriberIter {
	return func(yield func(Subscriber) bool) error {
		for _, addr := range to {
			if !yield(Subscriber{Email: addr, TimeZone: e.Config.DefaultTimeZone}) {
				break
			}
		}
		return nil
	}
}
