package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// deliverBatch is the width of the subscriber ID ranges whose deliveries
// the planner puts in one job. One job per delivery bound a plan to
// River's insert rate (about 500-4,000 jobs/s here: a million due
// subscribers took many minutes to plan); up to a hundred per job make
// that many times fewer inserts, while a job still ends in seconds and
// the replicas' workers still share the work out.
const deliverBatch = 100

// DeliverBatchArgs asks for several deliveries: those of one edition key
// for the due subscribers in one range of deliverBatch IDs. Each is worked
// as a DeliverArgs job would be; one that must wait or failed is handed to
// a DeliverArgs job of its own, so its snoozes and retries are its own and
// the rest of the batch is not held up.
type DeliverBatchArgs struct {
	Deliveries []DeliverArgs `json:"deliveries"`
}

// Kind implements river.JobArgs.
func (DeliverBatchArgs) Kind() string { return "deliver_batch" }

// InsertOpts implements river.JobArgsWithInsertOpts. Unique by args, as
// DeliverArgs: a batch is an ID range's due deliveries of one key, so a
// plan repeated before any of them finished (another replica, the next
// tick, a catch-up plan's today) builds the same batch and adds nothing.
// A range whose batch is running when the plan repeats gets a second job
// for the rest; the ledger claim sends each delivery once.
func (DeliverBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: priorityDeliver, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// batcher groups a plan's deliveries, which come in subscriber ID order,
// into batches by ID range and edition key.
type batcher struct {
	idRange int64
	keys    []string // the current range's edition keys, in order of first delivery
	open    map[string][]DeliverArgs
	ready   []river.InsertManyParams
}

func (b *batcher) add(d DeliverArgs) {
	if r := d.SubscriberID / deliverBatch; r != b.idRange || b.open == nil {
		b.closeRange()
		b.idRange = r
	}
	if _, ok := b.open[d.Date]; !ok {
		b.keys = append(b.keys, d.Date)
	}
	b.open[d.Date] = append(b.open[d.Date], d)
}

// closeRange makes the current range's batches ready.
func (b *batcher) closeRange() {
	for _, k := range b.keys {
		b.ready = append(b.ready, river.InsertManyParams{Args: DeliverBatchArgs{Deliveries: b.open[k]}})
	}
	b.keys = b.keys[:0]
	b.open = map[string][]DeliverArgs{}
}

// flush inserts the ready batches and counts the deliveries in new jobs
// and in jobs already queued.
func (b *batcher) flush(ctx context.Context, client riverClient) (enqueued, duplicate int, err error) {
	if len(b.ready) == 0 {
		return 0, 0, nil
	}
	inserted, err := client.InsertMany(ctx, b.ready)
	if err != nil {
		return 0, 0, err
	}
	for i, r := range inserted {
		n := len(b.ready[i].Args.(DeliverBatchArgs).Deliveries)
		if r.UniqueSkippedAsDuplicate {
			duplicate += n
		} else {
			enqueued += n
		}
	}
	b.ready = b.ready[:0]
	return enqueued, duplicate, nil
}

// deliverBatchWorker works a DeliverBatchArgs job, one delivery after the
// other, so a replica's concurrent sends stay bounded by its workers.
type deliverBatchWorker struct {
	river.WorkerDefaults[DeliverBatchArgs]
	q *Queue
}

// Timeout bounds the whole batch by JobTimeout, as one delivery is: each
// delivery's lease outlasts it, so none is still sending when its lease
// ends.
func (w *deliverBatchWorker) Timeout(*river.Job[DeliverBatchArgs]) time.Duration {
	return w.q.cfg.JobTimeout
}

func (w *deliverBatchWorker) Work(ctx context.Context, job *river.Job[DeliverBatchArgs]) error {
	q := w.q
	var handOff []river.InsertManyParams
	for i, d := range job.Args.Deliveries {
		select {
		case <-q.stopping:
			// A stopping replica starts no new send: the rest go to jobs
			// of their own, for another replica or the restart.
			for _, rest := range job.Args.Deliveries[i:] {
				handOff = append(handOff, river.InsertManyParams{Args: rest})
			}
			return q.handOff(ctx, handOff)
		default:
		}
		err := q.deliver(ctx, d)
		q.observeDelivery(err)
		var snooze *rivertype.JobSnoozeError
		switch {
		case err == nil:
		case errors.As(err, &snooze):
			// River's clock, as a snooze of the job would be.
			at := time.Now().Add(snooze.Duration)
			handOff = append(handOff, river.InsertManyParams{Args: d, InsertOpts: &river.InsertOpts{ScheduledAt: at}})
		case ctx.Err() != nil:
			// Out of time: River retries the batch, whose deliveries done
			// by then are skipped by the ledger and whose leased ones wait
			// for their leases.
			return fmt.Errorf("deliver batch: %w", err)
		default:
			handOff = append(handOff, river.InsertManyParams{Args: d})
		}
	}
	return q.handOff(ctx, handOff)
}

// handOff inserts a DeliverArgs job for each of ps. When that fails the
// batch job fails and River retries it: the deliveries it finished are
// skipped by the ledger, the others handed off again.
func (q *Queue) handOff(ctx context.Context, ps []river.InsertManyParams) error {
	if len(ps) == 0 {
		return nil
	}
	if _, err := q.client.InsertMany(ctx, ps); err != nil {
		return fmt.Errorf("hand %d deliveries to jobs of their own: %w", len(ps), err)
	}
	return nil
}
