package api

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/roster"
)

// Paging bounds of the subscriber listing.
const (
	defaultPage = 100
	maxPage     = 1000
	// eventsShown is how many of the newest events GET subscriber includes.
	eventsShown = 100
)

// Subscriber is a subscriber as the API shows it.
type Subscriber struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	TimeZone  string    `json:"timezone"`
	SendTime  string    `json:"send_time"`
	Frequency string    `json:"frequency"` // daily, weekdays or weekly:<day>
	Topics    []string  `json:"topics"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Events are the newest entries of the event log (GET one subscriber).
	Events []Event `json:"events,omitempty"`
}

// Event is one entry of a subscriber's event log.
type Event struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Source    string    `json:"source"`
	Detail    string    `json:"detail,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	Status    string    `json:"status"`
	At        time.Time `json:"at"`
}

func subscriberOut(s digest.Subscriber) Subscriber {
	topics := s.Topics
	if topics == nil {
		topics = []string{}
	}
	return Subscriber{ID: s.ID, Email: s.Email, Name: s.Name, Status: string(s.Status), TimeZone: s.TimeZone,
		SendTime: s.SendTime, Frequency: string(cmp.Or(s.Frequency, digest.FrequencyDaily)), Topics: topics, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func eventsOut(evs []digest.SubscriberEvent) []Event {
	out := make([]Event, 0, len(evs))
	for _, e := range evs {
		out = append(out, Event{ID: e.ID, Kind: string(e.Kind), Source: e.Source, Detail: e.Detail,
			MessageID: e.MessageID, Status: string(e.Status), At: e.At})
	}
	return out
}

// cursor encodes the last ID of a page; it is opaque to clients.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("s" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 2 || b[0] != 's' {
		return 0, errors.New("bad cursor")
	}
	id, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || id < 0 {
		return 0, errors.New("bad cursor")
	}
	return id, nil
}

func parseStatus(s string) (digest.SubscriberStatus, bool) {
	switch st := digest.SubscriberStatus(s); st {
	case digest.StatusActive, digest.StatusPending, digest.StatusPaused, digest.StatusUnsubscribed, digest.StatusBounced:
		return st, true
	}
	return "", false
}

const statusList = "active, pending, paused, unsubscribed, bounced"

func (a *API) listSubscribers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := digest.SubscriberFilter{Limit: defaultPage}
	if s := q.Get("status"); s != "" {
		st, ok := parseStatus(s)
		if !ok {
			return errorf(http.StatusBadRequest, "status", "unknown status %q (want one of %s)", s, statusList)
		}
		f.Status = st
	}
	if t := q.Get("topic"); t != "" {
		topics, err := a.canonicalTopics([]string{t})
		if err != nil {
			return errorf(http.StatusBadRequest, "topic", "%v", err)
		}
		f.Topic = topics[0]
	}
	limit, err := listLimit(r, defaultPage, maxPage)
	if err != nil {
		return err
	}
	f.Limit = limit
	if c := q.Get("cursor"); c != "" {
		id, err := decodeCursor(c)
		if err != nil {
			return errorf(http.StatusBadRequest, "cursor", "bad cursor: pass next_cursor from the previous page as it is")
		}
		f.AfterID = id
	}
	f.Limit++ // one more tells whether there is a next page
	subs, err := a.cfg.Store.ListSubscribers(r.Context(), f)
	if err != nil {
		return err
	}
	resp := struct {
		Subscribers []Subscriber `json:"subscribers"`
		NextCursor  string       `json:"next_cursor,omitempty"`
	}{Subscribers: make([]Subscriber, 0, min(len(subs), limit))}
	if len(subs) > limit {
		subs = subs[:limit]
		resp.NextCursor = encodeCursor(subs[len(subs)-1].ID)
	}
	for _, s := range subs {
		resp.Subscribers = append(resp.Subscribers, subscriberOut(s))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// canonicalTopics maps topics to their configured names, as the roster does.
func (a *API) canonicalTopics(in []string) ([]string, error) {
	s := digest.Subscriber{Email: "x@example.com", Topics: in}
	if err := roster.Normalise(&s, a.cfg.Roster); err != nil {
		var fe *roster.FieldError
		if errors.As(err, &fe) {
			return nil, fe.Err
		}
		return nil, err
	}
	if len(s.Topics) == 0 {
		return nil, errors.New("empty topic")
	}
	return s.Topics, nil
}

// findSubscriber reads the subscriber named by the {id} path value: a
// numeric id or an email address.
func (a *API) findSubscriber(r *http.Request) (digest.Subscriber, error) {
	ref := r.PathValue("id")
	var s digest.Subscriber
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		s, err = a.cfg.Store.Subscriber(r.Context(), id)
	} else {
		email, nerr := roster.NormaliseEmail(ref)
		if nerr != nil {
			return s, errorf(http.StatusNotFound, "", "no subscriber %q (want an id or an email address)", ref)
		}
		s, err = a.cfg.Store.SubscriberByEmail(r.Context(), email)
	}
	if errors.Is(err, digest.ErrNotFound) {
		return s, errorf(http.StatusNotFound, "", "no subscriber %s", ref)
	}
	return s, err
}

func (a *API) getSubscriber(w http.ResponseWriter, r *http.Request) error {
	s, err := a.findSubscriber(r)
	if err != nil {
		return err
	}
	evs, err := a.cfg.Store.SubscriberEvents(r.Context(), s.ID, eventsShown)
	if err != nil {
		return err
	}
	out := subscriberOut(s)
	out.Events = eventsOut(evs)
	if out.Events == nil {
		out.Events = []Event{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) subscriberEvents(w http.ResponseWriter, r *http.Request) error {
	s, err := a.findSubscriber(r)
	if err != nil {
		return err
	}
	limit, err := listLimit(r, 0, maxPage)
	if err != nil {
		return err
	}
	evs, err := a.cfg.Store.SubscriberEvents(r.Context(), s.ID, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": eventsOut(evs)})
	return nil
}

// subscriberIn is the body of create and update; nil means "not given".
type subscriberIn struct {
	Email    *string `json:"email"`
	Name     *string `json:"name"`
	TimeZone *string `json:"timezone"`
	SendTime *string `json:"send_time"`
	// Frequency is daily, weekdays or weekly:<day>; empty means daily.
	Frequency *string   `json:"frequency"`
	Topics    *[]string `json:"topics"`
	Status    *string   `json:"status"`
	Paused    *bool     `json:"paused"`
}

// fieldError turns a roster validation error into a 422 naming the field.
func fieldError(err error) error {
	var fe *roster.FieldError
	if errors.As(err, &fe) {
		return errorf(http.StatusUnprocessableEntity, fe.Field, "%v", fe.Err)
	}
	return errorf(http.StatusUnprocessableEntity, "", "%v", err)
}

func (a *API) createSubscriber(w http.ResponseWriter, r *http.Request) error {
	var in subscriberIn
	if err := a.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Email == nil {
		return errorf(http.StatusUnprocessableEntity, "email", "email is required")
	}
	s := digest.Subscriber{Email: *in.Email, Status: digest.StatusActive}
	apply(&s, in)
	switch {
	case in.Paused != nil && *in.Paused:
		s.Status = digest.StatusPaused
	case in.Status != nil:
		st, ok := parseStatus(*in.Status)
		if !ok || (st != digest.StatusActive && st != digest.StatusPaused) {
			return errorf(http.StatusUnprocessableEntity, "status", "a new subscriber is active or paused, not %q", *in.Status)
		}
		s.Status = st
	}
	if err := roster.Normalise(&s, a.cfg.Roster); err != nil {
		return fieldError(err)
	}
	got, err := a.cfg.Store.AddSubscriber(r.Context(), s)
	if errors.Is(err, digest.ErrConflict) {
		e := errorf(http.StatusConflict, "email", "subscriber %s already exists", s.Email)
		if old, ferr := a.cfg.Store.SubscriberByEmail(r.Context(), s.Email); ferr == nil && old.Status == digest.StatusUnsubscribed {
			e.Message += " and unsubscribed: only they can subscribe again, through the sign-up page"
		}
		return e
	}
	if err != nil {
		return err
	}
	a.logChange(r, got, "created")
	a.log.Info("subscriber created", "subscriber_id", got.ID)
	w.Header().Set("Location", fmt.Sprintf("/api/v1/subscribers/%d", got.ID))
	writeJSON(w, http.StatusCreated, subscriberOut(got))
	return nil
}

// apply copies the given fields of in onto s.
func apply(s *digest.Subscriber, in subscriberIn) {
	if in.Name != nil {
		s.Name = *in.Name
	}
	if in.TimeZone != nil {
		s.TimeZone = *in.TimeZone
	}
	if in.SendTime != nil {
		s.SendTime = *in.SendTime
	}
	if in.Frequency != nil {
		s.Frequency = digest.Frequency(*in.Frequency)
	}
	if in.Topics != nil {
		s.Topics = *in.Topics
	}
}

func (a *API) updateSubscriber(w http.ResponseWriter, r *http.Request) error {
	var in subscriberIn
	if err := a.decodeJSON(w, r, &in); err != nil {
		return err
	}
	cur, err := a.findSubscriber(r)
	if err != nil {
		return err
	}
	if in.Email != nil && !strings.EqualFold(strings.TrimSpace(*in.Email), cur.Email) {
		return errorf(http.StatusUnprocessableEntity, "email", "the address cannot be changed (it is the reader's identity in the ledger): create a new subscriber")
	}
	next := cur
	apply(&next, in)
	if next.Status, err = nextStatus(cur.Status, in); err != nil {
		return err
	}
	if err := roster.Normalise(&next, a.cfg.Roster); err != nil {
		return fieldError(err)
	}
	if err := a.cfg.Store.UpdateSubscriber(r.Context(), next); err != nil {
		return err
	}
	got, err := a.cfg.Store.Subscriber(r.Context(), cur.ID)
	if err != nil {
		return err
	}
	if change := describeChange(cur, got); change != "" {
		a.logChange(r, got, change)
		a.log.Info("subscriber updated", "subscriber_id", got.ID, "change", change)
	}
	writeJSON(w, http.StatusOK, subscriberOut(got))
	return nil
}

// nextStatus applies "paused" and "status" of an update. Nobody who
// unsubscribed is made active again by an operator: consent is theirs to
// give, through the sign-up page.
func nextStatus(cur digest.SubscriberStatus, in subscriberIn) (digest.SubscriberStatus, error) {
	next := cur
	if in.Status != nil {
		st, ok := parseStatus(*in.Status)
		if !ok || st == digest.StatusBounced || st == digest.StatusPending {
			return cur, errorf(http.StatusUnprocessableEntity, "status", "status can be set to active, paused or unsubscribed, not %q", *in.Status)
		}
		next = st
	}
	if in.Paused != nil {
		switch {
		case *in.Paused && (next == digest.StatusActive || next == digest.StatusPaused):
			next = digest.StatusPaused
		case !*in.Paused && (next == digest.StatusActive || next == digest.StatusPaused):
			next = digest.StatusActive
		default:
			return cur, errorf(http.StatusConflict, "paused", "subscriber is %s: only an active or paused subscriber can be paused or resumed", next)
		}
	}
	if cur == digest.StatusUnsubscribed && next != digest.StatusUnsubscribed {
		return cur, errorf(http.StatusConflict, "status", "subscriber unsubscribed: only they can subscribe again, through the sign-up page")
	}
	return next, nil
}

// describeChange says in a few words what an update changed.
func describeChange(a, b digest.Subscriber) string {
	var parts []string
	add := func(field, from, to string) {
		if from != to {
			parts = append(parts, fmt.Sprintf("%s %q → %q", field, from, to))
		}
	}
	add("status", string(a.Status), string(b.Status))
	add("name", a.Name, b.Name)
	add("timezone", a.TimeZone, b.TimeZone)
	add("send_time", a.SendTime, b.SendTime)
	add("frequency", string(a.Frequency), string(b.Frequency))
	add("topics", strings.Join(a.Topics, ";"), strings.Join(b.Topics, ";"))
	return strings.Join(parts, "; ")
}

// logChange appends an operator's change to the subscriber's event log; a
// failure costs only the log line.
func (a *API) logChange(r *http.Request, s digest.Subscriber, detail string) {
	_, err := a.cfg.Store.RecordEvents(r.Context(), digest.Receipt{}, []digest.SubscriberEvent{
		{SubscriberID: s.ID, Email: s.Email, Kind: digest.EventChange, Source: "api", Detail: detail}}, digest.EventPolicy{})
	if err != nil {
		a.log.Error("record subscriber change", "subscriber_id", s.ID, "error", err)
	}
}

func (a *API) deleteSubscriber(w http.ResponseWriter, r *http.Request) error {
	s, err := a.findSubscriber(r)
	if err != nil {
		return err
	}
	purge := false
	if p := r.URL.Query().Get("purge"); p != "" {
		if purge, err = strconv.ParseBool(p); err != nil {
			return errorf(http.StatusBadRequest, "purge", "purge must be true or false")
		}
	}
	if purge {
		if err := a.cfg.Store.DeleteSubscriber(r.Context(), s.ID); err != nil {
			return err
		}
		a.log.Info("subscriber deleted", "subscriber_id", s.ID)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if s.Status != digest.StatusUnsubscribed {
		s.Status = digest.StatusUnsubscribed
		if err := a.cfg.Store.UpdateSubscriber(r.Context(), s); err != nil {
			return err
		}
		a.logChange(r, s, "unsubscribed by an operator")
		a.log.Info("subscriber unsubscribed", "subscriber_id", s.ID)
	}
	got, err := a.cfg.Store.Subscriber(r.Context(), s.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, subscriberOut(got))
	return nil
}

// importSubscribers reads a CSV body with the CLI's rules: a header row,
// email required; all rows or none (unless skip_invalid); never
// resubscribes anyone.
func (a *API) importSubscribers(w http.ResponseWriter, r *http.Request) error {
	skip := false
	if p := r.URL.Query().Get("skip_invalid"); p != "" {
		var err error
		if skip, err = strconv.ParseBool(p); err != nil {
			return errorf(http.StatusBadRequest, "skip_invalid", "skip_invalid must be true or false")
		}
	}
	// A large list on a slow link may need longer than the server's
	// default deadlines; the body limit still bounds it.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(5 * time.Minute))
	_ = rc.SetWriteDeadline(time.Now().Add(6 * time.Minute))
	body := http.MaxBytesReader(w, r.Body, a.cfg.MaxImportBytes)
	subs, bad, err := roster.ParseCSV(body, a.cfg.Roster)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		e := errorf(http.StatusBadRequest, "", "%v; nothing imported", err)
		if strings.HasPrefix(err.Error(), "line 1:") || strings.Contains(err.Error(), "header") {
			e.Line = 1
		}
		return e
	}
	lines := make([]LineError, 0, len(bad))
	for _, b := range bad {
		le := LineError{Line: b.Line, Error: b.Err.Error()}
		var fe *roster.FieldError
		if errors.As(b.Err, &fe) {
			le.Field, le.Error = fe.Field, fe.Err.Error()
		}
		lines = append(lines, le)
	}
	if len(bad) > 0 && !skip {
		return &Error{Status: http.StatusUnprocessableEntity, Line: lines[0].Line, Field: lines[0].Field, Errors: lines,
			Message: fmt.Sprintf("%d bad rows; nothing imported (fix them, or pass skip_invalid=true to import the %d good ones)", len(bad), len(subs))}
	}
	ins, upd, err := a.cfg.Store.UpsertSubscribers(r.Context(), subs)
	if err != nil {
		return err
	}
	a.log.Info("subscribers imported", "added", ins, "updated", upd, "skipped", len(bad))
	writeJSON(w, http.StatusOK, map[string]any{"added": ins, "updated": upd, "skipped": len(bad), "errors": lines})
	return nil
}
