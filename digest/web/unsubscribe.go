package web

import (
	"errors"
	"net/http"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

// handleUnsubscribePage shows a confirmation button. It changes nothing:
// mail scanners open links with GET, and must not unsubscribe anyone.
func (s *Server) handleUnsubscribePage(w http.ResponseWriter, r *http.Request) {
	c, sub, err := s.subscriberFor(r, token.PurposeUnsubscribe)
	if errors.Is(err, digest.ErrNotFound) {
		s.unsubscribed(w, r)
		return
	}
	if s.refused(w, r, token.PurposeUnsubscribe, c, err) {
		return
	}
	s.render(w, r, http.StatusOK, "unsubscribe", "Unsubscribe", struct {
		Email, Action, PreferencesURL string
	}{sub.Email, r.URL.RequestURI(), s.links.PreferencesURL(sub)})
}

// handleUnsubscribe unsubscribes at once: the page's button and RFC 8058
// one-click POSTs (body "List-Unsubscribe=One-Click") both land here. It
// answers 200 without a redirect, also when repeated, as RFC 8058 wants.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r) {
		return
	}
	c, sub, err := s.subscriberFor(r, token.PurposeUnsubscribe)
	if errors.Is(err, digest.ErrNotFound) {
		// A deleted subscriber gets nothing any more: the request is
		// already satisfied.
		s.unsubscribed(w, r)
		return
	}
	if s.refused(w, r, token.PurposeUnsubscribe, c, err) {
		return
	}
	if sub.Status != digest.StatusUnsubscribed {
		if err := s.cfg.Subscribers.SetSubscriberStatus(r.Context(), sub.ID, digest.StatusUnsubscribed); err != nil {
			if !errors.Is(err, digest.ErrNotFound) {
				s.serverError(w, r, "unsubscribe", err)
				return
			}
		}
		s.log.InfoContext(r.Context(), "unsubscribed", "subscriber_id", sub.ID,
			"from_status", string(sub.Status), "one_click", r.PostForm.Get("List-Unsubscribe") == "One-Click")
	}
	s.unsubscribed(w, r)
}

func (s *Server) unsubscribed(w http.ResponseWriter, r *http.Request) {
	var links []link
	if s.cfg.Mailer != nil {
		links = append(links, link{"/subscribe", "Changed your mind? Subscribe again"})
	}
	s.message(w, r, http.StatusOK, "You are unsubscribed",
		[]string{"You will not receive " + s.cfg.SiteName + " any more."}, links...)
}
