package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// Setting returns the value of key, or digest.ErrNotFound.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	if err := db.run.QueryRowContext(ctx, db.q("SELECT value FROM settings WHERE key = ?"), key).Scan(&v); err != nil {
		return "", fmt.Errorf("read setting %q: %w", key, noRows(err))
	}
	return v, nil
}

// SetSettingIfAbsent stores value unless key exists, and returns the value
// stored after the call: of several processes generating a secret at once,
// all end up with the first one's.
func (db *DB) SetSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	// Read first: the key is there on every run but the first, and a read
	// takes no write lock (another process may hold it).
	if v, err := db.Setting(ctx, key); err == nil || !errors.Is(err, digest.ErrNotFound) {
		return v, err
	}
	if _, err := db.run.ExecContext(ctx, db.q("INSERT INTO settings (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING"),
		key, value, db.t(db.now())); err != nil {
		return "", fmt.Errorf("store setting %q: %w", key, err)
	}
	return db.Setting(ctx, key)
}

const runCols = "id, kind, started_at, finished_at, status, report"

func scanRun(sc scanner) (digest.RunRecord, error) {
	var r digest.RunRecord
	var report string
	if err := sc.Scan(&r.ID, &r.Kind, timeDest{&r.StartedAt}, timeDest{&r.FinishedAt}, &r.Status, &report); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(report), &r.Report); err != nil {
		return r, fmt.Errorf("run %d report: %w", r.ID, err)
	}
	return r, nil
}

// SaveRun stores r with its report as JSON, and the report's account of
// articles (Report.Articles) as compressed chunks of run_account, in one transaction,
// and returns its ID. It also prunes the account rows of runs started more
// than RunArticlesRetention before r.
func (db *DB) SaveRun(ctx context.Context, r digest.RunRecord) (int64, error) {
	report, err := json.Marshal(r.Report)
	if err != nil {
		return 0, fmt.Errorf("save run: encode report: %w", err)
	}
	account, err := encodeAccount(r.Report.Articles)
	if err != nil {
		return 0, fmt.Errorf("save run: %w", err)
	}
	var id int64
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.q("INSERT INTO runs (kind, started_at, finished_at, status, report) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			r.Kind, db.t(r.StartedAt), db.t(r.FinishedAt), r.Status, digest.StorableText(string(report))).Scan(&id); err != nil {
			return err
		}
		for chunk, lines := range account {
			if _, err := tx.ExecContext(ctx, db.q("INSERT INTO run_account (run_id, chunk, lines) VALUES (?, ?, ?)"), id, chunk, lines); err != nil {
				return err
			}
		}
		if !r.StartedAt.IsZero() {
			before := db.t(r.StartedAt.Add(-RunArticlesRetention))
			if _, err := tx.ExecContext(ctx, db.q("DELETE FROM run_account WHERE run_id IN (SELECT id FROM runs WHERE started_at < ?)"), before); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q("DELETE FROM run_articles WHERE run_id IN (SELECT id FROM runs WHERE started_at < ?)"), before); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("save run: %w", err)
	}
	return id, nil
}

// RunArticlesRetention is how long the per-article account of a run is
// kept.
const RunArticlesRetention = 30 * 24 * time.Hour

// RunArticles returns the account of every article the run read, in the
// order the run listed them; empty for an unknown run or one whose account
// was pruned.
func (db *DB) RunArticles(ctx context.Context, runID int64) ([]digest.ArticleFate, error) {
	chunks, err := queryAll(ctx, db.run, db.q("SELECT lines FROM run_account WHERE run_id = ? ORDER BY chunk"), func(sc scanner) ([]byte, error) {
		var b []byte
		err := sc.Scan(&b)
		return b, err
	}, runID)
	if err != nil {
		return nil, fmt.Errorf("read run %d articles: %w", runID, err)
	}
	var out []digest.ArticleFate
	for i, c := range chunks {
		if out, err = decodeAccount(out, c); err != nil {
			return nil, fmt.Errorf("read run %d articles: chunk %d: %w", runID, i, err)
		}
	}
	if len(chunks) > 0 {
		return out, nil
	}
	// A run saved before run_account existed: a row an article.
	out, err = queryAll(ctx, db.run, db.q("SELECT line FROM run_articles WHERE run_id = ? ORDER BY seq"), func(sc scanner) (digest.ArticleFate, error) {
		var line string
		var f digest.ArticleFate
		if err := sc.Scan(&line); err != nil {
			return f, err
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			return f, fmt.Errorf("decode account line: %w", err)
		}
		return f, nil
	}, runID)
	if err != nil {
		return nil, fmt.Errorf("read run %d articles: %w", runID, err)
	}
	return out, nil
}

// Runs lists up to limit runs (all when limit <= 0), newest first.
func (db *DB) Runs(ctx context.Context, limit int) ([]digest.RunRecord, error) {
	out, err := queryAll(ctx, db.run, db.q("SELECT "+runCols+" FROM runs ORDER BY id DESC LIMIT ?"), scanRun, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// Run returns the run with id, or digest.ErrNotFound.
func (db *DB) Run(ctx context.Context, id int64) (digest.RunRecord, error) {
	r, err := scanRun(db.run.QueryRowContext(ctx, db.q("SELECT "+runCols+" FROM runs WHERE id = ?"), id))
	if err != nil {
		return digest.RunRecord{}, fmt.Errorf("read run %d: %w", id, noRows(err))
	}
	return r, nil
}

const editionCols = "edition_date, subject, html, body, stories, created_at, items"

func scanEdition(sc scanner) (digest.ArchivedEdition, error) {
	var e digest.ArchivedEdition
	var items string
	if err := sc.Scan(&e.Date, &e.Subject, &e.HTML, &e.Text, &e.Stories, timeDest{&e.CreatedAt}, &items); err != nil {
		return e, err
	}
	if items != "" && items != "[]" {
		if err := json.Unmarshal([]byte(items), &e.Items); err != nil {
			return e, fmt.Errorf("edition %s: items: %w", e.Date, err)
		}
	}
	return e, nil
}

// SaveEdition stores or replaces the public edition for its date.
func (db *DB) SaveEdition(ctx context.Context, e digest.ArchivedEdition) error {
	if e.Date == "" {
		return errors.New("save edition: empty date")
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = db.now()
	}
	items := "[]"
	if len(e.Items) > 0 {
		// encoding/json replaces invalid UTF-8 and escapes NUL, so the
		// text is storable in both databases.
		b, err := json.Marshal(e.Items)
		if err != nil {
			return fmt.Errorf("save edition %s: items: %w", e.Date, err)
		}
		items = string(b)
	}
	_, err := db.run.ExecContext(ctx, db.q(`INSERT INTO editions (`+editionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (edition_date) DO UPDATE SET subject = excluded.subject, html = excluded.html,
			body = excluded.body, stories = excluded.stories, created_at = excluded.created_at, items = excluded.items`),
		e.Date, digest.StorableText(e.Subject), digest.StorableText(e.HTML), digest.StorableText(e.Text), e.Stories, db.t(e.CreatedAt), items)
	if err != nil {
		return fmt.Errorf("save edition %s: %w", e.Date, err)
	}
	return nil
}

// Edition returns the edition of date, or digest.ErrNotFound.
func (db *DB) Edition(ctx context.Context, date string) (digest.ArchivedEdition, error) {
	e, err := scanEdition(db.run.QueryRowContext(ctx, db.q("SELECT "+editionCols+" FROM editions WHERE edition_date = ?"), date))
	if err != nil {
		return digest.ArchivedEdition{}, fmt.Errorf("read edition %s: %w", date, noRows(err))
	}
	return e, nil
}

// EditionDates lists the dates of the archived editions, newest first, at
// most limit: the archive's navigation needs them without the bodies.
func (db *DB) EditionDates(ctx context.Context, limit int) ([]string, error) {
	out, err := queryAll(ctx, db.run, db.q("SELECT edition_date FROM editions ORDER BY edition_date DESC LIMIT ?"), func(sc scanner) (string, error) {
		var d string
		return d, sc.Scan(&d)
	}, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list edition dates: %w", err)
	}
	return out, nil
}

// Editions lists up to limit editions (all when limit <= 0), newest first.
func (db *DB) Editions(ctx context.Context, limit int) ([]digest.ArchivedEdition, error) {
	out, err := queryAll(ctx, db.run, db.q("SELECT "+editionCols+" FROM editions ORDER BY edition_date DESC LIMIT ?"), scanEdition, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list editions: %w", err)
	}
	return out, nil
}
