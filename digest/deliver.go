package digest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/internal/defaults"
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
	return id + "@" + cmp.Or(e.Config.MessageIDDomain, defaultMessageIDDomain)
}

// Deliver composes and sends the edition with ledger key date for sub
// (a local date, or the ISO week of a weekly edition; see Due), guarded by
// the ledger: at most one send per (email, key) unless forced. stories is
// the ranked, summarised list of the run, of the week for a weekly edition
// (WeekStories); it is filtered per recipient.
func (e *Engine) Deliver(ctx context.Context, sub Subscriber, date string, stories []Story, opts DeliverOptions) (Outcome, error) {
	d, err := e.Store.DeliveryFor(ctx, sub.Email, date)
	switch {
	case errors.Is(err, ErrNotFound):
		d = Delivery{}
	case err != nil:
		return "", fmt.Errorf("read ledger: %w: %w", ErrLedger, err)
	}
	if d.ID != 0 {
		if outcome, err, ok := e.recordEarlierSend(ctx, d); ok {
			return outcome, err
		}
	}
	if d.ID != 0 && (d.Status == DeliverySent || d.Status == DeliveryFailed || d.Status == DeliverySkipped) {
		if !opts.Force {
			return OutcomeAlreadySent, nil
		}
		if d, err = e.Store.ResetDelivery(ctx, d.ID, e.now()); err != nil {
			return "", fmt.Errorf("reset delivery: %w: %w", ErrLedger, err)
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
			return "", fmt.Errorf("create ledger row: %w: %w", ErrLedger, err)
		}
	}
	now := e.now()
	d, err = e.Store.ClaimDelivery(ctx, d.ID, now, e.lease())
	if outcome, err, done := claimOutcome(err); done {
		return outcome, err
	}
	return e.sendClaimed(ctx, sub, d, ed, now)
}

// claimOutcome turns a claim's error into the delivery's outcome; done is
// false when the row was claimed.
func claimOutcome(err error) (outcome Outcome, _ error, done bool) {
	switch {
	case err == nil:
		return "", nil, false
	case errors.Is(err, ErrAlreadySent):
		return OutcomeAlreadySent, nil, true
	case errors.Is(err, ErrLeased):
		return OutcomeInFlight, nil, true
	default:
		return "", fmt.Errorf("claim delivery: %w: %w", ErrLedger, err), true
	}
}

// sendClaimed sends edition ed to sub under the claimed row d (claimed at
// now) and records the outcome: skipped for an empty edition, sent after
// the relay's 250, failed or deferred otherwise.
func (e *Engine) sendClaimed(ctx context.Context, sub Subscriber, d Delivery, ed Edition, now time.Time) (Outcome, error) {
	outcome, err, accepted := e.send(ctx, sub, d, ed, now)
	if !accepted {
		return outcome, err
	}
	return e.markSent(ctx, sub, d, len(ed.Stories))
}

// send is sendClaimed up to the relay's answer: accepted reports a 250,
// whose recording (markSent) is then the caller's; otherwise the outcome
// is recorded and returned.
func (e *Engine) send(ctx context.Context, sub Subscriber, d Delivery, ed Edition, now time.Time) (_ Outcome, _ error, accepted bool) {
	if len(ed.Stories) == 0 && !e.Config.SendEmpty {
		if err := e.Store.MarkSkipped(ctx, d.ID, e.now(), "no stories"); err != nil {
			return "", fmt.Errorf("record empty edition: %w: %w", ErrLedger, err), false
		}
		return OutcomeEmpty, nil, false
	}

	msg, err := e.Renderer.Render(ed)
	if err != nil {
		// A template failure is ours, not the recipient's: give the lease back
		// as a temporary failure so a fixed deployment sends it.
		if _, ferr := e.fail(ctx, d, fmt.Errorf("render: %w", err)); ferr != nil {
			return OutcomeDeferred, errors.Join(fmt.Errorf("render edition: %w", err), ferr), false
		}
		return OutcomeDeferred, fmt.Errorf("render edition: %w", err), false
	}
	msg.From = e.Config.From
	msg.To, msg.ToName = sub.Email, sub.Name
	msg.MessageID = e.MessageID(sub.Email, d.EditionDate, d.Generation)
	msg.Date = now
	msg.Edition = d.EditionDate
	msg.ListID = e.Config.ListID
	msg.UnsubscribeURL, msg.UnsubscribeMailto = ed.UnsubscribeURL, ed.UnsubscribeMailto

	if e.leaseNearlyOut(d) {
		// The row waited (in a chunk behind a slow relay, or in a starved
		// process) until its lease is nearly out: another worker may take
		// it over at any moment, and sending now could reach the reader
		// twice. It stays leased and goes out when the lease ends. The
		// check sits after rendering, the last work before the relay.
		return OutcomeInFlight, nil, false
	}
	if err := e.Mailer.Send(ctx, msg); err != nil {
		if ctx.Err() != nil && !d.LeaseUntil.IsZero() {
			// The caller's deadline or stop cut the send short (a deliver
			// job out of time, a shutdown): the relay refused nothing, so
			// the claim goes back due at once rather than counted as a
			// failure and left to wait out RetryBase. The row is sent
			// again either way (mail.Sender, once a connection has the
			// message, waits for the relay's answer whatever ctx does), so
			// this sends nothing twice that the deferral would not.
			r := e.release(ctx, []int64{d.ID}, d.LeaseUntil, fmt.Errorf("not sent: %w", err))
			return r.Outcome, r.Err, false
		}
		outcome, ferr := e.fail(ctx, d, err)
		e.recipientLog(sub, d).Warn("send failed", "error", err, "outcome", outcome, "attempts", d.Attempts)
		return outcome, ferr, false
	}
	if e.log().Enabled(ctx, slog.LevelDebug) {
		e.recipientLog(sub, d).Debug("digest sent", "stories", len(ed.Stories), "message_id", msg.MessageID)
	}
	return OutcomeSent, nil, true
}

// markSent records d sent after the relay said 250 for it, before
// anything else can fail; the outcome is sent either way, with an error
// when it could not be recorded.
func (e *Engine) markSent(ctx context.Context, sub Subscriber, d Delivery, stories int) (Outcome, error) {
	if err := e.recordSent(ctx, d, stories); err != nil {
		if errors.Is(err, ErrNotSending) {
			// Another worker took the row over after this lease ran out.
			return OutcomeSent, fmt.Errorf("record sent delivery %d: %w", d.ID, err)
		}
		e.noteUnrecorded(d.ID, stories)
		e.recipientLog(sub, d).Error("digest sent but not recorded", "delivery_id", d.ID, "error", err)
		return OutcomeSent, fmt.Errorf("record sent delivery %d: %w: %w", d.ID, ErrLedger, err)
	}
	return OutcomeSent, nil
}

// recipientLog is the logger of one delivery's records. It is made only
// when a record is written: hashing the address and building a logger for
// every delivery cost about 1 % of BenchmarkDeliver's CPU.
func (e *Engine) recipientLog(sub Subscriber, d Delivery) *slog.Logger {
	return e.log().With("email_hash", shortHash(sub.Email), "date", d.EditionDate)
}

// recordSent marks d sent after the relay accepted its message. While the
// store fails it retries with back-off for up to Config.RecordRetry, and
// never past the row's lease less a margin, so no other worker takes the
// row over meanwhile. The caller's context may be ending (shutdown): the
// mark is still attempted, for at most a few seconds more.
func (e *Engine) recordSent(ctx context.Context, d Delivery, stories int) error {
	budget := cmp.Or(e.Config.RecordRetry, DefaultConfig().RecordRetry)
	if !d.LeaseUntil.IsZero() {
		budget = min(budget, d.LeaseUntil.Sub(e.now())-leaseMargin)
	}
	// Real time, not e.now: the waits below are real, and the engine's
	// clock may be a test's fixed one.
	deadline := time.Now().Add(max(budget, 0))
	wait := 100 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
		err := e.Store.MarkSent(actx, d.ID, e.now(), stories)
		cancel()
		if err == nil || errors.Is(err, ErrNotSending) {
			return err
		}
		if ctx.Err() != nil {
			deadline = minTime(deadline, time.Now().Add(shutdownGrace))
		}
		if time.Now().Add(wait).After(deadline) {
			return err
		}
		e.log().Warn("recording a sent delivery failed; retrying", "delivery_id", d.ID, "error", err, "retry_in", wait)
		time.Sleep(wait)
		wait = min(wait*2, 5*time.Second)
	}
}

const (
	// leaseMargin keeps recordSent's retries clear of the lease's end.
	leaseMargin = 10 * time.Second
	// markTimeout bounds one ledger write after a send.
	markTimeout = 10 * time.Second
	// shutdownGrace is how long recordSent keeps trying once the run is
	// being stopped.
	shutdownGrace = 5 * time.Second
)

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// noteUnrecorded remembers that the relay accepted delivery id's message
// although the ledger could not say so.
func (e *Engine) noteUnrecorded(id int64, stories int) {
	e.unrecordedMu.Lock()
	defer e.unrecordedMu.Unlock()
	if e.unrecorded == nil {
		e.unrecorded = map[int64]int{}
	}
	e.unrecorded[id] = stories
}

// recordEarlierSend handles a row whose message this process sent but
// could not record: it records it now instead of sending again. ok is false
// when d is not such a row.
func (e *Engine) recordEarlierSend(ctx context.Context, d Delivery) (outcome Outcome, err error, ok bool) {
	e.unrecordedMu.Lock()
	stories, ok := e.unrecorded[d.ID]
	e.unrecordedMu.Unlock()
	if !ok {
		return "", nil, false
	}
	forget := func() {
		e.unrecordedMu.Lock()
		delete(e.unrecorded, d.ID)
		e.unrecordedMu.Unlock()
	}
	if d.Status != DeliverySending {
		// Recorded meanwhile (or reset by a forced resend).
		forget()
		return "", nil, false
	}
	if err := e.recordSent(ctx, d, stories); err != nil {
		if errors.Is(err, ErrNotSending) {
			forget()
			return "", nil, false
		}
		return "", fmt.Errorf("record sent delivery %d: %w: %w", d.ID, ErrLedger, err), true
	}
	forget()
	e.log().Info("recorded a digest sent earlier", "delivery_id", d.ID)
	return OutcomeAlreadySent, nil, true
}

// fail records a send failure and returns the outcome. Temporary failures
// are retried with exponential back-off and jitter until the retry window
// closes; permanent ones are final and may mark the subscriber bounced. An
// error (wrapping ErrLedger) says the failure could not be recorded.
func (e *Engine) fail(ctx context.Context, d Delivery, sendErr error) (Outcome, error) {
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
		return OutcomeDeferred, fmt.Errorf("record failed delivery %d: %w: %w", d.ID, ErrLedger, err)
	}
	if !permanent {
		return OutcomeDeferred, nil
	}
	if d.SubscriberID != 0 && e.Config.BounceAfter > 0 && IsPermanent(sendErr) {
		n, err := e.Store.PermanentFailures(ctx, d.Email)
		if err == nil && n >= e.Config.BounceAfter {
			if err := e.Store.SetSubscriberStatus(ctx, d.SubscriberID, StatusBounced); err != nil {
				e.log().Error("mark subscriber bounced", "subscriber_id", d.SubscriberID, "error", err)
			}
		}
	}
	return OutcomeFailed, nil
}

// leaseNearlyOut reports whether claimed row d's lease ends within
// leaseMargin by the engine's clock.
func (e *Engine) leaseNearlyOut(d Delivery) bool {
	return !d.LeaseUntil.IsZero() && e.now().After(d.LeaseUntil.Add(-leaseMargin))
}

// lease is Config.Lease, or DefaultConfig's when it is not positive, so
// the default is written once.
func (e *Engine) lease() time.Duration {
	return defaults.PositiveOr(e.Config.Lease, DefaultConfig().Lease)
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

// Compose builds the edition with ledger key key for sub from the run's
// ranked stories: those newer than the recipient's last digest (capped by
// Lookback, by a week for a weekly edition; a forced resend ignores the
// last digest), matching their topics, capped at MaxStories.
func (e *Engine) Compose(ctx context.Context, sub Subscriber, key string, stories []Story, opts DeliverOptions) (Edition, error) {
	return e.compose(sub, key, stories, opts, func() (time.Time, error) { return e.Store.LastSent(ctx, sub.Email) })
}

// compose is Compose with the recipient's last send read by lastSent, only
// when the edition's lower bound needs it.
func (e *Engine) compose(sub Subscriber, key string, stories []Story, opts DeliverOptions, lastSent func() (time.Time, error)) (Edition, error) {
	now := e.now()
	freq, err := ParseFrequency(string(sub.Frequency))
	if err != nil {
		freq = FrequencyDaily // the key decides what the edition is
	}
	weekly := IsWeekKey(key)
	date := freq.EditionDate(key)
	since := opts.Since
	if since.IsZero() {
		lookback := e.lookback()
		if weekly {
			lookback = Week
		}
		since = now.Add(-lookback)
		if !opts.Force {
			last, err := lastSent()
			if err != nil {
				return Edition{}, fmt.Errorf("read last delivery: %w", err)
			}
			if last.After(since) {
				since = last
			}
		}
	}
	ed := Edition{
		Date: date, Key: key, Weekly: weekly, Recipient: sub, GeneratedAt: now, Since: since, Lead: opts.Lead,
		UnsubscribeMailto: unsubscribeMailto(e.Config.From),
	}
	if e.Links != nil {
		ed.UnsubscribeURL = e.Links.UnsubscribeURL(sub)
		ed.PreferencesURL = e.Links.PreferencesURL(sub)
		ed.ArchiveURL = e.Links.ArchiveURL(date)
	}
	// One allocation per reader instead of a slice of ~350-byte stories
	// doubling its way up (most of a delivery's garbage besides the message).
	ed.Stories = make([]Story, 0, storiesCap(len(stories), e.Config.MaxStories))
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
	if len(ed.Stories) == 0 {
		ed.Stories = nil // as before: an edition without stories has none
	}
	return ed, nil
}

// storiesCap is the most stories an edition can take from n, or 32 when
// there is no limit (append grows it past that).
func storiesCap(n, maxStories int) int {
	if maxStories > 0 {
		return min(n, maxStories)
	}
	return min(n, 32)
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

// Week is the span of a weekly edition.
const Week = 7 * 24 * time.Hour

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
