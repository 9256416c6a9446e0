package digest

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultSendTime is the local send time of a subscriber who chose none.
const DefaultSendTime = "07:00"

// DefaultTimeZone is the time zone of a subscriber who chose none (and of
// an empty Subscriber.TimeZone, which Location reads as UTC).
const DefaultTimeZone = "UTC"

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
	h, m, err := ParseSendTime(cmp.Or(strings.TrimSpace(sub.SendTime), DefaultSendTime))
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

// Due reports whether the subscriber's edition of the period that contains
// now is due, and its ledger key (see EditionOn). It is a predicate over one
// subscriber row: due when the subscriber's frequency sends on their current
// local date and the local send time of that date has passed. A planner
// that selects candidates another way (a query) asks it of each row.
func Due(sub Subscriber, now time.Time) (key string, due bool, err error) {
	return DueIn(sub, now, sub.Location())
}

// DueIn is Due with the subscriber's time zone already loaded (see SendAtIn).
func DueIn(sub Subscriber, now time.Time, loc *time.Location) (key string, due bool, err error) {
	freq, err := ParseFrequency(string(sub.Frequency))
	if err != nil {
		return "", false, err
	}
	at, err := SendAtIn(sub, now, loc)
	if err != nil {
		return "", false, err
	}
	key, sends := freq.EditionOn(now.In(loc))
	return key, sends && !now.Before(at), nil
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

// Frequency is how often a subscriber gets an edition: FrequencyDaily,
// FrequencyWeekdays, or "weekly:<day>" (weekly:mon … weekly:sun). The empty
// string means daily.
type Frequency string

// Frequencies other than weekly.
const (
	FrequencyDaily    Frequency = "daily"
	FrequencyWeekdays Frequency = "weekdays"
)

// weekdayNames are the three-letter day names of weekly:<day>.
var weekdayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Weekly returns the frequency of a weekly edition sent on day.
func Weekly(day time.Weekday) Frequency {
	return Frequency("weekly:" + weekdayNames[day])
}

// ParseFrequency reads a frequency as a person may write it ("Daily",
// "weekdays", "weekly:Monday", "weekly:fri") and returns its canonical
// spelling; empty means daily.
func ParseFrequency(s string) (Frequency, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "", string(FrequencyDaily):
		return FrequencyDaily, nil
	case string(FrequencyWeekdays):
		return FrequencyWeekdays, nil
	}
	day, ok := strings.CutPrefix(v, "weekly:")
	if ok {
		day = strings.TrimSpace(day)
		for i, name := range weekdayNames {
			full := strings.ToLower(time.Weekday(i).String())
			if len(day) >= 3 && strings.HasPrefix(full, day) || day == name {
				return Weekly(time.Weekday(i)), nil
			}
		}
	}
	return "", fmt.Errorf("frequency %q: want daily, weekdays or weekly:<day> (weekly:mon … weekly:sun)", s)
}

// IsWeekly reports whether f is a weekly frequency.
func (f Frequency) IsWeekly() bool {
	_, ok := f.weekday()
	return ok
}

// weekday is the send day of a weekly frequency.
func (f Frequency) weekday() (time.Weekday, bool) {
	day, ok := strings.CutPrefix(string(f), "weekly:")
	if !ok {
		return 0, false
	}
	for i, name := range weekdayNames {
		if name == day {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// EditionOn returns the ledger key of the edition of the period that
// contains local (a time in the subscriber's zone) and whether the frequency
// sends on local's date. A daily or weekdays edition is keyed by its local
// date (YYYY-MM-DD); a weekly one by its ISO week (YYYY-Www), so that one
// week has one key whatever day or time it is sent: changing the send day
// within a week, or a clock that falls back, cannot make a second edition.
func (f Frequency) EditionOn(local time.Time) (key string, sends bool) {
	if day, ok := f.weekday(); ok {
		return WeekKey(local), local.Weekday() == day
	}
	date := local.Format(time.DateOnly)
	if f == FrequencyWeekdays {
		wd := local.Weekday()
		return date, wd != time.Saturday && wd != time.Sunday
	}
	return date, true
}

// WeekKey returns the ISO 8601 week of t's date, "2026-W49".
func WeekKey(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// IsWeekKey reports whether key is a weekly edition's key (YYYY-Www).
func IsWeekKey(key string) bool {
	_, _, ok := parseWeekKey(key)
	return ok
}

func parseWeekKey(key string) (year, week int, ok bool) {
	y, w, found := strings.Cut(key, "-W")
	if !found || len(y) != 4 || len(w) != 2 {
		return 0, 0, false
	}
	year, err1 := strconv.Atoi(y)
	week, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || week < 1 || week > 53 {
		return 0, 0, false
	}
	return year, week, true
}

// EditionDate returns the local date (YYYY-MM-DD) of the edition with key
// for a subscriber of frequency f: the key itself for a daily edition, the
// send day of that ISO week for a weekly one.
func (f Frequency) EditionDate(key string) string {
	year, week, ok := parseWeekKey(key)
	day, weekly := f.weekday()
	if !ok {
		return key
	}
	if !weekly {
		day = time.Monday
	}
	// 4 January is always in week 1; step back to its Monday.
	jan4 := time.Date(year, time.January, 4, 12, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(week-1))
	return monday.AddDate(0, 0, (int(day)+6)%7).Format(time.DateOnly)
}
