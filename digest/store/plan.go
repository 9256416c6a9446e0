package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
)

// ActiveTimeZones lists the distinct time zones of active subscribers.
func (db *DB) ActiveTimeZones(ctx context.Context) ([]string, error) {
	out, err := queryAll(ctx, db.run, db.q("SELECT DISTINCT time_zone FROM subscribers WHERE status = ? ORDER BY time_zone"),
		func(sc scanner) (string, error) {
			var z string
			return z, sc.Scan(&z)
		}, digest.StatusActive)
	if err != nil {
		return nil, fmt.Errorf("list time zones: %w", err)
	}
	return out, nil
}

// DueCandidates answers one page of a planning query with one statement:
// the subscribers are walked in ID order (primary key), joined to the
// dates of their time zone, sieved by send time (a stored send time not in
// the normalised HH:MM form always passes, for the planner to judge) and
// by frequency, and anti-joined to the ledger (on the ISO week for a
// weekly reader) through its unique (email, edition_date)
// index. A plan therefore costs one round trip per page instead of one
// ledger read per due subscriber. The page's start is written as
// s.id >= AfterID, a range on the primary key, and not only inside an
// OR: Postgres then starts the index scan there instead of filtering from
// the first subscriber on every page, which made a plan quadratic (a page
// in the middle of a million subscribers took 1.2 s).
func (db *DB) DueCandidates(ctx context.Context, q digest.DueQuery) ([]digest.DueCandidate, error) {
	if len(q.Dates) == 0 {
		return nil, nil
	}
	var sb strings.Builder
	args := make([]any, 0, len(q.Dates)*6+6)
	sb.WriteString("WITH z (tz, d, until, wk, wf, wd) AS (VALUES ")
	for i, zd := range q.Dates {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(?, ?, ?, ?, ?, ?)")
		// Text, not a number: Postgres types the VALUES list's
		// parameters as text.
		weekday := "0"
		if zd.Weekday {
			weekday = "1"
		}
		args = append(args, zd.TimeZone, zd.Date, zd.Until, zd.Week, string(zd.Weekly), weekday)
	}
	// The frequency sieve drops weekdays readers at a weekend and weekly
	// readers on other days (any other value passes, for the planner to
	// judge); a weekly reader's edition is keyed by its ISO week.
	sb.WriteString(`)
		SELECT s.` + strings.ReplaceAll(subscriberCols, ", ", ", s.") + `, z.d
		FROM subscribers s JOIN z ON z.tz = s.time_zone
		WHERE s.status = ? AND s.id >= ? AND (s.id > ? OR z.d > ?)
			AND (length(s.send_time) <> 5 OR s.send_time <= z.until)
			AND NOT (s.frequency = 'weekdays' AND z.wd = '0')
			AND NOT (s.frequency LIKE 'weekly:%' AND s.frequency <> z.wf)
			AND NOT EXISTS (SELECT 1 FROM deliveries l WHERE l.email = s.email
				AND l.edition_date = (CASE WHEN s.frequency LIKE 'weekly:%' THEN z.wk ELSE z.d END)
				AND l.status IN ('sent', 'failed', 'skipped'))
		ORDER BY s.id, z.d LIMIT ?`)
	args = append(args, digest.StatusActive, q.AfterID, q.AfterID, q.AfterDate, limitArg(q.Limit))
	out, err := queryAll(ctx, db.run, db.chunkQuery(sb.String()), func(sc scanner) (digest.DueCandidate, error) {
		var c digest.DueCandidate
		var err error
		c.Subscriber, err = scanSubscriber(withExtra{sc, []any{&c.Date}})
		return c, err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("list due subscribers: %w", err)
	}
	return out, nil
}

// withExtra scans the columns a row has after those its caller scans.
type withExtra struct {
	sc    scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }
