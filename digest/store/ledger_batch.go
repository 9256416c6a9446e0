package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// batchMax bounds the rows of one batch statement: 128 keys of 3 or
// claims of 9 parameters stay well inside both databases' parameter
// limits, and a statement text repeats from batch to batch (Postgres
// prepares each distinct text once per connection).
const batchMax = 128

// DeliveryStates answers, for each key, what the engine reads before it
// composes a delivery: the ledger row's ID and status (zero when there is
// none) and when the last digest to the key's address was sent. One
// statement per batchMax keys, instead of two point reads per key.
func (db *DB) DeliveryStates(ctx context.Context, keys []digest.DeliveryKey) ([]digest.DeliveryState, error) {
	out := make([]digest.DeliveryState, len(keys))
	for start := 0; start < len(keys); start += batchMax {
		chunk := keys[start:min(start+batchMax, len(keys))]
		if err := db.deliveryStates(ctx, chunk, out[start:start+len(chunk)]); err != nil {
			return nil, fmt.Errorf("read delivery states: %w", err)
		}
	}
	return out, nil
}

func (db *DB) deliveryStates(ctx context.Context, keys []digest.DeliveryKey, out []digest.DeliveryState) error {
	var sb strings.Builder
	args := make([]any, 0, len(keys)*3)
	sb.WriteString("WITH v (vi, ve, vd) AS (VALUES ")
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(CAST(? AS INTEGER), ?, ?)")
		args = append(args, i, k.Email, k.EditionDate)
	}
	// The last send is read from the partial index of sent rows, as
	// LastSent does; the row through the unique (email, edition_date)
	// index.
	sb.WriteString(`) SELECT v.vi, COALESCE(d.id, 0), COALESCE(d.status, ''),
		(SELECT MAX(l.sent_at) FROM deliveries l WHERE l.email = v.ve AND l.status = 'sent')
		FROM v LEFT JOIN deliveries d ON d.email = v.ve AND d.edition_date = v.vd`)
	type row struct {
		i int
		s digest.DeliveryState
	}
	rows, err := queryAll(ctx, db.run, db.chunkQuery(sb.String()), func(sc scanner) (row, error) {
		var r row
		return r, sc.Scan(&r.i, &r.s.ID, &r.s.Status, timeDest{&r.s.LastSent})
	}, args...)
	if err != nil {
		return err
	}
	if len(rows) != len(keys) {
		return fmt.Errorf("%d rows for %d keys", len(rows), len(keys))
	}
	for _, r := range rows {
		out[r.i] = r.s
	}
	return nil
}

// ClaimDeliveries leases many deliveries for sending until now+lease, as
// ClaimDelivery does one: a request with an ID claims that row (pending
// and due, or sending with an expired lease); one without creates the row
// of (Email, EditionDate) already claimed, with SubscriberID (0: ad hoc)
// and MessageID, so a new delivery costs one written row version before
// its outcome instead of two. The new rows go in one INSERT per batchMax
// requests, the existing ones in one UPDATE (see claimMany). Per request
// it returns the claimed row, or digest.ErrAlreadySent (the row is sent,
// failed or skipped), digest.ErrLeased (another worker holds it, or
// created it first) or a store error.
// ReleaseDeliveries gives back claims that will not be sent, in one
// statement (see digest.Ledger).
func (db *DB) ReleaseDeliveries(ctx context.Context, ids []int64, leaseUntil time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, db.t(db.now()), db.t(leaseUntil))
	for _, id := range ids {
		args = append(args, id)
	}
	var sb strings.Builder
	sb.WriteString(`UPDATE deliveries
		SET status = 'pending', attempts = attempts - 1, lease_until = NULL, updated_at = ?
		WHERE status = 'sending' AND lease_until = ? AND id IN (?`)
	for range len(ids) - 1 {
		sb.WriteString(", ?")
	}
	sb.WriteString(")")
	_, err := db.run.ExecContext(ctx, db.chunkQuery(sb.String()), args...)
	if err != nil {
		return fmt.Errorf("release %d deliveries: %w", len(ids), err)
	}
	return nil
}

func (db *DB) ClaimDeliveries(ctx context.Context, reqs []digest.Delivery, now time.Time, lease time.Duration) ([]digest.Delivery, []error) {
	out, errs := make([]digest.Delivery, len(reqs)), make([]error, len(reqs))
	if lease <= 0 {
		for i := range errs {
			errs[i] = fmt.Errorf("claim deliveries: lease must be positive, not %s", lease)
		}
		return out, errs
	}
	until := now.Add(lease)
	var fresh, old []int
	for i, r := range reqs {
		if r.ID == 0 {
			fresh = append(fresh, i)
		} else {
			old = append(old, i)
		}
	}
	for chunk := range slices.Chunk(fresh, batchMax) {
		db.claimNew(ctx, reqs, chunk, now, until, out, errs)
	}
	for chunk := range slices.Chunk(old, batchMax) {
		rs := make([]claimReq, len(chunk))
		for j, i := range chunk {
			rs[j] = claimReq{id: reqs[i].ID, now: now, until: until}
		}
		ds, es := db.claimMany(ctx, rs)
		for j, i := range chunk {
			out[i], errs[i] = ds[j], es[j]
		}
	}
	return out, errs
}

// claimNew inserts the rows of reqs[idx...] claimed. A key that exists
// already (another worker made it meanwhile) is not claimed.
func (db *DB) claimNew(ctx context.Context, reqs []digest.Delivery, idx []int, now, until time.Time, out []digest.Delivery, errs []error) {
	// In key order, as for ensureMany: two workers' inserts of shared keys
	// take the unique index's locks in the same order.
	sorted := slices.Clone(idx)
	slices.SortFunc(sorted, func(a, b int) int {
		return cmp.Or(cmp.Compare(reqs[a].Email, reqs[b].Email), cmp.Compare(reqs[a].EditionDate, reqs[b].EditionDate))
	})
	var sb strings.Builder
	args := make([]any, 0, len(idx)*7)
	sb.WriteString(`INSERT INTO deliveries
		(subscriber_id, email, edition_date, message_id, status, attempts, generation, lease_until, created_at, updated_at) VALUES `)
	seen := make(map[[2]string]bool, len(idx))
	n := 0
	for _, i := range sorted {
		d := reqs[i]
		key := [2]string{d.Email, d.EditionDate}
		if seen[key] {
			continue // asked twice: the second asker finds the row taken
		}
		seen[key] = true
		if n > 0 {
			sb.WriteString(", ")
		}
		n++
		sb.WriteString("(?, ?, ?, ?, 'sending', 1, 0, ?, ?, ?)")
		var sub any
		if d.SubscriberID != 0 {
			sub = d.SubscriberID
		}
		args = append(args, sub, d.Email, d.EditionDate, d.MessageID, db.t(until), db.t(now), db.t(now))
	}
	sb.WriteString(" ON CONFLICT (email, edition_date) DO NOTHING RETURNING " + deliveryCols)
	rows, err := queryAll(ctx, db.once, db.chunkQuery(sb.String()), scanDelivery, args...)
	if err != nil {
		for _, i := range idx {
			errs[i] = fmt.Errorf("claim new delivery for %s: %w", reqs[i].EditionDate, err)
		}
		return
	}
	made := make(map[[2]string]digest.Delivery, len(rows))
	for _, r := range rows {
		made[[2]string{r.Email, r.EditionDate}] = r
	}
	for _, i := range idx {
		key := [2]string{reqs[i].Email, reqs[i].EditionDate}
		if d, ok := made[key]; ok {
			delete(made, key)
			out[i] = d
			continue
		}
		cur, err := db.DeliveryFor(ctx, key[0], key[1])
		if err != nil && !errors.Is(err, digest.ErrNotFound) {
			errs[i] = fmt.Errorf("claim new delivery for %s: %w", key[1], err)
			continue
		}
		out[i] = cur
		switch cur.Status {
		case digest.DeliverySent, digest.DeliveryFailed, digest.DeliverySkipped:
			errs[i] = fmt.Errorf("claim new delivery %d (%s): %w", cur.ID, cur.Status, digest.ErrAlreadySent)
		default:
			errs[i] = fmt.Errorf("claim new delivery %d (%s): %w", cur.ID, cur.Status, digest.ErrLeased)
		}
	}
}
