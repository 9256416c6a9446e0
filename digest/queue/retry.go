package queue

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
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

// deliverRetryAt is when a failed deliver job runs again: River's own
// default back-off, or deliverRetryCap with River's ±10 % jitter (so the
// jobs of one outage do not come back all at once) when that is sooner.
func deliverRetryAt(job *rivertype.JobRow) time.Time {
	capped := time.Now().Add(time.Duration(float64(deliverRetryCap) * (1 + (rand.Float64()*2-1)/10)))
	if at := (&river.DefaultClientRetryPolicy{}).NextRetry(job); at.Before(capped) {
		return at
	}
	return capped
}

// NextRetry implements river.Worker: see deliverRetryCap.
func (*deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return deliverRetryAt(job.JobRow)
}

// NextRetry implements river.Worker: see deliverRetryCap.
func (*deliverBatchWorker) NextRetry(job *river.Job[DeliverBatchArgs]) time.Time {
	return deliverRetryAt(job.JobRow)
}
