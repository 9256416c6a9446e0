package web

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// prefsForm is the part of the sign-up and preferences forms that sets what
// a reader gets and when; it is also what the "prefs" template shows.
type prefsForm struct {
	AllTopics []string        // offered topics, in configured order
	Chosen    map[string]bool // ticked topics
	SendTime  string
	TimeZone  string
	Autofill  bool // let the script replace TimeZone with the browser's zone
	Errors    map[string]string
}

// topics returns the ticked topics in configured order; empty means all.
func (f prefsForm) topics() []string {
	var out []string
	for _, t := range f.AllTopics {
		if f.Chosen[t] {
			out = append(out, t)
		}
	}
	return out
}

func (f *prefsForm) fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = make(map[string]string)
	}
	f.Errors[field] = msg
}

// readPrefs fills f from a submitted form and records what is wrong with it.
func (s *Server) readPrefs(form url.Values) prefsForm {
	f := prefsForm{AllTopics: s.cfg.Topics, Chosen: make(map[string]bool)}
	for _, t := range form["topic"] {
		if !slices.Contains(s.cfg.Topics, t) {
			f.fail("topics", "Choose topics from the list.")
			continue
		}
		f.Chosen[t] = true
	}
	f.SendTime = strings.TrimSpace(form.Get("send_time"))
	if !validSendTime(f.SendTime) {
		f.fail("send_time", "Enter the send time as HH:MM, for example 07:30.")
	}
	f.TimeZone = strings.TrimSpace(form.Get("timezone"))
	if !validTimeZone(f.TimeZone) {
		f.fail("timezone", "Enter a time zone name such as Europe/Berlin, or UTC.")
	}
	return f
}

// validSendTime reports whether v is a 24-hour "HH:MM".
func validSendTime(v string) bool {
	if len(v) != 5 || v[2] != ':' {
		return false
	}
	_, err := time.Parse("15:04", v)
	return err == nil
}

// validTimeZone reports whether v names an IANA time zone. "Local" is
// refused: it means the server's zone, not the reader's.
func validTimeZone(v string) bool {
	if v == "" || v == "Local" || len(v) > 64 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+-", r)) {
			return false
		}
	}
	_, err := time.LoadLocation(v)
	return err == nil
}
