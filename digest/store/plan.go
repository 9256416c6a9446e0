package store

import (
	"cmp"
	"context"
	"encoding/json"
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

// ActiveSubscriberKinds lists the distinct topics, time zone and frequency
// of the active subscribers in one statement (digest.SubscriberKinds).
func (db *DB) ActiveSubscriberKinds(ctx context.Context) ([]digest.Subscriber, error) {
	out, err := queryAll(ctx, db.run, db.q("SELECT DISTINCT topics, time_zone, frequency FROM subscribers WHERE status = ?"),
		func(sc scanner) (digest.Subscriber, error) {
			var s digest.Subscriber
			err := sc.Scan(listDest{&s.Topics}, &s.TimeZone, &s.Frequency)
			s.Frequency = cmp.Or(s.Frequency, digest.FrequencyDaily) // as scanSubscriber
			return s, err
		}, digest.StatusActive)
	if err != nil {
		return nil, fmt.Errorf("list subscriber kinds: %w", err)
	}
	return out, nil
}

var _ digest.SubscriberKinds = (*DB)(nil)

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
//
// On Postgres the dates come as one JSON object keyed by time zone, read
// with a key lookup per subscriber: from a VALUES list Postgres joins them
// by a nested loop (the LIMIT makes it look cheapest), testing every
// subscriber against every zone's row, 40 tests a subscriber with 40
// zones, which was most of the query's time (EXPLAIN ANALYZE of a page of
// 500 of a million: 19,500 join filter rows removed, 2.2 of 3.8 ms). SQLite
// keeps the VALUES list, which it searches through an automatic index.
func (db *DB) DueCandidates(ctx context.Context, q digest.DueQuery) ([]digest.DueCandidate, error) {
	if len(q.Dates) == 0 {
		return nil, nil
	}
	var sb strings.Builder
	args := make([]any, 0, len(q.Dates)*6+6)
	var from, probe string
	if db.dialect == Postgres {
		// OFFSET 0 keeps the ledger test a subplan run per candidate, an
		// index probe on (email, edition_date): as an anti-join Postgres
		// may pick a nested loop over a materialised scan of the ledger
		// when its statistics are stale (tables just filled, before
		// autovacuum's ANALYZE), which made "anyone due?" over 10,000
		// subscribers take 8.4 s instead of 38 ms (EXPLAIN ANALYZE of the
		// same query without ANALYZE).
		probe = " OFFSET 0"
		byZone := make(map[string][]dueDateJSON)
		for _, zd := range q.Dates {
			byZone[zd.TimeZone] = append(byZone[zd.TimeZone], newDueDateJSON(zd))
		}
		b, err := json.Marshal(byZone)
		if err != nil {
			return nil, fmt.Errorf("list due subscribers: %w", err)
		}
		args = append(args, string(b))
		from = `subscribers s CROSS JOIN LATERAL
			jsonb_to_recordset(CAST(? AS jsonb) -> s.time_zone) AS z (d text, until text, wk text, wf text, wd text)`
	} else {
		sb.WriteString("WITH z (tz, d, until, wk, wf, wd) AS (VALUES ")
		for i, zd := range q.Dates {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?)")
			j := newDueDateJSON(zd)
			args = append(args, zd.TimeZone, j.D, j.Until, j.Wk, j.Wf, j.Wd)
		}
		sb.WriteString(") ")
		from = "subscribers s JOIN z ON z.tz = s.time_zone"
	}
	// The frequency sieve drops weekdays readers at a weekend and weekly
	// readers on other days (any other value passes, for the planner to
	// judge); a weekly reader's edition is keyed by its ISO week.
	sb.WriteString(`SELECT s.id, s.time_zone, s.send_time, s.frequency, s.status, s.created_at, z.d
		FROM ` + from + `
		WHERE s.status = ? AND s.id >= ? AND (s.id > ? OR z.d > ?)
			AND (length(s.send_time) <> 5 OR s.send_time <= z.until)
			AND NOT (s.frequency = 'weekdays' AND z.wd = '0')
			AND NOT (s.frequency LIKE 'weekly:%' AND s.frequency <> z.wf)
			AND NOT EXISTS (SELECT 1 FROM deliveries l WHERE l.email = s.email
				AND l.edition_date = (CASE WHEN s.frequency LIKE 'weekly:%' THEN z.wk ELSE z.d END)
				AND l.status IN ('sent', 'failed', 'skipped')` + probe + `)
		ORDER BY s.id, z.d LIMIT ?`)
	args = append(args, digest.StatusActive, q.AfterID, q.AfterID, q.AfterDate, limitArg(q.Limit))
	out, err := queryAll(ctx, db.run, db.chunkQuery(sb.String()), func(sc scanner) (digest.DueCandidate, error) {
		var c digest.DueCandidate
		s := &c.Subscriber
		err := sc.Scan(&s.ID, &s.TimeZone, &s.SendTime, &s.Frequency, &s.Status, timeDest{&s.CreatedAt}, &c.Date)
		// As scanSubscriber: a row an import inserted without a frequency
		// holds '' (daily).
		s.Frequency = cmp.Or(s.Frequency, digest.FrequencyDaily)
		return c, err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("list due subscribers: %w", err)
	}
	return out, nil
}

// dueDateJSON is one ZoneDate as the planning query reads it: text
// throughout, as Postgres types a VALUES list's parameters.
type dueDateJSON struct {
	D     string `json:"d"`
	Until string `json:"until"`
	Wk    string `json:"wk"`
	Wf    string `json:"wf"`
	Wd    string `json:"wd"` // "1" Monday to Friday, else "0"
}

func newDueDateJSON(zd digest.ZoneDate) dueDateJSON {
	wd := "0"
	if zd.Weekday {
		wd = "1"
	}
	return dueDateJSON{D: zd.Date, Until: zd.Until, Wk: zd.Week, Wf: string(zd.Weekly), Wd: wd}
}
