// Package bounce takes in what relays report after they accepted a digest:
// bounces, spam complaints and unsubscribe requests. They arrive as signed
// webhooks (Amazon SES through SNS, SendGrid, Mailgun, Postmark) or as mail
// in a bounce mailbox read over POP3 (RFC 3464 delivery status
// notifications, RFC 5965 complaint reports, and mail to the mailto: of
// List-Unsubscribe). Every report becomes subscriber events applied by a
// Recorder: a hard bounce marks the subscriber bounced, soft bounces count
// toward edition.bounce_after, a complaint or an unsubscribe request
// unsubscribes. A report is applied once: replays are refused and change
// nothing.
package bounce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// ErrReplayed is returned by Record for a receipt applied before.
var ErrReplayed = errors.New("report already applied")

// receiptTTL is how long receipts are kept: longer than any provider
// retries a report (SendGrid: 24 h) and than every accepted timestamp
// window, so a replay is always caught by one or the other.
const receiptTTL = 30 * 24 * time.Hour

// Store is what the recorder needs; store.DB satisfies it. RecordEvents
// returns digest.ErrConflict for a receipt seen before;
// DeliveryByMessageID returns digest.ErrNotFound for an unknown id.
type Store interface {
	RecordEvents(ctx context.Context, r digest.Receipt, evs []digest.SubscriberEvent, p digest.EventPolicy) ([]digest.SubscriberEvent, error)
	DeliveryByMessageID(ctx context.Context, messageID string) (digest.Delivery, error)
	HasReceipt(ctx context.Context, source, id string) (bool, error)
	PruneReceipts(ctx context.Context, before time.Time) (int64, error)
}

// Metrics counts what was reported; metrics.Metrics satisfies it.
type Metrics interface {
	ObserveSubscriberEvent(kind digest.EventKind)
}

// Recorder applies reports to the store.
type Recorder struct {
	Store  Store
	Policy digest.EventPolicy
	// Metrics may be nil.
	Metrics Metrics
	Logger  *slog.Logger
	Now     func() time.Time

	mu        sync.Mutex
	lastPrune time.Time
}

// Result counts what one report did.
type Result struct {
	Applied int `json:"applied"` // events stored for a subscriber
	Unknown int `json:"unknown"` // events for addresses no subscriber has
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Recorder) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Record applies the events of one report, all or nothing. Events without
// an address are matched by their Message-ID in the ledger. A receipt
// applied before returns ErrReplayed and changes nothing.
func (r *Recorder) Record(ctx context.Context, rc digest.Receipt, evs []digest.SubscriberEvent) (Result, error) {
	var res Result
	for i := range evs {
		evs[i].Email = strings.ToLower(strings.TrimSpace(evs[i].Email))
		if evs[i].Email != "" || evs[i].MessageID == "" {
			continue
		}
		d, err := r.Store.DeliveryByMessageID(ctx, evs[i].MessageID)
		if err == nil {
			evs[i].Email = d.Email
		} else if !errors.Is(err, digest.ErrNotFound) {
			return res, fmt.Errorf("match report by message id: %w", err)
		}
	}
	if rc.At.IsZero() {
		rc.At = r.now()
	}
	stored, err := r.Store.RecordEvents(ctx, rc, evs, r.Policy)
	if errors.Is(err, digest.ErrConflict) {
		return res, fmt.Errorf("%s %s: %w", rc.Source, rc.ID, ErrReplayed)
	}
	if err != nil {
		return res, err
	}
	for _, ev := range stored {
		if r.Metrics != nil {
			r.Metrics.ObserveSubscriberEvent(ev.Kind)
		}
		if ev.SubscriberID == 0 {
			res.Unknown++
			r.log().Info("report for an address with no subscriber", "source", ev.Source, "kind", ev.Kind)
			continue
		}
		res.Applied++
		r.log().Info("subscriber event", "subscriber_id", ev.SubscriberID, "kind", ev.Kind, "source", ev.Source,
			"status", ev.Status, "detail", ev.Detail)
	}
	r.prune(ctx)
	return res, nil
}

// Seen reports whether a receipt was applied before (the mailbox uses it
// to skip messages it cannot delete).
func (r *Recorder) Seen(ctx context.Context, source, id string) (bool, error) {
	return r.Store.HasReceipt(ctx, source, id)
}

// prune drops old receipts at most once an hour; a failure is only logged.
func (r *Recorder) prune(ctx context.Context) {
	now := r.now()
	r.mu.Lock()
	due := now.Sub(r.lastPrune) >= time.Hour
	if due {
		r.lastPrune = now
	}
	r.mu.Unlock()
	if !due {
		return
	}
	if n, err := r.Store.PruneReceipts(ctx, now.Add(-receiptTTL)); err != nil {
		r.log().Warn("prune report receipts", "error", err)
	} else if n > 0 {
		r.log().Debug("pruned report receipts", "count", n)
	}
}
