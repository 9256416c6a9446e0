package processtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// stallReport is how long waitProgress goes without progress before it
// logs what the processes wait for. The waits a race can make a run sit
// out (a delivery's retry back-off, a lease, a job's retry or rescue) are
// far longer than a healthy pause.
const stallReport = 20 * time.Second

// report logs what the cluster is waiting for: the ledger rows not sent,
// the unfinished jobs, and for each serve still running its goroutines in
// this repository's code and the tail of its log.
func (c *cluster) report(why string) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s; simulated now %s\n", why, c.simNow().Format(time.RFC3339Nano))
	if c.db == nil {
		c.openStore()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.reportLedger(ctx, &b)
	c.reportJobs(ctx, &b)
	for _, p := range c.procs {
		select {
		case <-p.done:
			fmt.Fprintf(&b, "-- %s exited (%v)\n", p.name, p.err)
			continue
		default:
		}
		fmt.Fprintf(&b, "-- %s goroutines in tradedigest code:\n%s", p.name, p.goroutines(ctx))
		fmt.Fprintf(&b, "-- %s log, last lines:\n%s\n", p.name, tail(p.logText(), 30))
	}
	c.t.Log(b.String())
}

// reportLedger writes the ledger rows not sent, up to 20, with what they
// wait for: a lease, a retry, or nothing.
func (c *cluster) reportLedger(ctx context.Context, w io.Writer) {
	rows, err := c.db.Deliveries(ctx, "", 1000000)
	if err != nil {
		fmt.Fprintf(w, "-- ledger: %v\n", err)
		return
	}
	var open []digest.Delivery
	for _, d := range rows {
		if d.Status != digest.DeliverySent {
			open = append(open, d)
		}
	}
	fmt.Fprintf(w, "-- ledger: %d rows, %d not sent\n", len(rows), len(open))
	for i, d := range open {
		if i == 20 {
			fmt.Fprintf(w, "   ... %d more\n", len(open)-i)
			break
		}
		fmt.Fprintf(w, "   %s %s status=%s attempts=%d lease_until=%s next_attempt=%s updated=%s last_error=%q\n",
			d.Email, d.EditionDate, d.Status, d.Attempts, stamp(d.LeaseUntil), stamp(d.NextAttempt), stamp(d.UpdatedAt), d.LastError)
	}
}

// reportJobs writes the queue's unfinished jobs, up to 20, with their
// attempts, schedule and last error.
func (c *cluster) reportJobs(ctx context.Context, w io.Writer) {
	rows, err := c.db.SQL().QueryContext(ctx, `SELECT id, kind, state, attempt, scheduled_at, errors FROM river_job
		WHERE state NOT IN ('completed', 'cancelled', 'discarded') ORDER BY id LIMIT 20`)
	if err != nil {
		fmt.Fprintf(w, "-- jobs: %v\n", err)
		return
	}
	defer rows.Close()
	fmt.Fprintln(w, "-- unfinished jobs (20 at most):")
	for rows.Next() {
		var id, kind, state, attempt, at, errs any
		if err := rows.Scan(&id, &kind, &state, &attempt, &at, &errs); err != nil {
			fmt.Fprintf(w, "   %v\n", err)
			return
		}
		last := text(errs)
		last = last[max(0, len(last)-300):]
		fmt.Fprintf(w, "   %s %s %s attempt=%s scheduled_at=%s errors=...%s\n", text(id), text(kind), text(state), text(attempt), text(at), last)
	}
	if err := rows.Err(); err != nil {
		fmt.Fprintf(w, "   %v\n", err)
	}
}

// text formats a value scanned into an any.
func text(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("15:04:05.000")
}

var pprofRE = regexp.MustCompile(`pprof_addr=("[^"]*"|\S+)`)

// goroutines returns the goroutine groups of the process (DIGEST_PPROF)
// whose stacks pass through this repository's code: where its work waits.
func (p *proc) goroutines(ctx context.Context) string {
	m := pprofRE.FindStringSubmatch(p.logText())
	if m == nil {
		return "   (no pprof address in the log)\n"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+strings.Trim(m[1], `"`)+"/debug/pprof/goroutine?debug=1", nil)
	if err != nil {
		return fmt.Sprintf("   %v\n", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Sprintf("   %v\n", err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	var group []string
	left := 0
	flush := func() {
		if len(group) == 0 {
			return
		}
		if strings.Contains(strings.Join(group, "\n"), "tradedigest/") {
			b.WriteString(strings.Join(group, "\n") + "\n\n")
		} else {
			left++
		}
		group = group[:0]
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			group = append(group, line)
		} else {
			flush()
		}
	}
	flush()
	fmt.Fprintf(&b, "   (%d other goroutine groups left out)\n", left)
	return b.String()
}
