package queue

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// MailboxArgs asks for the bounce mailbox to be read.
type MailboxArgs struct{}

// Kind implements river.JobArgs.
func (MailboxArgs) Kind() string { return "mailbox" }

// InsertOpts implements river.JobArgsWithInsertOpts: one poll at a time,
// cluster-wide, so two replicas never read the same mailbox at once.
func (MailboxArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: priorityGather, UniqueOpts: singleton, MaxAttempts: 3}
}

// mailboxWorker runs Deps.Mailbox.
type mailboxWorker struct {
	river.WorkerDefaults[MailboxArgs]
	q *Queue
}

func (w *mailboxWorker) Timeout(*river.Job[MailboxArgs]) time.Duration { return w.q.cfg.JobTimeout }

func (w *mailboxWorker) Work(ctx context.Context, _ *river.Job[MailboxArgs]) (err error) {
	defer func() { w.q.observe("mailbox", err) }()
	return w.q.deps.Mailbox(ctx)
}

// mailboxJobs registers the mailbox worker and its periodic job when a
// mailbox is configured.
func (q *Queue) mailboxJobs(workers *river.Workers) ([]*river.PeriodicJob, error) {
	if q.deps.Mailbox == nil {
		return nil, nil
	}
	river.AddWorker(workers, &mailboxWorker{q: q})
	sched, err := parseSchedule(q.cfg.MailboxSchedule)
	if err != nil || sched == nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) {
		return MailboxArgs{}, nil
	}, &river.PeriodicJobOpts{ID: "mailbox", RunOnStart: true})}, nil
}
