package web

import (
	"errors"
	"net/http"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

// errStale is returned by subscriberFor when a valid token names a
// subscriber whose email has changed since the token was made.
var errStale = errors.New("token email does not match the subscriber")

// subscriberFor verifies the token in the request's "t" query parameter for
// purpose and returns its claims and the subscriber it names. Errors:
// token.ErrInvalid, errStale, digest.ErrNotFound, or a store failure.
// The token is read from the URL only, never logged.
func (s *Server) subscriberFor(r *http.Request, purpose string) (token.Claims, digest.Subscriber, error) {
	c, err := s.cfg.Signer.Verify(r.URL.Query().Get("t"), purpose, s.now())
	if err != nil {
		return token.Claims{}, digest.Subscriber{}, err
	}
	sub, err := s.cfg.Subscribers.Subscriber(r.Context(), c.SubscriberID)
	if err != nil {
		return c, digest.Subscriber{}, err
	}
	// The token binds the address it was sent to: one made for a previous
	// address of this subscriber (or for an id since reused) is refused.
	if sub.Email != c.Email {
		return c, digest.Subscriber{}, errStale
	}
	return c, sub, nil
}

// refused answers the errors of subscriberFor that are the client's fault
// with 400 and logs the rest; it returns false when err is nil.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, what string, c token.Claims, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, token.ErrInvalid):
		s.log.InfoContext(r.Context(), "refused token", "purpose", what, "reason", err)
		s.badLink(w, r, what)
	case errors.Is(err, errStale), errors.Is(err, digest.ErrNotFound):
		s.log.InfoContext(r.Context(), "refused token", "purpose", what, "subscriber_id", c.SubscriberID, "reason", err)
		s.badLink(w, r, what)
	default:
		s.serverError(w, r, "load subscriber", err)
	}
	return true
}
