package web

import (
	"net/url"

	"github.com/tradedigest/tradedigest/digest"
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
	// Frequency is the chosen frequency (daily, weekdays, weekly:<day>);
	// Frequencies, when set, are the choices the form offers (the
	// preferences page; sign-up makes daily readers).
	Frequency   string
	Frequencies []frequencyChoice
	Autofill    bool // let the script replace TimeZone with the browser's zone
	Errors      map[string]string
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
	if v := form.Get("frequency"); v != "" {
		freq, err := digest.ParseFrequency(v)
		if err != nil || len(v) > 20 {
			f.fail("frequency", "Choose how often the digest should arrive from the list.")
		} else {
			f.Frequency = string(freq)
		}
	}
	return f
}

// frequencyChoice is one option of the frequency list.
type frequencyChoice struct {
	Value, Label string
}

// frequencyChoices are the options of the preferences page, in the order
// people look for them.
func frequencyChoices() []frequencyChoice {
	out := []frequencyChoice{
		{string(digest.FrequencyDaily), "Every day"},
		{string(digest.FrequencyWeekdays), "Weekdays (Monday to Friday)"},
	}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		out = append(out, frequencyChoice{string(digest.Weekly(d)), "Once a week, on " + d.String() + ": the week's most important stories"})
	}
	return out
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
