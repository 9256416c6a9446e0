package bounce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tradedigest/tradedigest/digest"
)

// Mailbox reads the bounce mailbox over POP3.
type Mailbox struct {
	POP3     POP3Config
	Recorder *Recorder
	// MaxMessages bounds one poll (500); the rest wait for the next.
	MaxMessages int
	Logger      *slog.Logger
}

// PollResult counts what one poll did.
type PollResult struct {
	Messages int // in the mailbox
	Reports  int // recognised and recorded (or recorded before)
	Events   int // subscriber events stored
	Deleted  int
	Ignored  int // not reports: left in the mailbox, and not read again
	TooLarge int // over POP3Config.MaxMessageBytes: left in the mailbox
}

// mailboxSource names receipts of mailbox messages; ignoredSource those
// of messages left alone because they are not reports.
const (
	mailboxSource = "mailbox"
	ignoredSource = "mailbox-ignored"
)

// Poll reads every message (up to MaxMessages), records the reports among
// them, and deletes each one only after it was recorded. A message that
// is not a report stays, and its UIDL is remembered so it is not fetched
// again. Deletions take effect when the session ends normally (POP3's
// QUIT); if it does not, the next poll finds the messages again and their
// receipts make them replays, deleted then.
func (m *Mailbox) Poll(ctx context.Context) (PollResult, error) {
	var res PollResult
	log := m.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := dialPOP3(ctx, m.POP3)
	if err != nil {
		return res, fmt.Errorf("bounce mailbox: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = c.close()
		}
	}()
	msgs, err := c.list()
	if err != nil {
		return res, fmt.Errorf("bounce mailbox: %w", err)
	}
	res.Messages = len(msgs)
	limit := m.MaxMessages
	if limit <= 0 {
		limit = 500
	}
	for i, msg := range msgs {
		if i >= limit {
			break
		}
		if msg.Size > c.max {
			res.TooLarge++
			log.Warn("bounce mailbox: message too large, left in the mailbox", "number", msg.Num, "bytes", msg.Size)
			continue
		}
		if msg.UID != "" {
			seen, err := m.Recorder.Seen(ctx, ignoredSource, msg.UID)
			if err != nil {
				return res, err
			}
			if seen {
				res.Ignored++
				continue
			}
		}
		raw, err := c.retr(msg.Num)
		if err != nil {
			return res, fmt.Errorf("bounce mailbox: %w", err)
		}
		deleteIt, n, err := m.handle(ctx, msg, raw, log)
		if err != nil {
			// Not recorded: it stays, and the next poll tries again.
			return res, err
		}
		res.Events += n
		if !deleteIt {
			res.Ignored++
			continue
		}
		res.Reports++
		if err := c.dele(msg.Num); err != nil {
			return res, fmt.Errorf("bounce mailbox: %w", err)
		}
		res.Deleted++
	}
	done = true
	if err := c.quit(); err != nil {
		return res, fmt.Errorf("bounce mailbox: %w", err)
	}
	return res, nil
}

// handle records one message and says whether it may be deleted.
func (m *Mailbox) handle(ctx context.Context, msg popMessage, raw []byte, log *slog.Logger) (bool, int, error) {
	rep, err := ParseReport(raw)
	if err != nil || rep.Kind == "" {
		if msg.UID != "" {
			if _, err := m.Recorder.Store.RecordEvents(ctx, digest.Receipt{Source: ignoredSource, ID: msg.UID}, nil, m.Recorder.Policy); err != nil && !errors.Is(err, digest.ErrConflict) {
				return false, 0, fmt.Errorf("remember ignored message: %w", err)
			}
		}
		log.Info("bounce mailbox: not a bounce, complaint or unsubscribe request; left in the mailbox", "number", msg.Num)
		return false, 0, nil
	}
	// The ledger knows whom a digest went to: its Message-ID outranks the
	// addresses a report names (a forwarded mailbox reports the final one).
	for i, ev := range rep.Events {
		if ev.MessageID == "" {
			continue
		}
		if d, err := m.Recorder.Store.DeliveryByMessageID(ctx, ev.MessageID); err == nil {
			rep.Events[i].Email = d.Email
		} else if !errors.Is(err, digest.ErrNotFound) {
			return false, 0, fmt.Errorf("match report by message id: %w", err)
		}
	}
	for i := range rep.Events {
		rep.Events[i].Source = mailboxSource
	}
	sum := sha256.Sum256(raw)
	r, err := m.Recorder.Record(ctx, digest.Receipt{Source: mailboxSource, ID: rep.Kind + ":" + hex.EncodeToString(sum[:16])}, rep.Events)
	if errors.Is(err, ErrReplayed) {
		return true, 0, nil // recorded by an earlier poll whose deletion did not take
	}
	if err != nil {
		return false, 0, fmt.Errorf("record %s report: %w", rep.Kind, err)
	}
	log.Info("bounce mailbox: report recorded", "kind", rep.Kind, "events", r.Applied, "unknown_addresses", r.Unknown)
	return true, r.Applied, nil
}
