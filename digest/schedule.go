package digest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSendTime parses a local "HH:MM" send time.
func ParseSendTime(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, 0, fmt.Errorf("send time %q: want HH:MM", s)
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("send time %q: want HH:MM between 00:00 and 23:59", s)
	}
	return hour, minute, nil
}

// LocalDate returns the date of t in loc as YYYY-MM-DD.
func LocalDate(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.DateOnly)
}

// SendAt returns the instant of the subscriber's send time on the local date
// of now. On a day when the clock skips the send time (a DST gap), Go's
// time.Date normalises it forward, so the digest goes out just after the gap
// instead of being skipped. On a day when the send time happens twice (the
// clocks fall back), the first occurrence is used; the ledger's one row per
// local date stops a second send.
func SendAt(sub Subscriber, now time.Time) (time.Time, error) {
	return SendAtIn(sub, now, sub.Location())
}

// SendAtIn is SendAt with the subscriber's time zone already loaded:
// loading it reads the zone file, which a planner going through a million
// subscribers in 40 zones does 40 times instead of a million.
func SendAtIn(sub Subscriber, now time.Time, loc *time.Location) (time.Time, error) {
	h, m, err := ParseSendTime(defaultString(sub.SendTime, "07:00"))
	if err != nil {
		return time.Time{}, err
	}
	local := now.In(loc)
	at := time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, loc)
	if l := at.In(loc); l.Hour() == h && l.Minute() == m {
		return at, nil
	}
	// The send time falls in a gap, and time.Date may resolve it to either
	// side (New York 02:30 became 01:30 EST, Chatham 02:50 became 03:50).
	// Use one rule: the first minute of that day whose wall clock reaches
	// the send time, which is the end of the gap.
	want := h*60 + m
	for t := at.Add(-3 * time.Hour).Truncate(time.Minute); t.Before(at.Add(3 * time.Hour)); t = t.Add(time.Minute) {
		if l := t.In(loc); l.YearDay() == local.YearDay() && l.Hour()*60+l.Minute() >= want {
			return t, nil
		}
	}
	return at, nil
}

// Due reports whether the subscriber's digest for their current local date is
// due at now, and that date.
func Due(sub Subscriber, now time.Time) (date string, due bool, err error) {
	return DueIn(sub, now, sub.Location())
}

// DueIn is Due with the subscriber's time zone already loaded (see SendAtIn).
func DueIn(sub Subscriber, now time.Time, loc *time.Location) (date string, due bool, err error) {
	at, err := SendAtIn(sub, now, loc)
	if err != nil {
		return "", false, err
	}
	return LocalDate(now, loc), !now.Before(at), nil
}

// WallClockReached returns the latest local wall clock ("HH:MM") that
// now's local date in loc has shown up to now: the clock now, or later
// when the clocks went back earlier that day. A subscriber whose digest is
// due at now has a send time not after it, so a store can sieve candidates
// by comparing normalised send times with it.
func WallClockReached(now time.Time, loc *time.Location) string {
	local := now.In(loc)
	mins := local.Hour()*60 + local.Minute()
	_, offNow := local.Zone()
	_, offStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc).Zone()
	if offStart > offNow {
		mins += (offStart - offNow) / 60
	}
	if mins >= 24*60 {
		return "24:00"
	}
	return fmt.Sprintf("%02d:%02d", mins/60, mins%60)
}

func defaultString(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
