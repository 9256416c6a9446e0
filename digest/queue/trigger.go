package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tradedigest/tradedigest/digest"
)

// JobInfo is what an operator sees of one job.
type JobInfo struct {
	ID          int64
	Kind        string
	State       string // River's: available, running, completed, retryable, ...
	Attempt     int
	Duplicate   bool // Trigger found the same job already waiting
	CreatedAt   time.Time
	FinalizedAt time.Time
	Errors      []string
}

// Trigger enqueues work now: "gather" fetches every source; "run" gathers
// and then plans, so the digests that are due go out. A gather already
// waiting or running is not queued twice: its id is returned with
// Duplicate set.
func (q *Queue) Trigger(ctx context.Context, kind string) (JobInfo, error) {
	var args river.JobArgs
	switch kind {
	case "gather":
		args = GatherArgs{}
	case "run":
		args = GatherArgs{Plan: true}
	default:
		return JobInfo{}, fmt.Errorf("trigger: unknown job kind %q (want gather or run)", kind)
	}
	res, err := q.client.Insert(ctx, args, nil)
	if err != nil {
		return JobInfo{}, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	info := jobInfo(res.Job)
	info.Duplicate = res.UniqueSkippedAsDuplicate
	return info, nil
}

// Job returns a job by id; digest.ErrNotFound when River has none (it
// deletes finished jobs after a day).
func (q *Queue) Job(ctx context.Context, id int64) (JobInfo, error) {
	row, err := q.client.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return JobInfo{}, fmt.Errorf("job %d: %w", id, digest.ErrNotFound)
	}
	if err != nil {
		return JobInfo{}, fmt.Errorf("read job %d: %w", id, err)
	}
	return jobInfo(row), nil
}

func jobInfo(row *rivertype.JobRow) JobInfo {
	info := JobInfo{ID: row.ID, Kind: row.Kind, State: string(row.State), Attempt: row.Attempt, CreatedAt: row.CreatedAt}
	if row.FinalizedAt != nil {
		info.FinalizedAt = *row.FinalizedAt
	}
	for _, e := range row.Errors {
		info.Errors = append(info.Errors, e.Error)
	}
	return info
}
