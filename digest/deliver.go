package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
)

// DeliverOptions change how one delivery is made.
type DeliverOptions struct {
	// Force sends again even when the ledger says the digest was sent.
	Force bool
	// RecordEmpty marks an empty edition skipped in the ledger (scheduled
	// runs); otherwise an empty edition leaves no trace, so a later run the
	// same day can still send news that arrived since.
	RecordEmpty bool
	// Since overrides the edition's lower bound (zero: the recipient's last
	// digest, capped by Config.Lookback).
	Since time.Time
	// Lead is the edition's opening paragraph, if any.
	Lead string
}

// Outcome is what happened to one delivery.
type Outcome string

// Delivery outcomes.
const (
	OutcomeSent        Outcome = "sent"
	OutcomeAlreadySent Outcome = "already_sent"
	OutcomeInFlight    Outcome = "in_flight" // another worker holds the lease
	OutcomeEmpty       Outcome = "empty"
	OutcomeDeferred    Outcome = "deferred" // temporary failure; retried later
	OutcomeFailed      Outcome = "failed"   // permanent failure
)

// MessageID returns the deterministic Message-ID (without angle brackets) of
// the digest for email on date; a forced resend (generation > 0) gets a new
// one so that clients do not discard it as a duplicate.
func (e *Engine) MessageID(email, date string, generation int) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	id := fmt.Sprintf("digest.%s.%s", date, hex.EncodeToString(sum[:8]))
	if generation > 0 {
		id += fmt.Sprintf(".r%d", generation)
	}
	domain := e.Config.MessageIDDomain
	if domain == "" {
		domain = "digest.localhost"
	}
	return id + "@" + domain
}

// Deliver composes and sends the edition of date for sub, guarded by the
// ledger: at most one send per (email, date) unless forced. stories is the
// ranked, summarised list of the run; it is filtered per recipient.
func (e *Engine) Deliver(ctx context.Context, sub Subscriber, date string, stories []Story, opts DeliverOptions) (Outcome, error) {
	// The recipient's log attributes are made only when a record is written:
	// hashing the address and building a logger for every delivery cost
	// about 1 % of BenchmarkDeliver's CPU.
	log := func() *slog.Logger { return e.log().With("email_hash", shortHash(sub.Email), "date", date) }
	d, err := e.Store.DeliveryFor(ctx, sub.Email, date)
	switch {
	case errors.Is(err, ErrNotFound):
		d = Delivery{}
	case err != nil:
		return "", fmt.Errorf("read ledger: %w", err)
	}
	if d.ID != 0 && (d.Status == DeliverySent || d.Status == DeliveryFailed || d.Status == DeliverySkipped) {
		if !opts.Force {
			return OutcomeAlreadySent, nil
		}
		if d, err = e.Store.ResetDelivery(ctx, d.ID, e.now()); err != nil {
			return "", fmt.Errorf("reset delivery: %w", err)
		}
	}

	ed, err := e.Compose(ctx, sub, date, stories, opts)
	if err != nil {
		return "", err
	}
	if len(ed.Stories) == 0 && !e.Config.SendEmpty && !opts.RecordEmpty {
		return OutcomeEmpty, nil
	}

	if d.ID == 0 {
		d, err = e.Store.EnsureDelivery(ctx, Delivery{
			SubscriberID: sub.ID, Email: sub.Email, EditionDate: date,
			MessageID: e.MessageID(sub.Email, date, 0), Status: DeliveryPending,
		})
		if err != nil {
			return "", fmt.Errorf("create ledger row: %w", err)
		}
	}
	now := e.now()
	d, err = e.Store.ClaimDelivery(ctx, d.ID, now, e.lease())
	switch {
	case errors.Is(err, ErrAlreadySent):
		return OutcomeAlreadySent, nil
	case errors.Is(err, ErrLeased):
		return OutcomeInFlight, nil
	case err != nil:
		return "", fmt.Errorf("claim delivery: %w", err)
	}

	if len(ed.Stories) == 0 && !e.Config.SendEmpty {
		if err := e.Store.MarkSkipped(ctx, d.ID, e.now(), "no stories"); err != nil {
			return "", fmt.Errorf("record empty edition: %w", err)
		}
		return OutcomeEmpty, nil
	}

	msg, err := e.Renderer.Render(ed)
	if err != nil {
		// A template failure is ours, not the recipient's: give the lease back
		// as a temporary failure so a fixed deployment sends it.
		e.fail(ctx, d, fmt.Errorf("render: %w", err))
		return OutcomeDeferred, fmt.Errorf("render edition: %w", err)
	}
	msg.From = e.Config.From
	msg.To, msg.ToName = sub.Email, sub.Name
	msg.MessageID = e.MessageID(sub.Email, date, d.Generation)
	msg.Date = now
	msg.Edition = date
	msg.ListID = e.Config.ListID
	msg.UnsubscribeURL, msg.UnsubscribeMailto = ed.UnsubscribeURL, ed.UnsubscribeMailto

	if err := e.Mailer.Send(ctx, msg); err != nil {
		outcome := e.fail(ctx, d, err)
		log().Warn("send failed", "error", err, "outcome", outcome, "attempts", d.Attempts)
		return outcome, nil
	}
	// The server said 250: record it before anything else can fail. The
	// context may be ending (shutdown), and the row must still be marked.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.Store.MarkSent(mctx, d.ID, e.now(), len(ed.Stories)); err != nil {
		return OutcomeSent, fmt.Errorf("record sent delivery %d: %w", d.ID, err)
	}
	if e.log().Enabled(ctx, slog.LevelDebug) {
		log().Debug("digest sent", "stories", len(ed.Stories), "message_id", msg.MessageID)
	}
	return OutcomeSent, nil
}

// fail records a send failure and returns the outcome. Temporary failures
// are retried with exponential back-off and jitter until the retry window
// closes; permanent ones are final and may mark the subscriber bounced.
func (e *Engine) fail(ctx context.Context, d Delivery, sendErr error) Outcome {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := e.now()
	permanent := IsPermanent(sendErr)
	reason := sendErr.Error()
	window := e.Config.RetryWindow
	if !permanent && window > 0 && !d.CreatedAt.IsZero() && now.Sub(d.CreatedAt) >= window {
		permanent = true
		reason = fmt.Sprintf("gave up after %s of temporary failures: %s", window, reason)
	}
	retryAt := now.Add(e.backoff(d.Attempts))
	if err := e.Store.MarkFailed(ctx, d.ID, now, truncate(reason, 500), permanent, retryAt); err != nil {
		e.log().Error("record failed delivery", "delivery_id", d.ID, "error", err)
	}
	if !permanent {
		return OutcomeDeferred
	}
	if d.SubscriberID != 0 && e.Config.BounceAfter > 0 && IsPermanent(sendErr) {
		n, err := e.Store.PermanentFailures(ctx, d.Email)
		if err == nil && n >= e.Config.BounceAfter {
			if err := e.Store.SetSubscriberStatus(ctx, d.SubscriberID, StatusBounced); err != nil {
				e.log().Error("mark subscriber bounced", "subscriber_id", d.SubscriberID, "error", err)
			}
		}
	}
	return OutcomeFailed
}

func (e *Engine) lease() time.Duration {
	if e.Config.Lease > 0 {
		return e.Config.Lease
	}
	return 10 * time.Minute
}

// backoff returns the wait after the attempts-th failure: RetryBase doubled
// per attempt, capped at RetryMax, with ±20 % jitter so that a relay coming
// back is not hit by every retry at once.
func (e *Engine) backoff(attempts int) time.Duration {
	base, limit := e.Config.RetryBase, e.Config.RetryMax
	if base <= 0 {
		base = 2 * time.Minute
	}
	if limit <= 0 {
		limit = 2 * time.Hour
	}
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return d + jitter
}

// Compose builds the edition of date for sub from the run's ranked stories:
// those newer than the recipient's last digest (capped by Lookback; a
// forced resend ignores the last digest), matching their topics, capped at
// MaxStories.
func (e *Engine) Compose(ctx context.Context, sub Subscriber, date string, stories []Story, opts DeliverOptions) (Edition, error) {
	now := e.now()
	since := opts.Since
	if since.IsZero() {
		since = now.Add(-e.Config.Lookback)
		if !opts.Force {
			last, err := e.Store.LastSent(ctx, sub.Email)
			if err != nil {
				return Edition{}, fmt.Errorf("read last delivery: %w", err)
			}
			if last.After(since) {
				since = last
			}
		}
	}
	ed := Edition{
		Date: date, Recipient: sub, GeneratedAt: now, Since: since, Lead: opts.Lead,
		UnsubscribeMailto: unsubscribeMailto(e.Config.From),
	}
	if e.Links != nil {
		ed.UnsubscribeURL = e.Links.UnsubscribeURL(sub)
		ed.PreferencesURL = e.Links.PreferencesURL(sub)
		ed.ArchiveURL = e.Links.ArchiveURL(date)
	}
	for _, st := range stories {
		if !newerThan(st, since) || !matchesTopics(st, sub.Topics) {
			continue
		}
		if e.Config.MaxStories > 0 && len(ed.Stories) >= e.Config.MaxStories {
			ed.More++
			continue
		}
		ed.Stories = append(ed.Stories, st)
	}
	return ed, nil
}

func newerThan(st Story, since time.Time) bool {
	for _, a := range st.Articles {
		if a.Published.After(since) {
			return true
		}
	}
	return false
}

func matchesTopics(st Story, topics []string) bool {
	if len(topics) == 0 {
		return true
	}
	for _, want := range topics {
		for _, have := range st.Topics {
			if strings.EqualFold(want, have) {
				return true
			}
		}
		for _, have := range st.Summary.Topics {
			if strings.EqualFold(want, have) {
				return true
			}
		}
	}
	return false
}

// unsubscribeMailto returns a mailto: unsubscribe address at the sender.
func unsubscribeMailto(from string) string {
	addr := from
	if i := strings.LastIndex(from, "<"); i >= 0 {
		addr = strings.TrimSuffix(from[i+1:], ">")
	}
	addr = strings.TrimSpace(addr)
	if !strings.Contains(addr, "@") {
		return ""
	}
	return "mailto:" + addr + "?subject=unsubscribe"
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(s)))
	return hex.EncodeToString(sum[:4])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
