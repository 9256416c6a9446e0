package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
)

const subscriberCols = "id, email, name, topics, time_zone, send_time, frequency, status, created_at, updated_at"

func scanSubscriber(sc scanner) (digest.Subscriber, error) {
	var s digest.Subscriber
	err := sc.Scan(&s.ID, &s.Email, &s.Name, listDest{&s.Topics}, &s.TimeZone, &s.SendTime, &s.Frequency, &s.Status,
		timeDest{&s.CreatedAt}, timeDest{&s.UpdatedAt})
	// A row an import inserted without a frequency holds '' (see
	// upsertChunk): daily.
	s.Frequency = cmp.Or(s.Frequency, digest.FrequencyDaily)
	return s, err
}

// insertSubscriber inserts s unless its email exists; ok is false then.
func (db *DB) insertSubscriber(ctx context.Context, q querier, s *digest.Subscriber) (ok bool, err error) {
	now := db.now()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	s.UpdatedAt = now
	err = q.QueryRowContext(ctx, db.q(`INSERT INTO subscribers (email, name, topics, time_zone, send_time, frequency, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING RETURNING id`),
		s.Email, s.Name, jsonList(s.Topics), s.TimeZone, s.SendTime, cmp.Or(s.Frequency, digest.FrequencyDaily), s.Status, db.t(s.CreatedAt), db.t(s.UpdatedAt)).Scan(&s.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// AddSubscriber inserts s (status active when empty) and returns it with its
// ID; digest.ErrConflict when the email exists.
func (db *DB) AddSubscriber(ctx context.Context, s digest.Subscriber) (digest.Subscriber, error) {
	if err := digest.PrepareSubscriber(&s); err != nil {
		return digest.Subscriber{}, fmt.Errorf("add subscriber: %w", err)
	}
	ok, err := db.insertSubscriber(ctx, db.sql, &s)
	if err != nil {
		return digest.Subscriber{}, fmt.Errorf("add subscriber: %w", err)
	}
	if !ok {
		return digest.Subscriber{}, fmt.Errorf("add subscriber: %w", digest.ErrConflict)
	}
	return db.Subscriber(ctx, s.ID)
}

// importLock is the first key of the Postgres advisory lock that
// serialises UpsertSubscribers; the second is the schema's hash, as for
// migrationLock.
const importLock = 0x696d7074 // "impt"

// upsertBatch is how many rows one INSERT statement of UpsertSubscribers
// carries: 9 parameters a row stays far below SQLite's 32,766 and
// Postgres's 65,535, and one statement per row was most of an import's
// time (100,000 rows: see BenchmarkDB_UpsertSubscribers).
const upsertBatch = 500

// UpsertSubscribers inserts or updates (by email) all of subs in one
// transaction: all or nothing. On Postgres the rows are copied into a
// temporary table and merged with one statement (see copyUpsert); on
// SQLite they go in multi-row statements of up to upsertBatch rows. An update changes name, topics, time zone, send time
// and frequency (when given) but keeps the stored status, so re-importing a list never
// resubscribes someone who unsubscribed or bounced.
func (db *DB) UpsertSubscribers(ctx context.Context, subs []digest.Subscriber) (inserted, updated int, err error) {
	for i := range subs {
		if err := digest.PrepareSubscriber(&subs[i]); err != nil {
			return 0, 0, fmt.Errorf("upsert subscribers: %s: %w", subs[i].Email, err)
		}
	}
	err = db.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		inserted, updated = 0, 0 // afresh on a retry
		if db.dialect == Postgres {
			// Imports wait for each other: two overlapping lists in
			// different orders lock rows in opposite orders and deadlock,
			// and under load the retries ran out (SQLite's one connection
			// serialises them anyway).
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", importLock); err != nil {
				return fmt.Errorf("wait for other imports: %w", err)
			}
			copied, ins, err := db.copyUpsert(ctx, conn, tx, subs)
			if err != nil {
				return err
			}
			if copied {
				inserted, updated = ins, len(subs)-ins
				return nil
			}
			// The database refused the list. One statement cannot say
			// which row; the statements of upsertBatch rows below can,
			// and fail the same way.
		}
		for start := 0; start < len(subs); {
			end := chunkEnd(subs, start)
			ins, err := db.upsertChunk(ctx, tx, subs[start:end])
			if err != nil {
				return fmt.Errorf("rows %d-%d (%s to %s): %w", start+1, end, subs[start].Email, subs[end-1].Email, err)
			}
			inserted += ins
			updated += end - start - ins
			start = end
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("upsert subscribers: %w", err)
	}
	return inserted, updated, nil
}

// chunkEnd returns the end of the chunk of subs that starts at start: at
// most upsertBatch rows, and never one email twice, since Postgres refuses
// an ON CONFLICT DO UPDATE that touches a row twice in one statement, and a
// repeat must count as an update of the row the chunk before inserted.
func chunkEnd(subs []digest.Subscriber, start int) int {
	seen := make(map[string]struct{}, min(upsertBatch, len(subs)-start))
	end := start
	for end < len(subs) && end-start < upsertBatch {
		if _, dup := seen[subs[end].Email]; dup {
			break
		}
		seen[subs[end].Email] = struct{}{}
		end++
	}
	return end
}

// upsertChunk inserts or updates chunk (distinct emails) with one
// statement and returns how many rows were new. The count of existing
// emails is read first, in the same transaction; UpsertSubscribers' lock
// (Postgres) or the single writer (SQLite) keeps another import from
// changing it in between.
func (db *DB) upsertChunk(ctx context.Context, tx *sql.Tx, chunk []digest.Subscriber) (inserted int, err error) {
	var sb strings.Builder
	args := make([]any, 0, len(chunk)*9)
	sb.WriteString("SELECT COUNT(*) FROM subscribers WHERE email IN (")
	for i, s := range chunk {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("?")
		args = append(args, s.Email)
	}
	sb.WriteString(")")
	var existing int
	if err := tx.QueryRowContext(ctx, db.chunkQuery(sb.String()), args...).Scan(&existing); err != nil {
		return 0, fmt.Errorf("count existing: %w", err)
	}

	now := db.now()
	sb.Reset()
	args = args[:0]
	sb.WriteString("INSERT INTO subscribers (email, name, topics, time_zone, send_time, frequency, status, created_at, updated_at) VALUES ")
	for i, s := range chunk {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		created := s.CreatedAt
		if created.IsZero() {
			created = now
		}
		// An empty frequency is written as is, so that the update below
		// can tell "not given" from "daily"; a new row keeps '', which
		// scanSubscriber reads as daily.
		args = append(args, s.Email, s.Name, jsonList(s.Topics), s.TimeZone, s.SendTime, s.Frequency, s.Status, db.t(created), db.t(now))
	}
	// An update keeps status and created_at: re-importing a list never
	// resubscribes someone who unsubscribed or bounced.
	sb.WriteString(` ON CONFLICT (email) DO UPDATE SET name = excluded.name, topics = excluded.topics,
		time_zone = excluded.time_zone, send_time = excluded.send_time,
		frequency = CASE WHEN excluded.frequency = '' THEN subscribers.frequency ELSE excluded.frequency END,
		updated_at = excluded.updated_at`)
	if _, err := tx.ExecContext(ctx, db.chunkQuery(sb.String()), args...); err != nil {
		return 0, err
	}
	return len(chunk) - existing, nil
}

// chunkQuery rebinds a statement whose text varies with its batch's length
// for the dialect, without keeping it in db.q's cache.
func (db *DB) chunkQuery(query string) string {
	if db.dialect == Postgres {
		return rebind(query)
	}
	return query
}

// UpdateSubscriber changes name, topics, time zone, send time, frequency
// and status of the subscriber with s.ID; digest.ErrNotFound when absent.
func (db *DB) UpdateSubscriber(ctx context.Context, s digest.Subscriber) error {
	if err := digest.CheckStatus(s.Status); err != nil {
		return fmt.Errorf("update subscriber %d: %w", s.ID, err)
	}
	freq, err := digest.ParseFrequency(string(s.Frequency))
	if err != nil {
		return fmt.Errorf("update subscriber %d: %w", s.ID, err)
	}
	return db.execOne(ctx, fmt.Sprintf("update subscriber %d", s.ID),
		"UPDATE subscribers SET name = ?, topics = ?, time_zone = ?, send_time = ?, frequency = ?, status = ?, updated_at = ? WHERE id = ?",
		digest.StorableText(s.Name), jsonList(s.Topics), s.TimeZone, s.SendTime, freq, s.Status, db.t(db.now()), s.ID)
}

// Subscriber returns the subscriber with id, or digest.ErrNotFound.
func (db *DB) Subscriber(ctx context.Context, id int64) (digest.Subscriber, error) {
	s, err := scanSubscriber(db.run.QueryRowContext(ctx, db.q("SELECT "+subscriberCols+" FROM subscribers WHERE id = ?"), id))
	if err != nil {
		return digest.Subscriber{}, fmt.Errorf("read subscriber %d: %w", id, noRows(err))
	}
	return s, nil
}

// SubscribersByID returns the subscribers with the given IDs (at most a
// few hundred), in ID order; an ID with no subscriber is left out. One
// statement for a batch of deliveries instead of one per delivery.
func (db *DB) SubscribersByID(ctx context.Context, ids []int64) ([]digest.Subscriber, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var sb strings.Builder
	sb.WriteString("SELECT " + subscriberCols + " FROM subscribers WHERE id IN (?")
	for range len(ids) - 1 {
		sb.WriteString(", ?")
	}
	sb.WriteString(") ORDER BY id")
	out, err := queryAll(ctx, db.run, db.chunkQuery(sb.String()), scanSubscriber, args...)
	if err != nil {
		return nil, fmt.Errorf("read %d subscribers: %w", len(ids), err)
	}
	return out, nil
}

// SubscriberByEmail returns the subscriber with exactly this email, or
// digest.ErrNotFound.
func (db *DB) SubscriberByEmail(ctx context.Context, email string) (digest.Subscriber, error) {
	s, err := scanSubscriber(db.run.QueryRowContext(ctx, db.q("SELECT "+subscriberCols+" FROM subscribers WHERE email = ?"), email))
	if err != nil {
		return digest.Subscriber{}, fmt.Errorf("read subscriber by email: %w", noRows(err))
	}
	return s, nil
}

// Subscribers returns up to limit subscribers (all when limit <= 0) with
// ID > afterID in ID order, with the given status (any when empty).
func (db *DB) Subscribers(ctx context.Context, status digest.SubscriberStatus, afterID int64, limit int) ([]digest.Subscriber, error) {
	return db.ListSubscribers(ctx, digest.SubscriberFilter{Status: status, AfterID: afterID, Limit: limit})
}

// ListSubscribers returns the subscribers f selects, in ID order. A topic
// matches subscribers who chose it by its canonical name; those with no
// topics (who get every topic) are not listed under each one.
func (db *DB) ListSubscribers(ctx context.Context, f digest.SubscriberFilter) ([]digest.Subscriber, error) {
	query := "SELECT " + subscriberCols + " FROM subscribers WHERE id > ?"
	args := []any{f.AfterID}
	if f.Status != "" {
		query += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.Topic != "" {
		// topics is a JSON list: the quoted name is a whole element.
		query += ` AND topics LIKE ? ESCAPE '\'`
		quoted, _ := json.Marshal(f.Topic) // a string always marshals
		args = append(args, "%"+likeEscape(string(quoted))+"%")
	}
	query += " ORDER BY id LIMIT ?"
	args = append(args, limitArg(f.Limit))
	out, err := queryAll(ctx, db.run, db.q(query), scanSubscriber, args...)
	if err != nil {
		return nil, fmt.Errorf("list subscribers: %w", err)
	}
	return out, nil
}

// likeEscape escapes LIKE's wildcards and its escape character.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// SetSubscriberStatus sets the status; digest.ErrNotFound when absent.
func (db *DB) SetSubscriberStatus(ctx context.Context, id int64, status digest.SubscriberStatus) error {
	if err := digest.CheckStatus(status); err != nil {
		return fmt.Errorf("set subscriber %d status: %w", id, err)
	}
	return db.execOne(ctx, fmt.Sprintf("set subscriber %d status", id),
		"UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ?", status, db.t(db.now()), id)
}

// DeleteSubscriber removes the subscriber; ledger rows keep the email and
// lose the subscriber id. Deleting an absent subscriber is
// digest.ErrNotFound.
func (db *DB) DeleteSubscriber(ctx context.Context, id int64) error {
	return db.execOne(ctx, fmt.Sprintf("delete subscriber %d", id), "DELETE FROM subscribers WHERE id = ?", id)
}

// execOne runs a statement meant to change one row; digest.ErrNotFound when
// it changes none.
func (db *DB) execOne(ctx context.Context, op, query string, args ...any) error {
	res, err := db.run.ExecContext(ctx, db.q(query), args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, digest.ErrNotFound)
	}
	return nil
}
