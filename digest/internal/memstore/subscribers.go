package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest"
)

// read returns a stored subscriber as the databases give it back.
func read(sub digest.Subscriber) digest.Subscriber {
	sub.Topics = list(sub.Topics)
	sub.Frequency = cmp.Or(sub.Frequency, digest.FrequencyDaily)
	return sub
}

// index returns the position of the subscriber with id, or -1.
func (s *Store) index(id int64) int {
	i, ok := slices.BinarySearchFunc(s.subs, id, func(sub digest.Subscriber, id int64) int { return cmp.Compare(sub.ID, id) })
	if !ok {
		return -1
	}
	return i
}

func (s *Store) byEmail(email string) int {
	return slices.IndexFunc(s.subs, func(sub digest.Subscriber) bool { return sub.Email == email })
}

// insert adds sub with the next ID.
func (s *Store) insert(sub digest.Subscriber) digest.Subscriber {
	now := s.now()
	s.nextSub++
	sub.ID = s.nextSub
	sub.CreatedAt, sub.UpdatedAt = stamp(s.orNow(sub.CreatedAt)), stamp(now)
	sub.Topics = list(sub.Topics)
	s.subs = append(s.subs, sub)
	return sub
}

// AddSubscriber inserts sub (status active when empty) and returns it with
// its ID; digest.ErrConflict when the email exists.
func (s *Store) AddSubscriber(_ context.Context, sub digest.Subscriber) (digest.Subscriber, error) {
	if err := digest.PrepareSubscriber(&sub); err != nil {
		return digest.Subscriber{}, fmt.Errorf("add subscriber: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byEmail(sub.Email) >= 0 {
		return digest.Subscriber{}, fmt.Errorf("add subscriber: %w", digest.ErrConflict)
	}
	sub.Frequency = cmp.Or(sub.Frequency, digest.FrequencyDaily)
	return read(s.insert(sub)), nil
}

// UpsertSubscribers inserts or updates (by email) all of subs, all or
// nothing. An update changes name, topics, time zone, send time and
// frequency (when given) and keeps the stored status.
func (s *Store) UpsertSubscribers(_ context.Context, subs []digest.Subscriber) (inserted, updated int, err error) {
	for i := range subs {
		if err := digest.PrepareSubscriber(&subs[i]); err != nil {
			return 0, 0, fmt.Errorf("upsert subscribers: %s: %w", subs[i].Email, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range subs {
		i := s.byEmail(sub.Email)
		if i < 0 {
			s.insert(sub) // an empty frequency reads as daily
			inserted++
			continue
		}
		cur := &s.subs[i]
		cur.Name, cur.Topics, cur.TimeZone, cur.SendTime = sub.Name, list(sub.Topics), sub.TimeZone, sub.SendTime
		cur.Frequency = cmp.Or(sub.Frequency, cur.Frequency)
		cur.UpdatedAt = stamp(s.now())
		updated++
	}
	return inserted, updated, nil
}

// Subscriber returns the subscriber with id, or digest.ErrNotFound.
func (s *Store) Subscriber(_ context.Context, id int64) (digest.Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(id)
	if i < 0 {
		return digest.Subscriber{}, fmt.Errorf("read subscriber %d: %w", id, digest.ErrNotFound)
	}
	return read(s.subs[i]), nil
}

// SubscriberByEmail returns the subscriber with exactly this email, or
// digest.ErrNotFound.
func (s *Store) SubscriberByEmail(_ context.Context, email string) (digest.Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.byEmail(email)
	if i < 0 {
		return digest.Subscriber{}, fmt.Errorf("read subscriber by email: %w", digest.ErrNotFound)
	}
	return read(s.subs[i]), nil
}

// Subscribers returns up to limit subscribers (all when limit <= 0) with
// ID > afterID in ID order, with the given status (any when empty).
func (s *Store) Subscribers(_ context.Context, status digest.SubscriberStatus, afterID int64, limit int) ([]digest.Subscriber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []digest.Subscriber
	for _, sub := range s.subs {
		if limit > 0 && len(out) == limit {
			break
		}
		if sub.ID > afterID && (status == "" || sub.Status == status) {
			out = append(out, read(sub))
		}
	}
	return out, nil
}

// SetSubscriberStatus sets the status; digest.ErrNotFound when absent.
func (s *Store) SetSubscriberStatus(_ context.Context, id int64, status digest.SubscriberStatus) error {
	if err := digest.CheckStatus(status); err != nil {
		return fmt.Errorf("set subscriber %d status: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(id)
	if i < 0 {
		return fmt.Errorf("set subscriber %d status: %w", id, digest.ErrNotFound)
	}
	s.subs[i].Status, s.subs[i].UpdatedAt = status, stamp(s.now())
	return nil
}

// ActiveTimeZones lists the distinct time zones of active subscribers, in
// order.
func (s *Store) ActiveTimeZones(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, sub := range s.subs {
		if sub.Status == digest.StatusActive {
			out = append(out, sub.TimeZone)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// DueCandidates answers one page of the planning query as store.DB's one
// statement does: active subscribers from AfterID on, each paired with
// the dates of its time zone after (AfterID, AfterDate), sieved by send
// time (one not in HH:MM form passes) and frequency, without a sent,
// failed or skipped ledger row for the edition (keyed by the ISO week for
// a weekly reader), in (ID, date) order.
func (s *Store) DueCandidates(_ context.Context, q digest.DueQuery) ([]digest.DueCandidate, error) {
	if len(q.Dates) == 0 {
		return nil, nil
	}
	dates := slices.Clone(q.Dates)
	slices.SortStableFunc(dates, func(a, b digest.ZoneDate) int { return strings.Compare(a.Date, b.Date) })
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []digest.DueCandidate
	for _, sub := range s.subs {
		if sub.Status != digest.StatusActive || sub.ID < q.AfterID {
			continue
		}
		weekly := strings.HasPrefix(string(sub.Frequency), "weekly:")
		for _, zd := range dates {
			key := zd.Date
			if weekly {
				key = zd.Week
			}
			switch {
			case zd.TimeZone != sub.TimeZone,
				sub.ID == q.AfterID && zd.Date <= q.AfterDate,
				utf8.RuneCountInString(sub.SendTime) == 5 && sub.SendTime > zd.Until,
				sub.Frequency == digest.FrequencyWeekdays && !zd.Weekday,
				weekly && sub.Frequency != zd.Weekly,
				s.finished(sub.Email, key):
				continue
			}
			if q.Limit > 0 && len(out) == q.Limit {
				return out, nil
			}
			out = append(out, digest.DueCandidate{Subscriber: read(sub), Date: zd.Date})
		}
	}
	return out, nil
}

// finished reports whether the ledger row for (email, key) is sent,
// failed or skipped.
func (s *Store) finished(email, key string) bool {
	id, ok := s.ledgerKey[[2]string{email, key}]
	if !ok {
		return false
	}
	switch s.deliveries[id-1].Status {
	case digest.DeliverySent, digest.DeliveryFailed, digest.DeliverySkipped:
		return true
	}
	return false
}
