package web

import (
	"net/url"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

// Links builds the absolute personal and public links of the web pages. It
// implements digest.Links, so cmd can give it to the engine without starting
// a server. The zero BaseURL makes every link empty.
type Links struct {
	BaseURL string // no trailing slash, e.g. "https://digest.example.com"
	Signer  *token.Signer
}

var _ digest.Links = Links{}

// UnsubscribeURL returns the one-click unsubscribe URL for sub; it never
// expires, so the link in an old digest keeps working.
func (l Links) UnsubscribeURL(sub digest.Subscriber) string {
	return l.tokenURL("/unsubscribe", token.PurposeUnsubscribe, sub, time.Time{})
}

// PreferencesURL returns the link to sub's preferences page.
func (l Links) PreferencesURL(sub digest.Subscriber) string {
	return l.tokenURL("/preferences", token.PurposePreferences, sub, time.Time{})
}

// ConfirmURL returns the sign-up confirmation link for sub, valid for
// token.ConfirmTTL from now.
func (l Links) ConfirmURL(sub digest.Subscriber, now time.Time) string {
	return l.tokenURL("/confirm", token.PurposeConfirm, sub, now.Add(token.ConfirmTTL))
}

// ArchiveURL returns the public page of the edition of date (YYYY-MM-DD).
func (l Links) ArchiveURL(date string) string {
	if l.BaseURL == "" {
		return ""
	}
	return l.BaseURL + "/archive/" + url.PathEscape(date)
}

func (l Links) tokenURL(path, purpose string, sub digest.Subscriber, expires time.Time) string {
	if l.BaseURL == "" || l.Signer == nil {
		return ""
	}
	tok := l.Signer.Sign(purpose, sub.ID, sub.Email, expires)
	return l.BaseURL + path + "?t=" + tok
}
