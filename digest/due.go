package digest

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// allDelivered reports whether every recipient of a run already has the
// edition their frequency gives them today (a sent, failed or skipped
// ledger row for its key) or none today. When it reports true it counts
// them in rep as deliverAll would: already sent, or not today.
//
// It is what lets a run that gathered nothing new skip clustering and
// summarising: the stories it would make are the ones every recipient has.
// Any doubt (a store error, an unreadable frequency) answers false, and the
// run goes on as before and meets it.
func (e *Engine) allDelivered(ctx context.Context, opts RunOptions, rep *Report) (bool, error) {
	subs, check := AllSubscribers(ctx, e.Store, StatusActive), false
	if len(opts.To) > 0 {
		subs, check = e.adHoc(opts.To), true
	} else if due, err := e.anyoneDue(ctx); err != nil || due {
		return false, ctx.Err() // due, or a failure the run proper meets and reports
	}
	already, notToday, err := e.countDelivered(ctx, subs, check)
	if err != nil {
		return false, ctx.Err() // errDue, or a failure as above
	}
	rep.Recipients += already
	rep.AlreadySent += already
	rep.NotToday += notToday
	rep.Notes = append(rep.Notes, fmt.Sprintf("nothing new, and all %d recipients due today have their edition: no stories made", already))
	return true, nil
}

// errDue ends countDelivered at a recipient still due.
var errDue = errors.New("a recipient is due")

// anyoneDue asks the planner's query whether an active subscriber lacks a
// finished ledger row for the edition their frequency gives them on their
// local date today, whatever their send time (digest now sends at once).
// One query however many subscribers there are; the query is a sieve that
// may keep someone not due, never drop someone due, which is all a "no"
// needs.
func (e *Engine) anyoneDue(ctx context.Context) (bool, error) {
	zones, err := e.Store.ActiveTimeZones(ctx)
	if err != nil {
		return false, fmt.Errorf("list time zones: %w", err)
	}
	if len(zones) == 0 {
		return false, nil
	}
	now := e.now()
	q := DueQuery{Limit: 1}
	for _, z := range zones {
		q.Dates = append(q.Dates, NewZoneDate(z, now.In(Subscriber{TimeZone: z}.Location()), "24:00"))
	}
	cands, err := e.Store.DueCandidates(ctx, q)
	if err != nil {
		return false, fmt.Errorf("find due subscribers: %w", err)
	}
	return len(cands) > 0, nil
}

// countDelivered counts the recipients of subs that have an edition today
// and those whose frequency has none. With check, each one's ledger row is
// read, and one without a finished row ends it with errDue.
func (e *Engine) countDelivered(ctx context.Context, subs iter.Seq2[Subscriber, error], check bool) (already, notToday int, err error) {
	for sub, err := range subs {
		if err != nil {
			return already, notToday, err
		}
		freq, err := ParseFrequency(string(sub.Frequency))
		if err != nil {
			return already, notToday, errDue // deliverAll reports it
		}
		key, sends := freq.EditionOn(e.now().In(sub.Location()))
		if !sends {
			notToday++
			continue
		}
		if check {
			d, err := e.Store.DeliveryFor(ctx, sub.Email, key)
			if err != nil || (d.Status != DeliverySent && d.Status != DeliveryFailed && d.Status != DeliverySkipped) {
				return already, notToday, errDue // not found: due; a store error: the run proper meets it
			}
		}
		already++
	}
	return already, notToday, nil
}

// adHoc yields a recipient in the default time zone for each address of a
// run's To.
func (e *Engine) adHoc(to []string) iter.Seq2[Subscriber, error] {
	return func(yield func(Subscriber, error) bool) {
		for _, addr := range to {
			if !yield(Subscriber{Email: addr, TimeZone: e.Config.DefaultTimeZone}, nil) {
				return
			}
		}
	}
}
