package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
)

// RegisteredSource is a source added with `digest sources add`, with its
// settings.
type RegisteredSource struct {
	Source   string
	Settings digest.SourceSettings
}

const registeredCols = "source, kind, name, weight, full_text, include_keywords, exclude_keywords, selector"

func scanRegistered(sc scanner) (RegisteredSource, error) {
	var r RegisteredSource
	s := &r.Settings
	err := sc.Scan(&r.Source, &s.Kind, &s.Name, &s.Weight, &s.FullText, listDest{&s.Include}, listDest{&s.Exclude}, &s.Selector)
	return r, err
}

// RegisteredSourceList lists the registered sources with their settings in
// the order they were added.
func (db *DB) RegisteredSourceList(ctx context.Context) ([]RegisteredSource, error) {
	out, err := queryAll(ctx, db.run, "SELECT "+registeredCols+" FROM registered_sources ORDER BY added_at, source", scanRegistered)
	if err != nil {
		return nil, fmt.Errorf("list registered sources: %w", err)
	}
	return out, nil
}

// RegisteredSource returns one registered source; digest.ErrNotFound when
// it is not registered.
func (db *DB) RegisteredSource(ctx context.Context, source string) (RegisteredSource, error) {
	r, err := scanRegistered(db.run.QueryRowContext(ctx, db.q("SELECT "+registeredCols+" FROM registered_sources WHERE source = ?"), source))
	if err != nil {
		return RegisteredSource{}, fmt.Errorf("read registered source %q: %w", source, noRows(err))
	}
	return r, nil
}

// SetSourceSettings replaces the settings of a registered source, after
// checking them (digest.SourceSettings.Normalise); digest.ErrNotFound when
// the source is not registered.
func (db *DB) SetSourceSettings(ctx context.Context, source string, s digest.SourceSettings) error {
	if err := s.Normalise(); err != nil {
		return fmt.Errorf("set settings of %q: %w", source, err)
	}
	return db.execOne(ctx, fmt.Sprintf("set settings of %q", source),
		`UPDATE registered_sources SET kind = ?, name = ?, weight = ?, full_text = ?, include_keywords = ?,
			exclude_keywords = ?, selector = ? WHERE source = ?`,
		s.Kind, digest.StorableText(s.Name), s.Weight, s.FullText, jsonList(s.Include), jsonList(s.Exclude), digest.StorableText(s.Selector), source)
}

// SaveSourceParents records, for each feed, the list it was reached
// through (feed → list), in one transaction of a statement per
// parentsPerStatement feeds (a list of 200 feeds is one statement, not 200).
func (db *DB) SaveSourceParents(ctx context.Context, parents map[string]string) error {
	if len(parents) == 0 {
		return nil
	}
	// Keys as stored: two spellings that store alike must not meet in one
	// statement (Postgres refuses to update a row twice in one).
	stored := make(map[string]string, len(parents))
	for src, parent := range parents {
		stored[digest.StorableText(src)] = digest.StorableText(parent)
	}
	srcs := slices.Sorted(maps.Keys(stored))
	now := db.t(db.now())
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for chunk := range slices.Chunk(srcs, parentsPerStatement) {
			var q strings.Builder
			q.WriteString("INSERT INTO source_parents (source, parent, seen_at) VALUES ")
			args := make([]any, 0, 3*len(chunk))
			for i, src := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?)")
				args = append(args, src, stored[src], now)
			}
			q.WriteString(" ON CONFLICT (source) DO UPDATE SET parent = excluded.parent, seen_at = excluded.seen_at")
			if _, err := tx.ExecContext(ctx, db.q(q.String()), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save source parents: %w", err)
	}
	return nil
}

// parentsPerStatement bounds the feeds of one SaveSourceParents statement
// (three parameters each: far below SQLite's and Postgres' limits).
const parentsPerStatement = 500

// SourceParents returns feed → list for every feed reached through a list.
func (db *DB) SourceParents(ctx context.Context) (map[string]string, error) {
	type pair struct{ src, parent string }
	rows, err := queryAll(ctx, db.run, "SELECT source, parent FROM source_parents", func(sc scanner) (pair, error) {
		var p pair
		return p, sc.Scan(&p.src, &p.parent)
	})
	if err != nil {
		return nil, fmt.Errorf("list source parents: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, p := range rows {
		out[p.src] = p.parent
	}
	return out, nil
}
