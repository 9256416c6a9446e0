package queue

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// BenchmarkQueue_ReplicasPostgres delivers one digest to each of N
// subscribers (DIGEST_BENCH_REPLICA_SUBSCRIBERS, default 30,000) in 40
// time zones, all due, with three replicas (separate stores, engines,
// SMTP pools and River clients, as three `digest serve` processes would
// have) on one Postgres and a loopback SMTP sink. One plan job is queued,
// as the replicas' periodic schedules would; whichever replica takes it
// enqueues the deliveries and all three work them. It reports messages
// per second from the plan's enqueueing to an idle queue, how long the
// plan job ran (the deliveries start while it runs), each replica's
// share of the messages, the replicas' store statements per message, and
// fails unless the ledger holds exactly N
// sent rows, N distinct (recipient, date) pairs, and the sink received N
// messages with no Message-ID twice.
func BenchmarkQueue_ReplicasPostgres(b *testing.B) {
	n := benchSize(b, "DIGEST_BENCH_REPLICA_SUBSCRIBERS", 30000)
	const replicas = 3
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		e := newEnv(b, now, envOptions{postgres: true})
		e.addSubscribers(n, planZones, "00:00") // every zone's local midnight has passed at now
		rs := make([]*replica, replicas)
		sent := make([]*countingMailer, replicas)
		for i := range rs {
			rs[i] = e.replica(fmt.Sprintf("replica-%d", i+1), Config{Workers: 8, NoStartupJobs: true})
			sent[i] = &countingMailer{Mailer: rs[i].engine.Mailer}
			rs[i].engine.Mailer = sent[i]
			rs[i].start(b)
		}
		var rep digest.Report
		if err := rs[0].engine.Gather(ctx, []digest.Source{e.source}, &rep); err != nil {
			b.Fatal(err)
		}
		stmts := func() (n int64) {
			for _, r := range rs {
				n += r.store.Stats().Statements
			}
			return n
		}
		b.StartTimer()
		start, stmts0 := time.Now(), stmts()
		if err := rs[0].q.EnqueuePlan(ctx, false); err != nil {
			b.Fatal(err)
		}
		waitIdle(b, e.admin.SQL(), 30*time.Minute)
		elapsed := time.Since(start)
		b.StopTimer()
		// The replicas' store statements (each its own commit; River's
		// own are not counted) per message: the plan's pages, the
		// batches' reads and claims, the marks.
		b.ReportMetric(float64(stmts()-stmts0)/float64(n), "stmts/msg")

		checkDelivered(b, e, n)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msg/s")
		var plan float64
		if err := e.admin.SQL().QueryRowContext(ctx, `SELECT EXTRACT(EPOCH FROM finalized_at - attempted_at)
			FROM river_job WHERE kind = 'plan'`).Scan(&plan); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(plan, "plan-s")
		for i, c := range sent {
			b.ReportMetric(100*float64(c.n.Load())/float64(n), fmt.Sprintf("replica-%d-%%", i+1))
		}
	}
}

// checkDelivered fails b unless the ledger holds exactly n rows, all sent,
// for n distinct (recipient, date) pairs, and the sink received n
// messages, each Message-ID once.
func checkDelivered(b *testing.B, e *env, n int) {
	b.Helper()
	var rows, sent, distinct int
	if err := e.admin.SQL().QueryRowContext(context.Background(), `SELECT count(*),
		count(*) FILTER (WHERE status = 'sent'), count(DISTINCT (email, edition_date)) FROM deliveries`).Scan(&rows, &sent, &distinct); err != nil {
		b.Fatal(err)
	}
	if rows != n || sent != n || distinct != n {
		b.Errorf("ledger: %d rows, %d sent, %d distinct (recipient, date); want %d of each", rows, sent, distinct, n)
	}
	ids := e.sink.IDs()
	for id, k := range ids {
		if k != 1 {
			b.Errorf("Message-ID %s arrived %d times", id, k)
		}
	}
	if e.sink.Total() != n || len(ids) != n {
		b.Errorf("sink: %d messages, %d distinct Message-IDs; want %d", e.sink.Total(), len(ids), n)
	}
}

// countingMailer counts the messages its Mailer accepted.
type countingMailer struct {
	digest.Mailer
	n atomic.Int64
}

func (m *countingMailer) Send(ctx context.Context, msg digest.Message) error {
	err := m.Mailer.Send(ctx, msg)
	if err == nil {
		m.n.Add(1)
	}
	return err
}

// benchSize is the number in the environment variable name, or def when
// it is unset.
func benchSize(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}
