package digest

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules in this file are what every store applies before a write, so
// that the SQL stores and the in-memory one used by the engine's tests keep
// the same data alike (the store contract suite runs on all three).

// StorableText makes untrusted text storable in every store alike:
// Postgres refuses NUL bytes and invalid UTF-8 in TEXT (and would fail a
// whole batch), SQLite takes them. NULs are dropped and invalid bytes
// become U+FFFD.
func StorableText(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// ForStorage returns a as a store keeps it: its content hash filled in when
// it has text, a missing publication date taken from the fetch time (or now,
// when that is missing too), and its text fields made storable.
func (a Article) ForStorage(now time.Time) Article {
	if a.ContentHash == "" && a.Text != "" {
		a.ContentHash = ContentHash(a.Text)
	}
	if a.Published.IsZero() {
		a.Published = a.FetchedAt
		if a.Published.IsZero() {
			a.Published = now
		}
	}
	a.SourceID, a.SourceName, a.GUID, a.URL = StorableText(a.SourceID), StorableText(a.SourceName), StorableText(a.GUID), StorableText(a.URL)
	a.Title, a.Text, a.Language = StorableText(a.Title), StorableText(a.Text), StorableText(a.Language)
	return a
}

// CheckStatus returns an error naming status unless it is one of
// SubscriberStatuses.
func CheckStatus(status SubscriberStatus) error {
	if !status.Valid() {
		return fmt.Errorf("unknown status %q", status)
	}
	return nil
}

// PrepareSubscriber validates what a store relies on and makes s storable:
// an email, a known frequency and status (an empty status is active), and a
// name without NULs (an imported list may carry them). An empty frequency
// stays empty: an import without frequencies keeps the stored ones, and a
// new row is daily. The email is kept as given: normalising it is the
// caller's job (roster.Normalise).
func PrepareSubscriber(s *Subscriber) error {
	if strings.TrimSpace(s.Email) == "" {
		return errors.New("empty email")
	}
	s.Name = StorableText(s.Name)
	if s.Frequency != "" {
		freq, err := ParseFrequency(string(s.Frequency))
		if err != nil {
			return err
		}
		s.Frequency = freq
	}
	if s.Status == "" {
		s.Status = StatusActive
	}
	return CheckStatus(s.Status)
}
