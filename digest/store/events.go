package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// maxEventDetail bounds the stored reason of an event: reports quote
// remote servers, and a hostile one can say a lot.
const maxEventDetail = 1000

const eventCols = "id, subscriber_id, kind, source, detail, message_id, status, created_at"

func scanEvent(sc scanner) (digest.SubscriberEvent, error) {
	var e digest.SubscriberEvent
	err := sc.Scan(&e.ID, &e.SubscriberID, &e.Kind, &e.Source, &e.Detail, &e.MessageID, &e.Status, timeDest{&e.At})
	return e, err
}

// RecordEvents applies evs in one transaction: all or nothing. When r.ID is
// set the receipt is recorded first, and a receipt seen before returns
// digest.ErrConflict with nothing written, so a replayed report changes
// nothing. Each event's subscriber is found by Email; an event for an
// address no subscriber has is returned with SubscriberID 0 and not stored.
// The subscriber's new status is p.Next of the current one (soft bounces
// counted over p.Window, distinct Message-IDs counting once), written with
// the event. The stored events are returned with their IDs and statuses.
func (db *DB) RecordEvents(ctx context.Context, r digest.Receipt, evs []digest.SubscriberEvent, p digest.EventPolicy) ([]digest.SubscriberEvent, error) {
	now := db.now()
	var out []digest.SubscriberEvent
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0] // afresh on a retry
		if r.ID != "" {
			at := r.At
			if at.IsZero() {
				at = now
			}
			res, err := tx.ExecContext(ctx, db.q(`INSERT INTO webhook_receipts (source, receipt_id, received_at) VALUES (?, ?, ?)
				ON CONFLICT (source, receipt_id) DO NOTHING`), digest.StorableText(r.Source), digest.StorableText(truncate(r.ID, 200)), db.t(at))
			if err != nil {
				return fmt.Errorf("record receipt: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("record receipt: %w", err)
			} else if n == 0 {
				return fmt.Errorf("receipt %s/%s: %w", r.Source, r.ID, digest.ErrConflict)
			}
		}
		for _, ev := range evs {
			got, err := db.recordEvent(ctx, tx, ev, p, now)
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record subscriber events: %w", err)
	}
	return out, nil
}

func (db *DB) recordEvent(ctx context.Context, tx *sql.Tx, ev digest.SubscriberEvent, p digest.EventPolicy, now time.Time) (digest.SubscriberEvent, error) {
	if ev.At.IsZero() {
		ev.At = now
	}
	ev.Detail = digest.StorableText(truncate(ev.Detail, maxEventDetail))
	ev.MessageID = digest.StorableText(truncate(ev.MessageID, 300))
	ev.Source = digest.StorableText(truncate(ev.Source, 40))
	var sub digest.Subscriber
	var err error
	if ev.SubscriberID != 0 {
		sub, err = scanSubscriber(tx.QueryRowContext(ctx, db.q("SELECT "+subscriberCols+" FROM subscribers WHERE id = ?"), ev.SubscriberID))
	} else {
		sub, err = scanSubscriber(tx.QueryRowContext(ctx, db.q("SELECT "+subscriberCols+" FROM subscribers WHERE email = ?"), ev.Email))
	}
	if errors.Is(err, sql.ErrNoRows) {
		ev.SubscriberID = 0
		return ev, nil
	}
	if err != nil {
		return ev, fmt.Errorf("find subscriber: %w", err)
	}
	ev.SubscriberID, ev.Email = sub.ID, sub.Email
	soft := 0
	if ev.Kind == digest.EventSoftBounce {
		// Distinct messages: a relay that reports each retry of one digest
		// must not bounce a reader for one full mailbox.
		key := ev.MessageID
		if key == "" {
			key = fmt.Sprintf("new-%d", now.UnixNano())
		}
		cutoff := now.Add(-p.Window())
		var seen int
		err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(DISTINCT k), COALESCE(SUM(CASE WHEN k = ? THEN 1 ELSE 0 END), 0) FROM (
			SELECT CASE WHEN message_id = '' THEN 'e' || CAST(id AS TEXT) ELSE message_id END AS k
				FROM subscriber_events WHERE subscriber_id = ? AND kind = 'soft_bounce' AND created_at >= ?) t`),
			key, sub.ID, db.t(cutoff)).Scan(&soft, &seen)
		if err != nil {
			return ev, fmt.Errorf("count soft bounces: %w", err)
		}
		if seen == 0 && !ev.At.Before(cutoff) {
			soft++ // this report, unless its message already counted
		}
	}
	ev.Status = p.Next(sub.Status, ev.Kind, soft)
	if ev.Status != sub.Status {
		if _, err := tx.ExecContext(ctx, db.q("UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?"),
			ev.Status, db.t(now), sub.ID); err != nil {
			return ev, fmt.Errorf("set subscriber %d status: %w", sub.ID, err)
		}
	}
	err = tx.QueryRowContext(ctx, db.q(`INSERT INTO subscriber_events (subscriber_id, kind, source, detail, message_id, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		sub.ID, ev.Kind, ev.Source, ev.Detail, ev.MessageID, ev.Status, db.t(ev.At)).Scan(&ev.ID)
	if err != nil {
		return ev, fmt.Errorf("insert subscriber event: %w", err)
	}
	return ev, nil
}

// SubscriberEvents returns up to limit events of a subscriber (all when
// limit <= 0), newest first.
func (db *DB) SubscriberEvents(ctx context.Context, subscriberID int64, limit int) ([]digest.SubscriberEvent, error) {
	out, err := queryAll(ctx, db.run, db.q("SELECT "+eventCols+" FROM subscriber_events WHERE subscriber_id = ? ORDER BY id DESC LIMIT ?"),
		scanEvent, subscriberID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list subscriber %d events: %w", subscriberID, err)
	}
	return out, nil
}

// TakeSignupMail records a sign-up mail to the subscriber unless limit of
// them were recorded within window before now, and says whether it did.
// Concurrent calls for one subscriber are serialised (its row is locked
// first on Postgres; SQLite writes one at a time), so however many sign-up
// requests race, at most limit are allowed per window. ErrNotFound when the
// subscriber is absent.
func (db *DB) TakeSignupMail(ctx context.Context, subscriberID int64, limit int, window time.Duration) (bool, error) {
	now := db.now()
	var ok bool
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		ok = false
		lock := "SELECT status FROM subscribers WHERE id = ?"
		if db.dialect == Postgres {
			lock += " FOR UPDATE"
		}
		var status digest.SubscriberStatus
		if err := tx.QueryRowContext(ctx, db.q(lock), subscriberID).Scan(&status); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("subscriber %d: %w", subscriberID, digest.ErrNotFound)
			}
			return fmt.Errorf("lock subscriber: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM subscriber_events WHERE subscriber_id = ? AND kind = ? AND created_at > ?"),
			subscriberID, digest.EventSignupMail, db.t(now.Add(-window))).Scan(&n); err != nil {
			return fmt.Errorf("count sign-up mails: %w", err)
		}
		if n >= limit {
			return nil
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO subscriber_events (subscriber_id, kind, source, status, created_at) VALUES (?, ?, ?, ?, ?)`),
			subscriberID, digest.EventSignupMail, "web", status, db.t(now)); err != nil {
			return fmt.Errorf("record sign-up mail: %w", err)
		}
		ok = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("take sign-up mail: %w", err)
	}
	return ok, nil
}

// HasReceipt reports whether the receipt (source, id) was recorded.
func (db *DB) HasReceipt(ctx context.Context, source, id string) (bool, error) {
	var n int
	if err := db.run.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM webhook_receipts WHERE source = ? AND receipt_id = ?"),
		source, truncate(id, 200)).Scan(&n); err != nil {
		return false, fmt.Errorf("read receipt: %w", err)
	}
	return n > 0, nil
}

// PruneReceipts deletes receipts recorded before before and returns how
// many went.
func (db *DB) PruneReceipts(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.run.ExecContext(ctx, db.q("DELETE FROM webhook_receipts WHERE received_at < ?"), db.t(before))
	if err != nil {
		return 0, fmt.Errorf("prune receipts: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeliveryByMessageID returns the ledger row of the digest with this
// Message-ID (angle brackets and a resend's ".rN" suffix allowed), or
// digest.ErrNotFound.
func (db *DB) DeliveryByMessageID(ctx context.Context, messageID string) (digest.Delivery, error) {
	id := digest.BaseMessageID(messageID)
	if id == "" {
		return digest.Delivery{}, fmt.Errorf("read delivery by message id: %w", digest.ErrNotFound)
	}
	d, err := scanDelivery(db.run.QueryRowContext(ctx, db.q("SELECT "+deliveryCols+" FROM deliveries WHERE message_id = ? ORDER BY id DESC LIMIT 1"), id))
	if err != nil {
		return digest.Delivery{}, fmt.Errorf("read delivery by message id: %w", noRows(err))
	}
	return d, nil
}

// truncate cuts s to at most n bytes, dropping a rune the cut splits.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
