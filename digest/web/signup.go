package web

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/roster"
	"github.com/tradedigest/tradedigest/digest/token"
)

// signupForm is what the sign-up page shows.
type signupForm struct {
	prefsForm
	Email string
}

func (s *Server) handleSubscribePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "subscribe", "Subscribe", signupForm{prefsForm: prefsForm{
		AllTopics: s.cfg.Topics,
		Chosen:    map[string]bool{},
		SendTime:  s.cfg.DefaultSendTime,
		TimeZone:  digest.DefaultTimeZone,
		Autofill:  true,
	}})
}

// handleSubscribe starts a double opt-in. Whatever the address's state, the
// reader sees the same "check your inbox" page and receives one mail: a
// confirmation link for a new, pending or unsubscribed address, a note with
// the preferences link for one already receiving the digest. So the form
// never tells a stranger who is subscribed.
//
// Cross-site posts are refused by http.CrossOriginProtection (mounted in
// routes) rather than by a form token: the form has no session to protect
// and no cookie to bind a token to, and Sec-Fetch-Site/Origin checks stop a
// hostile page from signing visitors up with no state to keep.
func (s *Server) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r) {
		return
	}
	// Counted before validation, so probing with bad input is limited too.
	if ok, wait := s.limiter.allow(clientKey(r, s.cfg.TrustedProxies), s.now()); !ok {
		minutes := int(math.Ceil(wait.Minutes()))
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		s.message(w, r, http.StatusTooManyRequests, "Too many sign-ups",
			[]string{fmt.Sprintf("Too many sign-ups came from your network. Please try again in %d minute(s).", minutes)})
		return
	}
	f := signupForm{prefsForm: s.readPrefs(r.PostForm)}
	// The roster's rule, so that a sign-up and a CSV import of the same
	// address find the same subscriber.
	f.Email = r.PostForm.Get("email")
	email, err := roster.NormaliseEmail(f.Email)
	if err != nil {
		f.fail("email", "Enter an email address such as name@example.com.")
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "subscribe", "Subscribe", f)
		return
	}

	sub, kind, err := s.signup(r, digest.Subscriber{
		Email:    email,
		Topics:   f.topics(),
		TimeZone: f.TimeZone,
		SendTime: f.SendTime,
		Status:   digest.StatusPending,
	})
	if err != nil {
		s.serverError(w, r, "sign up", err)
		return
	}
	// However many requests ask, from however many networks, one address
	// gets at most SignupMails mails per window: the form cannot be used
	// to flood someone's inbox. The answer is the same either way, so it
	// tells a stranger nothing about the address.
	take, err := s.cfg.Subscribers.TakeSignupMail(r.Context(), sub.ID, s.cfg.SignupMails, s.cfg.SignupMailWindow)
	if err != nil {
		s.serverError(w, r, "count sign-up mails", err)
		return
	}
	if !take {
		s.log.WarnContext(r.Context(), "sign-up mail not sent: the address had its share", "subscriber_id", sub.ID,
			"kind", kind, "limit", s.cfg.SignupMails, "window", s.cfg.SignupMailWindow.String())
	} else if err := s.sendSignupMail(r.Context(), kind, sub); err != nil {
		s.log.ErrorContext(r.Context(), "send sign-up mail", "subscriber_id", sub.ID, "kind", kind, "error", err)
		s.message(w, r, http.StatusServiceUnavailable, "We could not send the email",
			[]string{"Your sign-up is saved, but the confirmation email could not be sent just now. Please try again in a few minutes."},
			link{"/subscribe", "Try again"})
		return
	} else {
		s.log.InfoContext(r.Context(), "sign-up mail sent", "subscriber_id", sub.ID, "kind", kind)
	}
	s.message(w, r, http.StatusOK, "Check your inbox",
		[]string{
			"We have sent an email to " + email + ". Open the link in it to confirm your subscription.",
			fmt.Sprintf("The link is valid for %d hours. If nothing arrives, check your spam folder.", int(token.ConfirmTTL.Hours())),
			fmt.Sprintf("To protect inboxes, one address gets at most %d such emails %s; if you have asked more often, use the link in an earlier one.",
				s.cfg.SignupMails, windowText(s.cfg.SignupMailWindow)),
		})
}

// windowText says a window for a sentence: "a day", "per 6 hours".
func windowText(d time.Duration) string {
	switch {
	case d == 24*time.Hour:
		return "a day"
	case d%time.Hour == 0:
		return fmt.Sprintf("per %d hours", int(d.Hours()))
	}
	return "per " + d.String()
}

// signup stores want as a pending subscriber, or finds the existing one,
// and says which mail to send. An existing pending subscriber takes the new
// choices (nobody receives anything before confirming); any other existing
// subscriber is left as it is, since the form proves nothing about who
// submitted it.
func (s *Server) signup(r *http.Request, want digest.Subscriber) (digest.Subscriber, string, error) {
	ctx := r.Context()
	sub, err := s.cfg.Subscribers.SubscriberByEmail(ctx, want.Email)
	if errors.Is(err, digest.ErrNotFound) {
		sub, err = s.cfg.Subscribers.AddSubscriber(ctx, want)
		if err == nil {
			s.log.InfoContext(ctx, "subscriber signed up", "subscriber_id", sub.ID)
			return sub, "confirm", nil
		}
		if !errors.Is(err, digest.ErrConflict) {
			return digest.Subscriber{}, "", fmt.Errorf("add subscriber: %w", err)
		}
		// Lost a race with another sign-up of the same address.
		sub, err = s.cfg.Subscribers.SubscriberByEmail(ctx, want.Email)
	}
	if err != nil {
		return digest.Subscriber{}, "", fmt.Errorf("find subscriber: %w", err)
	}
	switch sub.Status {
	case digest.StatusActive, digest.StatusPaused:
		return sub, "already", nil
	case digest.StatusPending:
		sub.Topics, sub.TimeZone, sub.SendTime = want.Topics, want.TimeZone, want.SendTime
		if err := s.cfg.Subscribers.UpdateSubscriber(ctx, sub); err != nil {
			return digest.Subscriber{}, "", fmt.Errorf("update pending subscriber: %w", err)
		}
	}
	return sub, "confirm", nil
}

// handleConfirmPage shows the confirmation button. It changes nothing:
// mail security scanners open every link in a message with GET, and must
// not complete a double opt-in that the reader never asked for.
func (s *Server) handleConfirmPage(w http.ResponseWriter, r *http.Request) {
	c, sub, err := s.subscriberFor(r, token.PurposeConfirm)
	if s.refused(w, r, "confirmation", c, err) {
		return
	}
	switch {
	case sub.Status == digest.StatusActive || sub.Status == digest.StatusPaused:
		s.subscribed(w, r, sub)
		return
	case stale(c, sub):
		s.badLink(w, r, "confirmation")
		return
	}
	s.render(w, r, http.StatusOK, "confirm", "Confirm your subscription", struct {
		Email, Action, Schedule string
	}{sub.Email, r.URL.RequestURI(), strings.TrimPrefix(schedule(sub), " ")})
}

// handleConfirm activates the subscriber named by a confirmation link: the
// page's button posts here, behind the same cross-origin protection as the
// other forms. It is idempotent: a second post says the subscription is
// active.
func (s *Server) handleConfirm(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r) {
		return
	}
	c, sub, err := s.subscriberFor(r, token.PurposeConfirm)
	if s.refused(w, r, "confirmation", c, err) {
		return
	}
	switch sub.Status {
	case digest.StatusPending:
		err = s.activate(r, sub)
	case digest.StatusUnsubscribed, digest.StatusBounced:
		if stale(c, sub) {
			s.badLink(w, r, "confirmation")
			return
		}
		err = s.activate(r, sub)
	}
	if err != nil {
		s.serverError(w, r, "confirm subscriber", err)
		return
	}
	s.subscribed(w, r, sub)
}

// stale reports a confirmation link made before the subscriber last left
// (unsubscribed or bounced): an old mail's link must not undo that; a
// fresh sign-up's link may.
func stale(c token.Claims, sub digest.Subscriber) bool {
	if sub.Status != digest.StatusUnsubscribed && sub.Status != digest.StatusBounced {
		return false
	}
	issued := c.Expires.Add(-token.ConfirmTTL)
	return !sub.UpdatedAt.IsZero() && sub.UpdatedAt.After(issued)
}

// subscribed answers a confirmation that holds.
func (s *Server) subscribed(w http.ResponseWriter, r *http.Request, sub digest.Subscriber) {
	s.message(w, r, http.StatusOK, "You are subscribed",
		[]string{"Thank you. " + s.cfg.SiteName + " will arrive every day" + schedule(sub) + "."},
		link{s.links.PreferencesURL(sub), "Change your preferences"})
}

func (s *Server) activate(r *http.Request, sub digest.Subscriber) error {
	if err := s.cfg.Subscribers.SetSubscriberStatus(r.Context(), sub.ID, digest.StatusActive); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "subscriber confirmed", "subscriber_id", sub.ID, "from_status", string(sub.Status))
	return nil
}

// schedule describes when sub receives the digest, for a sentence.
func schedule(sub digest.Subscriber) string {
	if sub.SendTime == "" {
		return ""
	}
	return " at " + sub.SendTime + " (" + cmp.Or(sub.TimeZone, digest.DefaultTimeZone) + ")"
}
