package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// ErrNotSending is digest.ErrNotSending, returned by MarkSent, MarkFailed
// and MarkSkipped when the row is not in status sending.
var ErrNotSending = digest.ErrNotSending

const deliveryCols = "id, subscriber_id, email, edition_date, message_id, status, attempts, generation, lease_until, next_attempt, last_error, stories, created_at, updated_at, sent_at"

func scanDelivery(sc scanner) (digest.Delivery, error) {
	var d digest.Delivery
	var sub sql.NullInt64
	err := sc.Scan(&d.ID, &sub, &d.Email, &d.EditionDate, &d.MessageID, &d.Status, &d.Attempts, &d.Generation,
		timeDest{&d.LeaseUntil}, timeDest{&d.NextAttempt}, &d.LastError, &d.Stories,
		timeDest{&d.CreatedAt}, timeDest{&d.UpdatedAt}, timeDest{&d.SentAt})
	d.SubscriberID = sub.Int64
	return d, err
}

// EnsureDelivery creates the pending row for (d.Email, d.EditionDate) when
// absent and returns the stored row either way. It is safe to call from
// many workers at once: the unique (email, edition_date) index decides, and
// everyone reads back the same row. SubscriberID 0 is an ad-hoc recipient.
// A zero NextAttempt makes the row due at once; a zero CreatedAt is now.
func (db *DB) EnsureDelivery(ctx context.Context, d digest.Delivery) (digest.Delivery, error) {
	if d.Email == "" || d.EditionDate == "" {
		return digest.Delivery{}, errors.New("ensure delivery: email and edition date are required")
	}
	if d.Status != "" && d.Status != digest.DeliveryPending {
		return digest.Delivery{}, fmt.Errorf("ensure delivery: a new row is pending, not %q", d.Status)
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = db.now()
	}
	return db.groups.ensure.do(ctx, d, 0, 0)
}

// ensureOne is EnsureDelivery's statement for one row.
func (db *DB) ensureOne(ctx context.Context, d digest.Delivery) (digest.Delivery, error) {
	var sub any
	if d.SubscriberID != 0 {
		sub = d.SubscriberID
	}
	// RETURNING gives the new row in the same statement; it returns nothing
	// when the row exists, which is then read (a second round trip only for
	// the loser of a race or a repeated call).
	got, err := scanDelivery(db.run.QueryRowContext(ctx, db.q(`INSERT INTO deliveries
		(subscriber_id, email, edition_date, message_id, status, attempts, generation, next_attempt, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)
		ON CONFLICT (email, edition_date) DO NOTHING
		RETURNING `+deliveryCols),
		sub, d.Email, d.EditionDate, d.MessageID, d.Generation, db.t(d.NextAttempt), db.t(d.CreatedAt), db.t(d.CreatedAt)))
	if err == nil {
		return got, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return digest.Delivery{}, fmt.Errorf("ensure delivery: %w", err)
	}
	got, err = db.DeliveryFor(ctx, d.Email, d.EditionDate)
	if err != nil {
		return digest.Delivery{}, fmt.Errorf("ensure delivery: %w", err)
	}
	return got, nil
}

// ensureMany is EnsureDelivery for a group: one multi-row INSERT, then a
// read of each row that existed already.
func (db *DB) ensureMany(ctx context.Context, ds []digest.Delivery) ([]digest.Delivery, []error) {
	out, errs := make([]digest.Delivery, len(ds)), make([]error, len(ds))
	if len(ds) == 1 {
		out[0], errs[0] = db.ensureOne(ctx, ds[0])
		return out, errs
	}
	var sb strings.Builder
	args := make([]any, 0, len(ds)*8)
	sb.WriteString(`INSERT INTO deliveries
		(subscriber_id, email, edition_date, message_id, status, attempts, generation, next_attempt, created_at, updated_at) VALUES `)
	// In key order: two replicas' groups that share rows then take the
	// unique index's locks in the same order and cannot deadlock.
	sorted := slices.Clone(ds)
	slices.SortFunc(sorted, func(a, b digest.Delivery) int {
		return cmp.Or(cmp.Compare(a.Email, b.Email), cmp.Compare(a.EditionDate, b.EditionDate))
	})
	for i, d := range sorted {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)")
		var sub any
		if d.SubscriberID != 0 {
			sub = d.SubscriberID
		}
		args = append(args, sub, d.Email, d.EditionDate, d.MessageID, d.Generation, db.t(d.NextAttempt), db.t(d.CreatedAt), db.t(d.CreatedAt))
	}
	sb.WriteString(" ON CONFLICT (email, edition_date) DO NOTHING RETURNING " + deliveryCols)
	rows, err := queryAll(ctx, db.once, db.chunkQuery(sb.String()), scanDelivery, args...)
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("ensure delivery: %w", err)
		}
		return out, errs
	}
	made := make(map[[2]string]digest.Delivery, len(rows))
	for _, r := range rows {
		made[[2]string{r.Email, r.EditionDate}] = r
	}
	for i, d := range ds {
		if r, ok := made[[2]string{d.Email, d.EditionDate}]; ok {
			out[i] = r
			continue
		}
		if out[i], errs[i] = db.DeliveryFor(ctx, d.Email, d.EditionDate); errs[i] != nil {
			errs[i] = fmt.Errorf("ensure delivery: %w", errs[i])
		}
	}
	return out, errs
}

// ClaimDelivery leases the row until now+lease with one conditional UPDATE,
// so of many concurrent claimers exactly one wins. It succeeds when the row
// is pending and due, or sending with an expired lease, and counts an
// attempt. It returns digest.ErrAlreadySent when the row is sent, failed or
// skipped, digest.ErrLeased when another worker holds a live lease or the
// row is not due, and digest.ErrNotFound when there is no such row.
func (db *DB) ClaimDelivery(ctx context.Context, id int64, now time.Time, lease time.Duration) (digest.Delivery, error) {
	if lease <= 0 {
		return digest.Delivery{}, fmt.Errorf("claim delivery %d: lease must be positive, not %s", id, lease)
	}
	return db.groups.claim.do(ctx, claimReq{id: id, now: now, until: now.Add(lease)}, 0, 0)
}

// claimReq is one ClaimDelivery call.
type claimReq struct {
	id         int64
	now, until time.Time
}

// claimOne is ClaimDelivery's statement for one row.
func (db *DB) claimOne(ctx context.Context, r claimReq) (digest.Delivery, error) {
	d, err := scanDelivery(db.run.QueryRowContext(ctx, db.q(`UPDATE deliveries
		SET status = 'sending', attempts = attempts + 1, lease_until = ?, updated_at = ?
		WHERE id = ? AND (
			(status = 'pending' AND (next_attempt IS NULL OR next_attempt <= ?))
			-- a sending row without a lease is broken (digest doctor says
			-- so); taking it over repairs it rather than strand it.
			OR (status = 'sending' AND (lease_until IS NULL OR lease_until < ?)))
		RETURNING `+deliveryCols),
		db.t(r.until), db.t(r.now), r.id, db.t(r.now), db.t(r.now)))
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return digest.Delivery{}, fmt.Errorf("claim delivery %d: %w", r.id, err)
	}
	return db.notClaimed(ctx, r.id)
}

// notClaimed says why row id was not claimed.
func (db *DB) notClaimed(ctx context.Context, id int64) (digest.Delivery, error) {
	cur, err := db.Delivery(ctx, id)
	if err != nil {
		return digest.Delivery{}, fmt.Errorf("claim delivery %d: %w", id, err)
	}
	switch cur.Status {
	case digest.DeliverySent, digest.DeliveryFailed, digest.DeliverySkipped:
		return cur, fmt.Errorf("claim delivery %d (%s): %w", id, cur.Status, digest.ErrAlreadySent)
	default:
		return cur, fmt.Errorf("claim delivery %d (%s): %w", id, cur.Status, digest.ErrLeased)
	}
}

// claimMany is ClaimDelivery for a group: one UPDATE leases every row of
// the group that is claimable. On Postgres the rows are locked with SKIP
// LOCKED first, so a group never waits behind another worker's write of
// the same row; such a row counts as in flight (digest.ErrLeased). A row
// asked for twice is claimed for the first asker only.
func (db *DB) claimMany(ctx context.Context, rs []claimReq) ([]digest.Delivery, []error) {
	out, errs := make([]digest.Delivery, len(rs)), make([]error, len(rs))
	if len(rs) == 1 {
		out[0], errs[0] = db.claimOne(ctx, rs[0])
		return out, errs
	}
	var sb strings.Builder
	args := make([]any, 0, len(rs)*3)
	row := "(CAST(? AS BIGINT), ?, ?)"
	if db.dialect == Postgres {
		// Postgres cannot infer a VALUES list parameter's type from a column.
		row = "(CAST(? AS BIGINT), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ))"
	}
	sb.WriteString("WITH v (vid, vnow, vuntil) AS (VALUES ")
	for i, r := range rs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
		args = append(args, r.id, db.t(r.now), db.t(r.until))
	}
	sb.WriteString(")")
	lock := ""
	if db.dialect == Postgres {
		sb.WriteString(", locked AS (SELECT id AS lid FROM deliveries WHERE id IN (SELECT vid FROM v) FOR UPDATE SKIP LOCKED)")
		lock = " AND deliveries.id IN (SELECT lid FROM locked)"
	}
	sb.WriteString(` UPDATE deliveries
		SET status = 'sending', attempts = attempts + 1, lease_until = v.vuntil, updated_at = v.vnow
		FROM v WHERE deliveries.id = v.vid` + lock + ` AND (
			(deliveries.status = 'pending' AND (deliveries.next_attempt IS NULL OR deliveries.next_attempt <= v.vnow))
			OR (deliveries.status = 'sending' AND (deliveries.lease_until IS NULL OR deliveries.lease_until < v.vnow)))
		RETURNING ` + deliveryCols)
	rows, err := queryAll(ctx, db.once, db.chunkQuery(sb.String()), scanDelivery, args...)
	if err != nil {
		for i, r := range rs {
			errs[i] = fmt.Errorf("claim delivery %d: %w", r.id, err)
		}
		return out, errs
	}
	claimed := make(map[int64]digest.Delivery, len(rows))
	for _, d := range rows {
		claimed[d.ID] = d
	}
	for i, r := range rs {
		if d, ok := claimed[r.id]; ok {
			delete(claimed, r.id) // a second asker of the row did not claim it
			out[i] = d
			continue
		}
		out[i], errs[i] = db.notClaimed(ctx, r.id)
	}
	return out, errs
}

// finish moves a row out of status sending and clears its lease; op names
// the operation for errors. set is the SET list after the common columns.
func (db *DB) finish(ctx context.Context, op string, id int64, now time.Time, set string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = digest.StorableText(s) // reasons quote SMTP servers
		}
	}
	args = append([]any{db.t(now)}, args...)
	args = append(args, id)
	res, err := db.run.ExecContext(ctx, db.q("UPDATE deliveries SET lease_until = NULL, updated_at = ?, "+set+
		" WHERE id = ? AND status = 'sending'"), args...)
	if err != nil {
		return fmt.Errorf("%s %d: %w", op, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %d: %w", op, id, err)
	}
	if n == 1 {
		return nil
	}
	cur, err := db.Delivery(ctx, id)
	if err != nil {
		return fmt.Errorf("%s %d: %w", op, id, err)
	}
	return fmt.Errorf("%s %d: status is %s: %w", op, id, cur.Status, ErrNotSending)
}

// MarkSent records success; the row must be sending (claimed). It returns
// once the row is committed sent; concurrent calls share one statement and
// one commit. Under digest.WithMarkGrouping a call waits up to the given
// time, or until the given number of marks are queued, for others to
// share its commit (a group commit for callers that do not wait for it).
func (db *DB) MarkSent(ctx context.Context, id int64, now time.Time, stories int) error {
	wait, fill := digest.MarkGrouping(ctx)
	_, err := db.groups.sent.do(ctx, sentReq{id: id, now: now, stories: stories}, wait, fill)
	return err
}

// sentReq is one MarkSent call.
type sentReq struct {
	id      int64
	now     time.Time
	stories int
}

// markSentMany is MarkSent for a group: one UPDATE marks every row of the
// group that is still sending.
func (db *DB) markSentMany(ctx context.Context, rs []sentReq) ([]struct{}, []error) {
	errs := make([]error, len(rs))
	if len(rs) == 1 {
		r := rs[0]
		errs[0] = db.finish(ctx, "mark delivery sent", r.id, r.now,
			"status = 'sent', sent_at = ?, stories = ?, last_error = '', next_attempt = NULL", db.t(r.now), r.stories)
		return nil, errs
	}
	var sb strings.Builder
	args := make([]any, 0, len(rs)*3)
	row := "(CAST(? AS BIGINT), ?, CAST(? AS INTEGER))"
	if db.dialect == Postgres {
		row = "(CAST(? AS BIGINT), CAST(? AS TIMESTAMPTZ), CAST(? AS INTEGER))"
	}
	sb.WriteString("WITH v (vid, vnow, vstories) AS (VALUES ")
	sorted := slices.Clone(rs) // in id order, as for ensureMany
	slices.SortFunc(sorted, func(a, b sentReq) int { return cmp.Compare(a.id, b.id) })
	for i, r := range sorted {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
		args = append(args, r.id, db.t(r.now), r.stories)
	}
	sb.WriteString(`) UPDATE deliveries
		SET lease_until = NULL, updated_at = v.vnow, status = 'sent', sent_at = v.vnow, stories = v.vstories,
			last_error = '', next_attempt = NULL
		FROM v WHERE deliveries.id = v.vid AND deliveries.status = 'sending'
		RETURNING id`)
	ids, err := queryAll(ctx, db.once, db.chunkQuery(sb.String()), func(sc scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	}, args...)
	if err != nil {
		for i, r := range rs {
			errs[i] = fmt.Errorf("mark delivery sent %d: %w", r.id, err)
		}
		return nil, errs
	}
	marked := make(map[int64]bool, len(ids))
	for _, id := range ids {
		marked[id] = true
	}
	for i, r := range rs {
		if marked[r.id] {
			delete(marked, r.id) // a second call for the row finds it sent
			continue
		}
		cur, err := db.Delivery(ctx, r.id)
		if err != nil {
			errs[i] = fmt.Errorf("mark delivery sent %d: %w", r.id, err)
			continue
		}
		errs[i] = fmt.Errorf("mark delivery sent %d: status is %s: %w", r.id, cur.Status, ErrNotSending)
	}
	return nil, errs
}

// MarkSkipped records that nothing was sent; the row must be sending.
func (db *DB) MarkSkipped(ctx context.Context, id int64, now time.Time, reason string) error {
	return db.finish(ctx, "mark delivery skipped", id, now,
		"status = 'skipped', last_error = ?, next_attempt = NULL", reason)
}

// MarkFailed records a failure of a sending row: permanent means status
// failed, never retried; otherwise the row is pending and due at retryAt.
func (db *DB) MarkFailed(ctx context.Context, id int64, now time.Time, reason string, permanent bool, retryAt time.Time) error {
	if permanent {
		return db.finish(ctx, "mark delivery failed", id, now,
			"status = 'failed', last_error = ?, next_attempt = NULL", reason)
	}
	return db.finish(ctx, "mark delivery for retry", id, now,
		"status = 'pending', last_error = ?, next_attempt = ?", reason, db.t(retryAt))
}

// ResetDelivery makes a sent, failed or skipped row pending again with
// Generation+1, zero attempts and no sent time (digest now --force). A
// pending row is returned unchanged; a sending row is digest.ErrLeased.
func (db *DB) ResetDelivery(ctx context.Context, id int64, now time.Time) (digest.Delivery, error) {
	d, err := scanDelivery(db.run.QueryRowContext(ctx, db.q(`UPDATE deliveries
		SET status = 'pending', generation = generation + 1, attempts = 0, lease_until = NULL,
			next_attempt = NULL, sent_at = NULL, last_error = '', stories = 0, updated_at = ?
		WHERE id = ? AND status IN ('sent', 'failed', 'skipped')
		RETURNING `+deliveryCols), db.t(now), id))
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return digest.Delivery{}, fmt.Errorf("reset delivery %d: %w", id, err)
	}
	cur, err := db.Delivery(ctx, id)
	if err != nil {
		return digest.Delivery{}, fmt.Errorf("reset delivery %d: %w", id, err)
	}
	if cur.Status == digest.DeliverySending {
		return cur, fmt.Errorf("reset delivery %d: %w", id, digest.ErrLeased)
	}
	return cur, nil
}

// Delivery returns the row with id, or digest.ErrNotFound.
func (db *DB) Delivery(ctx context.Context, id int64) (digest.Delivery, error) {
	d, err := scanDelivery(db.run.QueryRowContext(ctx, db.q("SELECT "+deliveryCols+" FROM deliveries WHERE id = ?"), id))
	if err != nil {
		return digest.Delivery{}, fmt.Errorf("read delivery %d: %w", id, noRows(err))
	}
	return d, nil
}

// DeliveryFor returns the row for (email, date), or digest.ErrNotFound.
func (db *DB) DeliveryFor(ctx context.Context, email, date string) (digest.Delivery, error) {
	d, err := scanDelivery(db.run.QueryRowContext(ctx, db.q("SELECT "+deliveryCols+" FROM deliveries WHERE email = ? AND edition_date = ?"), email, date))
	if err != nil {
		return digest.Delivery{}, fmt.Errorf("read delivery for %s: %w", date, noRows(err))
	}
	return d, nil
}

// LastSent returns when the last digest to email was sent; zero when never.
func (db *DB) LastSent(ctx context.Context, email string) (time.Time, error) {
	var t time.Time
	err := db.run.QueryRowContext(ctx, db.q("SELECT MAX(sent_at) FROM deliveries WHERE email = ? AND status = 'sent'"), email).Scan(timeDest{&t})
	if err != nil {
		return time.Time{}, fmt.Errorf("read last sent: %w", err)
	}
	return t, nil
}

// Deliveries lists up to limit rows (all when limit <= 0), newest first,
// with the given status (any when empty).
func (db *DB) Deliveries(ctx context.Context, status digest.DeliveryStatus, limit int) ([]digest.Delivery, error) {
	query := "SELECT " + deliveryCols + " FROM deliveries"
	var args []any
	if status != "" {
		query += " WHERE status = ?"
		args = append(args, status)
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, limitArg(limit))
	out, err := queryAll(ctx, db.run, db.q(query), scanDelivery, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// ExpiredLeases lists up to limit rows still sending after their lease
// ended before now, oldest lease first (deliveries_status_idx finds the
// few sending rows).
func (db *DB) ExpiredLeases(ctx context.Context, now time.Time, limit int) ([]digest.Delivery, error) {
	out, err := queryAll(ctx, db.run, db.q("SELECT "+deliveryCols+
		" FROM deliveries WHERE status = 'sending' AND lease_until < ? ORDER BY lease_until, id LIMIT ?"),
		scanDelivery, db.t(now), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list expired leases: %w", err)
	}
	return out, nil
}

// PermanentFailures counts the failed rows for email.
func (db *DB) PermanentFailures(ctx context.Context, email string) (int, error) {
	var n int
	if err := db.run.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM deliveries WHERE email = ? AND status = 'failed'"), email).Scan(&n); err != nil {
		return 0, fmt.Errorf("count permanent failures: %w", err)
	}
	return n, nil
}

// DeliveryCounts returns how many ledger rows there are in each status, for
// metrics; statuses without rows are absent.
func (db *DB) DeliveryCounts(ctx context.Context) (map[digest.DeliveryStatus]int, error) {
	type row struct {
		status digest.DeliveryStatus
		n      int
	}
	rows, err := queryAll(ctx, db.run, "SELECT status, COUNT(*) FROM deliveries GROUP BY status", func(sc scanner) (row, error) {
		var r row
		return r, sc.Scan(&r.status, &r.n)
	})
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	out := make(map[digest.DeliveryStatus]int, len(rows))
	for _, r := range rows {
		out[r.status] = r.n
	}
	return out, nil
}
