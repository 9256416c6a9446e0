package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Problem is one broken invariant found by Check.
type Problem struct {
	Check  string `json:"check"`  // the invariant, e.g. "sent_without_sent_at"
	Detail string `json:"detail"` // how many rows and which
}

// invariant is a query for the ids of rows that break one rule. The query
// may use one `?`, bound to the check time.
type invariant struct {
	name  string
	table string
	where string
	what  string // what the offending rows are, for Detail
	now   bool   // the where clause takes the check time
}

var invariants = []invariant{
	// Orphans: every child row must find its parent. deliveries.subscriber_id
	// is the one foreign key; it is set NULL when the subscriber goes.
	{name: "orphan_deliveries", table: "deliveries",
		where: "subscriber_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id)",
		what:  "deliveries refer to a missing subscriber"},
	{name: "invalid_delivery_status", table: "deliveries",
		where: "status NOT IN ('pending', 'sending', 'sent', 'failed', 'skipped')",
		what:  "deliveries have an unknown status"},
	{name: "sent_without_sent_at", table: "deliveries",
		where: "status = 'sent' AND sent_at IS NULL",
		what:  "sent deliveries have no sent time"},
	{name: "sent_with_lease", table: "deliveries",
		where: "status = 'sent' AND lease_until IS NOT NULL",
		what:  "sent deliveries still hold a lease"},
	{name: "sent_at_not_sent", table: "deliveries",
		where: "status <> 'sent' AND sent_at IS NOT NULL",
		what:  "deliveries have a sent time but are not sent"},
	{name: "pending_with_live_lease", table: "deliveries",
		where: "status = 'pending' AND lease_until IS NOT NULL AND lease_until > ?", now: true,
		what: "pending deliveries hold a live lease"},
	{name: "done_with_lease", table: "deliveries",
		where: "status IN ('failed', 'skipped') AND lease_until IS NOT NULL",
		what:  "failed or skipped deliveries still hold a lease"},
	{name: "sending_past_lease", table: "deliveries",
		where: "status = 'sending' AND lease_until IS NOT NULL AND lease_until < ?", now: true,
		what: "deliveries are still sending after their lease ended (their worker stopped before recording the outcome; the planner or the next digest now sends them again, at least once)"},
	{name: "sending_without_lease", table: "deliveries",
		where: "status = 'sending' AND lease_until IS NULL",
		what:  "sending deliveries have no lease"},
	{name: "negative_counters", table: "deliveries",
		where: "attempts < 0 OR generation < 0 OR stories < 0",
		what:  "deliveries have a negative attempt, generation or story count"},
	{name: "invalid_subscriber_status", table: "subscribers",
		where: "status NOT IN ('active', 'pending', 'paused', 'unsubscribed', 'bounced')",
		what:  "subscribers have an unknown status"},
}

// maxListed is how many offending ids a Problem names.
const maxListed = 10

// Check verifies the store's invariants (for `digest doctor`) and returns
// the broken ones; none means consistent. now decides which leases are live.
// An error means the check itself could not run.
func (db *DB) Check(ctx context.Context, now time.Time) ([]Problem, error) {
	var problems []Problem
	cur, latest, err := db.MigrationStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("check store: %w", err)
	}
	if cur != latest {
		problems = append(problems, Problem{Check: "migrations",
			Detail: fmt.Sprintf("schema is at version %d, this binary expects %d: run digest migrate", cur, latest)})
		if cur < latest {
			return problems, nil // the tables below may not exist yet
		}
	}
	if db.dialect == SQLite {
		// The file itself first: a torn page makes every other answer
		// doubtful.
		msgs, err := queryAll(ctx, db.sql, "PRAGMA quick_check", func(sc scanner) (string, error) {
			var m string
			return m, sc.Scan(&m)
		})
		if err != nil {
			problems = append(problems, Problem{Check: "sqlite_integrity", Detail: err.Error()})
			return problems, nil
		}
		if len(msgs) != 1 || msgs[0] != "ok" {
			problems = append(problems, Problem{Check: "sqlite_integrity", Detail: strings.Join(msgs[:min(len(msgs), maxListed)], "; ")})
		}
	}
	for _, inv := range invariants {
		var args []any
		if inv.now {
			args = append(args, db.t(now))
		}
		var n int
		if err := db.sql.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM "+inv.table+" WHERE "+inv.where), args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("check store: %s: %w", inv.name, err)
		}
		if n == 0 {
			continue
		}
		// Name the first few rows; the count says how many there are.
		ids, err := queryAll(ctx, db.sql, db.q("SELECT id FROM "+inv.table+" WHERE "+inv.where+" ORDER BY id LIMIT "+strconv.Itoa(maxListed)),
			func(sc scanner) (int64, error) {
				var id int64
				return id, sc.Scan(&id)
			}, args...)
		if err != nil {
			return nil, fmt.Errorf("check store: %s: %w", inv.name, err)
		}
		problems = append(problems, Problem{Check: inv.name, Detail: describe(n, inv.what, inv.table, ids)})
	}
	return problems, nil
}

// describe says how many rows break a rule and names the first few.
func describe(n int, what, table string, ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	more := ""
	if n > len(ids) {
		more = fmt.Sprintf(" and %d more", n-len(ids))
	}
	return fmt.Sprintf("%d %s (%s id %s%s)", n, what, table, strings.Join(parts, ", "), more)
}
