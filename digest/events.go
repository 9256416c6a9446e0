package digest

import (
	"strings"
	"time"
)

// EventKind names something that happened to a subscriber's address after
// a digest left: a bounce or a complaint reported by the relay, an
// unsubscribe request by mail, or a change made by an operator.
type EventKind string

// Subscriber event kinds.
const (
	// EventHardBounce: the address does not exist or refuses mail for good;
	// the subscriber is marked bounced at once.
	EventHardBounce EventKind = "hard_bounce"
	// EventSoftBounce: a temporary refusal the relay gave up on (mailbox
	// full, greylisting that never cleared); enough of them within
	// EventPolicy.SoftWindow mark the subscriber bounced.
	EventSoftBounce EventKind = "soft_bounce"
	// EventComplaint: the reader marked a digest as spam; the subscriber is
	// unsubscribed at once (Gmail's and Yahoo's bulk-sender rules).
	EventComplaint EventKind = "complaint"
	// EventUnsubscribe: the reader asked to leave by mail (the mailto: of
	// List-Unsubscribe) or through the relay's own unsubscribe link.
	EventUnsubscribe EventKind = "unsubscribe"
	// EventChange: an operator created or changed the subscriber (admin API).
	EventChange EventKind = "change"
	// EventSignupMail: the sign-up form sent the address a mail (a
	// confirmation link, or a note that it is already subscribed); counted
	// to bound how many mails a stranger can make one address receive.
	EventSignupMail EventKind = "signup_mail"
)

// SubscriberEvent is one entry of a subscriber's event log.
type SubscriberEvent struct {
	ID           int64
	SubscriberID int64 // 0 when no subscriber has the address (not stored)
	Email        string
	Kind         EventKind
	// Source names where the event came from: "ses", "sendgrid", "mailgun",
	// "postmark", "mailbox" or "api".
	Source string
	// Detail is the reason as the reporter gave it (an SMTP status and
	// diagnostic, a complaint type, the field an operator changed).
	Detail string
	// MessageID is the digest's Message-ID when the report names it; soft
	// bounces of one message count once.
	MessageID string
	// Status is the subscriber's status after the event.
	Status SubscriberStatus
	At     time.Time
}

// Receipt identifies one delivery of a report (a webhook request, a
// mailbox message), so that a replayed copy changes nothing.
type Receipt struct {
	Source string // "ses", "sendgrid", ..., "mailbox"
	ID     string // the provider's unique id of the request or message
	At     time.Time
}

// EventPolicy decides how events change a subscriber's status.
type EventPolicy struct {
	// BounceAfter soft bounces of distinct messages within SoftWindow mark a
	// subscriber bounced (edition.bounce_after); 0 never does.
	BounceAfter int
	// SoftWindow is how far back soft bounces count (30 days when zero).
	SoftWindow time.Duration
}

// Window returns SoftWindow, or its default.
func (p EventPolicy) Window() time.Duration {
	if p.SoftWindow > 0 {
		return p.SoftWindow
	}
	return 30 * 24 * time.Hour
}

// Next returns the status a subscriber in status cur moves to after an event
// of kind; softBounces counts their soft bounces within the window, this
// one included. Nobody is ever moved back to active by a report: an
// unsubscribed reader stays unsubscribed whatever arrives later.
func (p EventPolicy) Next(cur SubscriberStatus, kind EventKind, softBounces int) SubscriberStatus {
	live := cur == StatusActive || cur == StatusPaused || cur == StatusPending
	switch kind {
	case EventHardBounce:
		if live {
			return StatusBounced
		}
	case EventSoftBounce:
		if live && p.BounceAfter > 0 && softBounces >= p.BounceAfter {
			return StatusBounced
		}
	case EventComplaint, EventUnsubscribe:
		if cur != StatusUnsubscribed {
			return StatusUnsubscribed
		}
	}
	return cur
}

// BaseMessageID returns the ledger's Message-ID of a digest whose id may
// carry a forced resend's generation suffix (".r2"), and without angle
// brackets.
func BaseMessageID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	local, domain, ok := strings.Cut(id, "@")
	if !ok {
		return id
	}
	if i := strings.LastIndex(local, ".r"); i > 0 && strings.HasPrefix(local, "digest.") {
		gen := local[i+2:]
		if gen != "" && strings.Trim(gen, "0123456789") == "" {
			local = local[:i]
		}
	}
	return local + "@" + domain
}

// SubscriberFilter selects subscribers for a page of a listing.
type SubscriberFilter struct {
	Status  SubscriberStatus // any when empty
	Topic   string           // only those who chose this topic (canonical name); any when empty
	AfterID int64            // keyset paging: IDs greater than this
	Limit   int              // at most this many; all when <= 0
}
