package queue

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

// planZones are 40 time zones, UTC-10 to UTC+13 with the half and quarter
// hours.
var planZones = []string{
	"UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw",
	"Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow", "Africa/Lagos", "Africa/Cairo",
	"Africa/Nairobi", "Africa/Johannesburg", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu",
	"Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul",
	"Australia/Adelaide", "Australia/Sydney", "Pacific/Auckland", "Pacific/Tongatapu", "Pacific/Honolulu",
	"America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
	"America/Halifax", "America/St_Johns", "America/Sao_Paulo", "America/Mexico_City", "America/Bogota",
}

// BenchmarkQueue_PlanPostgres plans N subscribers (DIGEST_BENCH_PLAN_SUBSCRIBERS,
// default 100,000) in 40 time zones on Postgres, loaded with COPY, at an
// instant when every one of them is due (send times spread between 00:00
// and the zone's wall clock). It reports three passes in subscribers per
// second and the peak Go heap: the first plan (every deliver job
// inserted), a repeat (every job already queued) and the steady state of
// the later ticks of the day (every digest sent, the ledger full). On a
// shared machine the wall times follow the load, so each pass also reports
// the CPU it cost: this process's (client-cpu-s) and, when the server runs
// on this machine, that of the test database's server processes
// (db-cpu-s, from /proc).
func BenchmarkQueue_PlanPostgres(b *testing.B) {
	n := benchSize(b, "DIGEST_BENCH_PLAN_SUBSCRIBERS", 100000)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	for range b.N {
		b.StopTimer()
		e := newEnv(b, now, envOptions{postgres: true})
		r := e.replica("bench", Config{})
		ctx := context.Background()
		load := time.Now()
		copySubscribers(b, e, n, now)
		b.Logf("loaded %d subscribers with COPY in %s", n, time.Since(load).Round(time.Millisecond))
		b.StartTimer()

		pass := func(name string, check func(PlanResult) bool) {
			runtime.GC()
			stop := testutil.PeakHeap()
			db0, dbOK := serverCPU(ctx, e)
			cpu0 := testutil.CPUTime()
			start := time.Now()
			res, err := r.q.Plan(ctx, false)
			elapsed := time.Since(start)
			cpu := testutil.CPUTime() - cpu0
			db1, dbOK1 := serverCPU(ctx, e)
			peak := stop()
			if err != nil {
				b.Fatal(err)
			}
			if !check(res) {
				b.Fatalf("%s plan: %+v", name, res)
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), name+"-subs/s")
			b.ReportMetric(float64(peak)/(1<<20), name+"-peak-heap-MB")
			b.ReportMetric(elapsed.Seconds(), name+"-s")
			b.ReportMetric(cpu.Seconds(), name+"-client-cpu-s")
			if dbOK && dbOK1 {
				b.ReportMetric((db1 - db0).Seconds(), name+"-db-cpu-s")
			}
		}
		pass("first", func(res PlanResult) bool { return res.Enqueued == n })
		pass("repeat", func(res PlanResult) bool { return res.Duplicate == n })
		b.StopTimer()
		markAllSent(b, e, now)
		b.StartTimer()
		pass("sent", func(res PlanResult) bool { return res.Enqueued == 0 && res.Duplicate == 0 })
	}
}

// copySubscribers loads n active subscribers into the env's Postgres with
// COPY, spread over planZones, each with a send time at or before its
// zone's wall clock at now.
func copySubscribers(b *testing.B, e *env, n int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	reach := make([]int, len(planZones))
	for i, z := range planZones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			b.Fatal(err)
		}
		l := now.In(loc)
		reach[i] = l.Hour()*60 + l.Minute()
	}
	conn, err := e.admin.SQL().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	created := now.Add(-30 * 24 * time.Hour)
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		i := 0
		_, err := pc.CopyFrom(ctx, pgx.Identifier{"subscribers"},
			[]string{"email", "name", "topics", "time_zone", "send_time", "status", "created_at", "updated_at"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if i == n {
					return nil, nil
				}
				z := i % len(planZones)
				m := (i * 7919) % (reach[z] + 1)
				row := []any{fmt.Sprintf("reader%07d@example.com", i), "", "[]", planZones[z],
					fmt.Sprintf("%02d:%02d", m/60, m%60), "active", created, created}
				i++
				return row, nil
			}))
		return err
	})
	if err != nil {
		b.Fatalf("copy subscribers: %v", err)
	}
	if _, err := e.admin.SQL().ExecContext(ctx, "ANALYZE subscribers"); err != nil {
		b.Fatal(err)
	}
}

// markAllSent writes a sent ledger row for every subscriber's local date
// at now, as the day's deliveries would have.
func markAllSent(b *testing.B, e *env, now time.Time) {
	b.Helper()
	for _, z := range planZones {
		loc, _ := time.LoadLocation(z)
		if _, err := e.admin.SQL().ExecContext(context.Background(), `INSERT INTO deliveries
			(subscriber_id, email, edition_date, message_id, status, created_at, updated_at, sent_at)
			SELECT id, email, $1, '', 'sent', $2, $2, $2 FROM subscribers WHERE time_zone = $3`,
			digest.LocalDate(now, loc), now, z); err != nil {
			b.Fatalf("mark sent: %v", err)
		}
	}
	if _, err := e.admin.SQL().ExecContext(context.Background(), "ANALYZE deliveries"); err != nil {
		b.Fatal(err)
	}
}

// serverCPU sums the CPU time (user + system) of the server processes
// connected to the env's database, read from /proc; false when the server
// is not on this machine (or /proc cannot be read). Connections that end
// in between are not counted: the pools keep theirs during a plan.
func serverCPU(ctx context.Context, e *env) (time.Duration, bool) {
	rows, err := e.admin.SQL().QueryContext(ctx,
		"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	if err != nil {
		return 0, false
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return 0, false
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, false
		}
		// Fields 14 and 15 (utime, stime, in clock ticks of 1/100 s on
		// Linux) come after the command name's closing parenthesis.
		_, rest, ok := strings.Cut(string(stat), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 13 {
			return 0, false
		}
		ut, err1 := strconv.ParseInt(f[11], 10, 64)
		st, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		total += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return total, rows.Err() == nil
}
