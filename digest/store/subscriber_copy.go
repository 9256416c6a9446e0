package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tradedigest/tradedigest/digest"
)

// The statements of copyUpsert. subscriber_import lives for one
// transaction; ord keeps the list's order, so new rows get their ids in
// the order of the file, as with the batched statements.
const (
	importSavepoint = "SAVEPOINT subscriber_import"
	importRollback  = "ROLLBACK TO SAVEPOINT subscriber_import"
	importCreate    = `CREATE TEMPORARY TABLE subscriber_import (ord INTEGER NOT NULL, email TEXT NOT NULL, name TEXT NOT NULL,
		topics TEXT NOT NULL, time_zone TEXT NOT NULL, send_time TEXT NOT NULL, frequency TEXT NOT NULL, status TEXT NOT NULL,
		created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL) ON COMMIT DROP`
	importExisting = "SELECT count(*) FROM subscriber_import i JOIN subscribers s ON s.email = i.email"
	// An update keeps status and created_at, as in upsertChunk.
	importMerge = `INSERT INTO subscribers (email, name, topics, time_zone, send_time, frequency, status, created_at, updated_at)
		SELECT email, name, topics, time_zone, send_time, frequency, status, created_at, updated_at FROM subscriber_import ORDER BY ord
		ON CONFLICT (email) DO UPDATE SET name = excluded.name, topics = excluded.topics,
		time_zone = excluded.time_zone, send_time = excluded.send_time,
		frequency = CASE WHEN excluded.frequency = '' THEN subscribers.frequency ELSE excluded.frequency END,
		updated_at = excluded.updated_at`
)

// importCols are subscriber_import's columns in COPY order.
var importCols = []string{"ord", "email", "name", "topics", "time_zone", "send_time", "frequency", "status", "created_at", "updated_at"}

// copyUpsert is UpsertSubscribers on Postgres, in tx on conn: the list,
// one row per email (see mergeRepeats), goes to a temporary table with
// COPY and into subscribers with one INSERT … SELECT … ON CONFLICT, instead
// of a statement per upsertBatch rows. It returns how many rows were new.
// When the database refuses a statement (a constraint, a trigger), the
// work is rolled back to a savepoint and copied is false: tx is usable, and
// the caller's batched statements say which rows were refused.
func (db *DB) copyUpsert(ctx context.Context, conn *sql.Conn, tx *sql.Tx, subs []digest.Subscriber) (copied bool, inserted int, err error) {
	if _, err := tx.ExecContext(ctx, importSavepoint); err != nil {
		return false, 0, fmt.Errorf("savepoint: %w", err)
	}
	rows := mergeRepeats(subs, db.now())
	var existing int
	err = func() error {
		if _, err := tx.ExecContext(ctx, importCreate); err != nil {
			return fmt.Errorf("create import table: %w", err)
		}
		// COPY runs on the transaction's connection, so it is part of tx.
		err := conn.Raw(func(dc any) error {
			pc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("copy: driver connection is %T, not pgx", dc)
			}
			_, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{"subscriber_import"}, importCols,
				pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
					s := rows[i]
					return []any{int32(i), s.Email, s.Name, jsonList(s.Topics), s.TimeZone, s.SendTime, string(s.Frequency),
						string(s.Status), db.t(s.CreatedAt), db.t(s.UpdatedAt)}, nil
				}))
			return err
		})
		if err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		if err := tx.QueryRowContext(ctx, importExisting).Scan(&existing); err != nil {
			return fmt.Errorf("count existing: %w", err)
		}
		if _, err := tx.ExecContext(ctx, importMerge); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		return nil
	}()
	if err != nil {
		if ctx.Err() != nil || retryable(err) {
			return false, 0, err
		}
		db.log.Debug("bulk import refused; locating the rows", "error", err)
		if _, rerr := tx.ExecContext(ctx, importRollback); rerr != nil {
			return false, 0, fmt.Errorf("%w (and rollback to savepoint: %w)", err, rerr)
		}
		return false, 0, nil
	}
	// Every merged row is new or existed; the repeats of a row count as
	// updates of it, as they would imported one by one.
	return true, len(rows) - existing, nil
}

// mergeRepeats returns subs with one row per email, at its first
// position, holding what importing the repeats one after another would
// leave: the first row's status and creation time (an update keeps them),
// the last row's name, topics, zone and send time, and the last frequency
// given. Times left zero are now.
func mergeRepeats(subs []digest.Subscriber, now time.Time) []digest.Subscriber {
	out := make([]digest.Subscriber, 0, len(subs))
	at := make(map[string]int, len(subs))
	for _, s := range subs {
		if s.CreatedAt.IsZero() {
			s.CreatedAt = now
		}
		s.UpdatedAt = now
		i, seen := at[s.Email]
		if !seen {
			at[s.Email] = len(out)
			out = append(out, s)
			continue
		}
		m := &out[i]
		m.Name, m.Topics, m.TimeZone, m.SendTime = s.Name, s.Topics, s.TimeZone, s.SendTime
		if s.Frequency != "" {
			m.Frequency = s.Frequency
		}
	}
	return out
}
