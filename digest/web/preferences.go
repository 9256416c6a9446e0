package web

import (
	"cmp"
	"net/http"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

// preferencesForm is what the preferences page shows.
type preferencesForm struct {
	prefsForm
	Email          string
	Action         string // the page's own URL, token included
	Status         digest.SubscriberStatus
	Notice         string
	UnsubscribeURL string
}

func (s *Server) preferencesForm(r *http.Request, sub digest.Subscriber) preferencesForm {
	f := preferencesForm{
		prefsForm: prefsForm{
			AllTopics:   s.cfg.Topics,
			Chosen:      make(map[string]bool, len(sub.Topics)),
			SendTime:    sub.SendTime,
			TimeZone:    sub.TimeZone,
			Frequency:   string(cmp.Or(sub.Frequency, digest.FrequencyDaily)),
			Frequencies: frequencyChoices(),
		},
		Email:          sub.Email,
		Action:         r.URL.RequestURI(),
		Status:         sub.Status,
		UnsubscribeURL: s.links.UnsubscribeURL(sub),
	}
	for _, t := range sub.Topics {
		f.Chosen[t] = true
	}
	f.SendTime = cmp.Or(f.SendTime, s.cfg.DefaultSendTime)
	f.TimeZone = cmp.Or(f.TimeZone, digest.DefaultTimeZone)
	switch sub.Status {
	case digest.StatusUnsubscribed:
		f.Notice = "You are unsubscribed. Choose “Send me the digest” and save to subscribe again."
	case digest.StatusPending:
		f.Notice = "Your subscription is not confirmed yet: open the link in the confirmation email."
	case digest.StatusBounced:
		f.Notice = "Mail to this address has been bouncing, so sending is stopped."
	}
	return f
}

func (s *Server) handlePreferencesPage(w http.ResponseWriter, r *http.Request) {
	c, sub, err := s.subscriberFor(r, token.PurposePreferences)
	if s.refused(w, r, "preferences", c, err) {
		return
	}
	s.render(w, r, http.StatusOK, "preferences", "Preferences", s.preferencesForm(r, sub))
}

// handlePreferences saves the form. Topics, send time and time zone are
// validated as on sign-up, the frequency against its list (absent keeps
// the reader's); the delivery choice moves an active, paused or
// unsubscribed reader between active and paused, and leaves pending and
// bounced readers as they are (those need a confirmation, not a form).
func (s *Server) handlePreferences(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r) {
		return
	}
	c, sub, err := s.subscriberFor(r, token.PurposePreferences)
	if s.refused(w, r, "preferences", c, err) {
		return
	}
	in := s.readPrefs(r.PostForm)
	status := sub.Status
	switch want := digest.SubscriberStatus(r.PostForm.Get("status")); want {
	case digest.StatusActive, digest.StatusPaused:
		if sub.Status == digest.StatusActive || sub.Status == digest.StatusPaused || sub.Status == digest.StatusUnsubscribed {
			status = want
		}
	case "":
	default:
		in.fail("status", "Choose whether to receive the digest.")
	}
	if in.Frequency == "" {
		in.Frequency = string(cmp.Or(sub.Frequency, digest.FrequencyDaily))
	}
	in.Frequencies = frequencyChoices()
	f := s.preferencesForm(r, sub)
	f.prefsForm = in
	if len(in.Errors) > 0 {
		f.Status = status
		s.render(w, r, http.StatusBadRequest, "preferences", "Preferences", f)
		return
	}
	sub.Topics, sub.SendTime, sub.TimeZone, sub.Status = in.topics(), in.SendTime, in.TimeZone, status
	sub.Frequency = digest.Frequency(in.Frequency)
	if err := s.cfg.Subscribers.UpdateSubscriber(r.Context(), sub); err != nil {
		s.serverError(w, r, "update preferences", err)
		return
	}
	s.log.InfoContext(r.Context(), "preferences saved", "subscriber_id", sub.ID, "status", string(status))
	f = s.preferencesForm(r, sub)
	f.Notice = "Your preferences are saved."
	if status == digest.StatusPaused {
		f.Notice = "Your preferences are saved. The digest is paused until you resume it here."
	}
	s.render(w, r, http.StatusOK, "preferences", "Preferences", f)
}
