package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// row returns the ledger row with id, or nil.
func (s *Store) row(id int64) *digest.Delivery {
	if id < 1 || id > int64(len(s.deliveries)) {
		return nil
	}
	return &s.deliveries[id-1]
}

// EnsureDelivery creates the pending row for (d.Email, d.EditionDate) when
// absent and returns the stored row either way: of many concurrent
// callers, one creates it and all get the same row. SubscriberID 0 is an
// ad-hoc recipient; a zero CreatedAt is now.
func (s *Store) EnsureDelivery(_ context.Context, d digest.Delivery) (digest.Delivery, error) {
	if d.Email == "" || d.EditionDate == "" {
		return digest.Delivery{}, errors.New("ensure delivery: email and edition date are required")
	}
	if d.Status != "" && d.Status != digest.DeliveryPending {
		return digest.Delivery{}, fmt.Errorf("ensure delivery: a new row is pending, not %q", d.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{d.Email, d.EditionDate}
	if id, ok := s.ledgerKey[k]; ok {
		return *s.row(id), nil
	}
	created := stamp(s.orNow(d.CreatedAt))
	row := digest.Delivery{
		ID: int64(len(s.deliveries) + 1), SubscriberID: d.SubscriberID, Email: d.Email, EditionDate: d.EditionDate,
		MessageID: d.MessageID, Status: digest.DeliveryPending, Generation: d.Generation,
		NextAttempt: stamp(d.NextAttempt), CreatedAt: created, UpdatedAt: created,
	}
	s.deliveries = append(s.deliveries, row)
	s.ledgerKey[k] = row.ID
	return row, nil
}

// ClaimDelivery leases the row until now+lease and counts an attempt when
// it is pending and due, or sending with an expired (or no) lease. It
// returns digest.ErrAlreadySent when the row is sent, failed or skipped,
// digest.ErrLeased when another worker holds a live lease or the row is
// not due, and digest.ErrNotFound when there is no such row.
func (s *Store) ClaimDelivery(_ context.Context, id int64, now time.Time, lease time.Duration) (digest.Delivery, error) {
	if lease <= 0 {
		return digest.Delivery{}, fmt.Errorf("claim delivery %d: lease must be positive, not %s", id, lease)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.row(id)
	if d == nil {
		return digest.Delivery{}, fmt.Errorf("claim delivery %d: read delivery %d: %w", id, id, digest.ErrNotFound)
	}
	until, now := stamp(now.Add(lease)), stamp(now)
	switch {
	case d.Status == digest.DeliveryPending && (d.NextAttempt.IsZero() || !d.NextAttempt.After(now)),
		d.Status == digest.DeliverySending && (d.LeaseUntil.IsZero() || d.LeaseUntil.Before(now)):
		d.Status, d.Attempts, d.LeaseUntil, d.UpdatedAt = digest.DeliverySending, d.Attempts+1, until, now
		return *d, nil
	case d.Status == digest.DeliverySent, d.Status == digest.DeliveryFailed, d.Status == digest.DeliverySkipped:
		return *d, fmt.Errorf("claim delivery %d (%s): %w", id, d.Status, digest.ErrAlreadySent)
	default:
		return *d, fmt.Errorf("claim delivery %d (%s): %w", id, d.Status, digest.ErrLeased)
	}
}

// DeliveryStates reads, for each key, its row's ID and status (zero when
// there is none) and when the last digest to the key's address was sent.
func (s *Store) DeliveryStates(_ context.Context, keys []digest.DeliveryKey) ([]digest.DeliveryState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]digest.DeliveryState, len(keys))
	for i, k := range keys {
		if id, ok := s.ledgerKey[[2]string{k.Email, k.EditionDate}]; ok {
			out[i].ID, out[i].Status = id, s.row(id).Status
		}
		out[i].LastSent = s.lastSent(k.Email)
	}
	return out, nil
}

// ReleaseDeliveries gives back claims as store.DB does.
func (s *Store) ReleaseDeliveries(_ context.Context, ids []int64, leaseUntil time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	until := stamp(leaseUntil)
	for _, id := range ids {
		d := s.row(id)
		if d == nil || d.Status != digest.DeliverySending || !d.LeaseUntil.Equal(until) {
			continue
		}
		d.Status, d.Attempts, d.LeaseUntil, d.UpdatedAt = digest.DeliveryPending, d.Attempts-1, time.Time{}, stamp(s.now())
	}
	return nil
}

// ClaimDeliveries claims many rows as store.DB does: the requests without
// an ID first, each creating its (Email, EditionDate) row already claimed
// (a key that exists, or was asked for before, is not claimed:
// digest.ErrAlreadySent when its row is finished, digest.ErrLeased
// otherwise), then those with an ID as ClaimDelivery.
func (s *Store) ClaimDeliveries(ctx context.Context, reqs []digest.Delivery, now time.Time, lease time.Duration) ([]digest.Delivery, []error) {
	out, errs := make([]digest.Delivery, len(reqs)), make([]error, len(reqs))
	if lease <= 0 {
		for i := range errs {
			errs[i] = fmt.Errorf("claim deliveries: lease must be positive, not %s", lease)
		}
		return out, errs
	}
	s.mu.Lock()
	until, stamped := stamp(now.Add(lease)), stamp(now)
	for i, r := range reqs {
		if r.ID != 0 {
			continue
		}
		k := [2]string{r.Email, r.EditionDate}
		if id, ok := s.ledgerKey[k]; ok {
			cur := *s.row(id)
			out[i] = cur
			switch cur.Status {
			case digest.DeliverySent, digest.DeliveryFailed, digest.DeliverySkipped:
				errs[i] = fmt.Errorf("claim new delivery %d (%s): %w", cur.ID, cur.Status, digest.ErrAlreadySent)
			default:
				errs[i] = fmt.Errorf("claim new delivery %d (%s): %w", cur.ID, cur.Status, digest.ErrLeased)
			}
			continue
		}
		d := digest.Delivery{
			ID: int64(len(s.deliveries) + 1), SubscriberID: r.SubscriberID, Email: r.Email, EditionDate: r.EditionDate,
			MessageID: r.MessageID, Status: digest.DeliverySending, Attempts: 1, LeaseUntil: until,
			CreatedAt: stamped, UpdatedAt: stamped,
		}
		s.deliveries = append(s.deliveries, d)
		s.ledgerKey[k] = d.ID
		out[i] = d
	}
	s.mu.Unlock()
	for i, r := range reqs {
		if r.ID != 0 {
			out[i], errs[i] = s.ClaimDelivery(ctx, r.ID, now, lease)
		}
	}
	return out, errs
}

// finish moves a sending row to its outcome with set and clears its
// lease; op names the operation for errors.
func (s *Store) finish(op string, id int64, now time.Time, set func(d *digest.Delivery)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.row(id)
	if d == nil {
		return fmt.Errorf("%s %d: read delivery %d: %w", op, id, id, digest.ErrNotFound)
	}
	if d.Status != digest.DeliverySending {
		return fmt.Errorf("%s %d: status is %s: %w", op, id, d.Status, digest.ErrNotSending)
	}
	d.LeaseUntil, d.UpdatedAt = time.Time{}, stamp(now)
	set(d)
	return nil
}

// MarkSent records success; the row must be sending (claimed).
func (s *Store) MarkSent(_ context.Context, id int64, now time.Time, stories int) error {
	return s.finish("mark delivery sent", id, now, func(d *digest.Delivery) {
		d.Status, d.SentAt, d.Stories, d.LastError, d.NextAttempt = digest.DeliverySent, stamp(now), stories, "", time.Time{}
	})
}

// MarkSkipped records that nothing was sent; the row must be sending.
func (s *Store) MarkSkipped(_ context.Context, id int64, now time.Time, reason string) error {
	return s.finish("mark delivery skipped", id, now, func(d *digest.Delivery) {
		d.Status, d.LastError, d.NextAttempt = digest.DeliverySkipped, digest.StorableText(reason), time.Time{}
	})
}

// MarkFailed records a failure of a sending row: permanent means status
// failed, never retried; otherwise the row is pending and due at retryAt.
func (s *Store) MarkFailed(_ context.Context, id int64, now time.Time, reason string, permanent bool, retryAt time.Time) error {
	if permanent {
		return s.finish("mark delivery failed", id, now, func(d *digest.Delivery) {
			d.Status, d.LastError, d.NextAttempt = digest.DeliveryFailed, digest.StorableText(reason), time.Time{}
		})
	}
	return s.finish("mark delivery for retry", id, now, func(d *digest.Delivery) {
		d.Status, d.LastError, d.NextAttempt = digest.DeliveryPending, digest.StorableText(reason), stamp(retryAt)
	})
}

// ResetDelivery makes a sent, failed or skipped row pending again with
// Generation+1, zero attempts and no sent time. A pending row is returned
// unchanged; a sending row is digest.ErrLeased.
func (s *Store) ResetDelivery(_ context.Context, id int64, now time.Time) (digest.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.row(id)
	if d == nil {
		return digest.Delivery{}, fmt.Errorf("reset delivery %d: read delivery %d: %w", id, id, digest.ErrNotFound)
	}
	switch d.Status {
	case digest.DeliverySent, digest.DeliveryFailed, digest.DeliverySkipped:
		*d = digest.Delivery{
			ID: d.ID, SubscriberID: d.SubscriberID, Email: d.Email, EditionDate: d.EditionDate, MessageID: d.MessageID,
			Status: digest.DeliveryPending, Generation: d.Generation + 1, CreatedAt: d.CreatedAt, UpdatedAt: stamp(now),
		}
	case digest.DeliverySending:
		return *d, fmt.Errorf("reset delivery %d: %w", id, digest.ErrLeased)
	}
	return *d, nil
}

// Delivery returns the row with id, or digest.ErrNotFound.
func (s *Store) Delivery(_ context.Context, id int64) (digest.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.row(id)
	if d == nil {
		return digest.Delivery{}, fmt.Errorf("read delivery %d: %w", id, digest.ErrNotFound)
	}
	return *d, nil
}

// DeliveryFor returns the row for (email, date), or digest.ErrNotFound.
func (s *Store) DeliveryFor(_ context.Context, email, date string) (digest.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.ledgerKey[[2]string{email, date}]
	if !ok {
		return digest.Delivery{}, fmt.Errorf("read delivery for %s: %w", date, digest.ErrNotFound)
	}
	return *s.row(id), nil
}

// LastSent returns when the last digest to email was sent; zero when never.
func (s *Store) LastSent(_ context.Context, email string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSent(email), nil
}

func (s *Store) lastSent(email string) time.Time {
	var last time.Time
	for _, d := range s.deliveries {
		if d.Email == email && d.Status == digest.DeliverySent && d.SentAt.After(last) {
			last = d.SentAt
		}
	}
	return last
}

// PermanentFailures counts the failed rows for email.
func (s *Store) PermanentFailures(_ context.Context, email string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.deliveries {
		if d.Email == email && d.Status == digest.DeliveryFailed {
			n++
		}
	}
	return n, nil
}

// SaveRun stores r and returns its ID. The report is kept as JSON, as the
// databases keep it, so Run gives back what a database would (without
// Report.Articles, which JSON leaves out).
func (s *Store) SaveRun(_ context.Context, r digest.RunRecord) (int64, error) {
	b, err := json.Marshal(r.Report)
	if err != nil {
		return 0, fmt.Errorf("save run: encode report: %w", err)
	}
	var rep digest.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return 0, fmt.Errorf("save run: decode report: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ID, r.Report = int64(len(s.runs)+1), rep
	r.StartedAt, r.FinishedAt = stamp(r.StartedAt), stamp(r.FinishedAt)
	s.runs = append(s.runs, r)
	return r.ID, nil
}

// Run returns the run with id, or digest.ErrNotFound.
func (s *Store) Run(_ context.Context, id int64) (digest.RunRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > int64(len(s.runs)) {
		return digest.RunRecord{}, fmt.Errorf("read run %d: %w", id, digest.ErrNotFound)
	}
	return s.runs[id-1], nil
}

// SaveEdition stores or replaces the public edition for its date.
func (s *Store) SaveEdition(_ context.Context, e digest.ArchivedEdition) error {
	if e.Date == "" {
		return errors.New("save edition: empty date")
	}
	var items []digest.ArchivedStory
	if len(e.Items) > 0 {
		// Through JSON, as the databases keep the items.
		b, err := json.Marshal(e.Items)
		if err != nil {
			return fmt.Errorf("save edition %s: items: %w", e.Date, err)
		}
		if err := json.Unmarshal(b, &items); err != nil {
			return fmt.Errorf("save edition %s: items: %w", e.Date, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Items, e.Subject, e.HTML, e.Text = items, digest.StorableText(e.Subject), digest.StorableText(e.HTML), digest.StorableText(e.Text)
	e.CreatedAt = stamp(s.orNow(e.CreatedAt))
	s.editions[e.Date] = e
	return nil
}

// Edition returns the edition of date, or digest.ErrNotFound.
func (s *Store) Edition(_ context.Context, date string) (digest.ArchivedEdition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.editions[date]
	if !ok {
		return digest.ArchivedEdition{}, fmt.Errorf("read edition %s: %w", date, digest.ErrNotFound)
	}
	e.Items = slices.Clone(e.Items)
	return e, nil
}
