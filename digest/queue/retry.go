package queue

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
)

// deliverRetryCap bounds the wait before a failed deliver job runs again.
//
// River's default back-off grows as the fourth power of the job's errors
// (1 s, 16 s, 81 s, 256 s, 625 s, ...), which suits work that can wait. A
// digest has a send time, and what fails a deliver job is the store (an
// outage, a full disk, a read out of time on a starved connection) or
// composing the edition from what it holds: the relay's own refusals and
// failed renders are settled in the ledger and retried on its schedule
// (edition.retry_window), never as a job error. So a store back
// after a ten-minute outage left its readers waiting up to ten minutes
// more; capped, they wait at most this long once it answers, and a
// replica asks a store that is still down twice a minute per job.
const deliverRetryCap = 30 * time.Second

// deliverRetryAt is when a deliver job that has failed errs times (this
// failure included) runs again: River's default back-off, capped at
// deliverRetryCap, with River's ±10 % jitter so the jobs of one outage do
// not come back all at once.
func deliverRetryAt(now time.Time, errs int) time.Time {
	wait := deliverRetryCap
	if errs < 3 { // 3^4 s = 81 s already exceeds the cap
		wait = min(time.Duration(errs*errs*errs*errs)*time.Second, wait)
	}
	jitter := 1 + (rand.Float64()*2-1)/10
	return now.Add(time.Duration(float64(wait) * jitter))
}

// NextRetry implements river.Worker: see deliverRetryCap.
func (*deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return deliverRetryAt(time.Now(), len(job.Errors)+1)
}

// NextRetry implements river.Worker: see deliverRetryCap.
func (*deliverBatchWorker) NextRetry(job *river.Job[DeliverBatchArgs]) time.Time {
	return deliverRetryAt(time.Now(), len(job.Errors)+1)
}
