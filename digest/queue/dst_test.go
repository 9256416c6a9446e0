package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// simulate moves the clock from start to end in steps, planning at each
// step on every replica as their periodic plan jobs would, gathering every
// gatherEvery, and
// letting the replicas' workers send what each plan enqueued.
func simulate(t *testing.T, e *env, rs []*replica, start, end time.Time, step, gatherEvery time.Duration) {
	t.Helper()
	ctx := context.Background()
	lastGather := time.Time{}
	for now := start; now.Before(end); now = now.Add(step) {
		e.clock.Set(now)
		if lastGather.IsZero() || now.Sub(lastGather) >= gatherEvery {
			// Gathering in line keeps the simulation quick; the gather
			// job itself is covered by TestQueue_GatherPlanDeliver.
			var rep digest.Report
			if err := rs[0].engine.Gather(ctx, []digest.Source{e.source}, &rep); err != nil {
				t.Fatal(err)
			}
			lastGather = now
		}
		enqueued := 0
		for _, r := range rs {
			res, err := r.q.Plan(ctx, false)
			if err != nil {
				t.Fatalf("plan at %s: %v", now, err)
			}
			enqueued += res.Enqueued
		}
		if enqueued > 0 {
			waitIdle(t, rs[0].store.SQL(), 60*time.Second)
		}
	}
}

// localDates lists the local dates from a's to b's, inclusive.
func localDates(a, b time.Time, loc *time.Location) []string {
	var out []string
	la, lb := a.In(loc), b.In(loc)
	for d := time.Date(la.Year(), la.Month(), la.Day(), 12, 0, 0, 0, loc); d.Format(time.DateOnly) <= lb.Format(time.DateOnly); d = time.Date(d.Year(), d.Month(), d.Day()+1, 12, 0, 0, 0, loc) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

func TestQueue_LocalSendTimesAcrossDST(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 12 days in 5-minute steps")
	}
	type sub struct {
		email, zone, at string
	}
	type special struct {
		email, date string
		// the sent instant must fall in [from, from+within)
		from   time.Time
		within time.Duration
	}
	mustLoad := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		return loc
	}
	ny, chatham := mustLoad("America/New_York"), mustLoad("Pacific/Chatham")
	windows := []struct {
		name       string
		start, end time.Time
		subs       []sub
		specials   []special
	}{{
		name:  "New York springs forward",
		start: time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
		subs: []sub{
			{"tokyo@example.com", "Asia/Tokyo", "07:00"},
			{"ny@example.com", "America/New_York", "07:00"},
			{"ny-gap@example.com", "America/New_York", "02:30"},
			{"chatham@example.com", "Pacific/Chatham", "07:00"},
		},
		// 02:30 does not exist on 8 March; the digest goes at 03:00 EDT.
		specials: []special{{"ny-gap@example.com", "2026-03-08", time.Date(2026, 3, 8, 3, 0, 0, 0, ny), 5 * time.Minute}},
	}, {
		name:  "New York falls back",
		start: time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC),
		subs: []sub{
			{"ny-fall@example.com", "America/New_York", "01:30"},
			{"ny-fall7@example.com", "America/New_York", "07:00"},
		},
		// 01:30 happens twice on 1 November: the first (EDT, 05:30 UTC) only.
		specials: []special{{"ny-fall@example.com", "2026-11-01", time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), 5 * time.Minute}},
	}, {
		name:  "Chatham springs forward",
		start: time.Date(2026, 9, 25, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 9, 29, 0, 0, 0, 0, time.UTC),
		subs: []sub{
			{"chatham-gap@example.com", "Pacific/Chatham", "02:50"},
			{"chatham7@example.com", "Pacific/Chatham", "07:00"},
			{"tokyo2@example.com", "Asia/Tokyo", "07:00"},
		},
		// Chatham skips 02:45–03:45 on 27 September; 02:50 goes out within
		// the hour after the gap (digest.SendAt gives 03:50: Go's
		// time.Date shifts a gap time by the gap's length).
		specials: []special{{"chatham-gap@example.com", "2026-09-27", time.Date(2026, 9, 27, 3, 45, 0, 0, chatham), time.Hour}},
	}}
	for _, w := range windows {
		t.Run(w.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, w.start, envOptions{})
			subs := make([]digest.Subscriber, 0, len(w.subs))
			for _, s := range w.subs {
				subs = append(subs, digest.Subscriber{Email: s.email, TimeZone: s.zone, SendTime: s.at, Status: digest.StatusActive})
			}
			if _, _, err := e.admin.UpsertSubscribers(ctx, subs); err != nil {
				t.Fatal(err)
			}
			r := e.replica("r1", Config{Workers: 4, NoStartupJobs: true})
			r.start(t)
			simulate(t, e, []*replica{r}, w.start, w.end, 5*time.Minute, 2*time.Hour)

			rows := map[string][]digest.Delivery{}
			for _, d := range e.ledger() {
				rows[d.Email] = append(rows[d.Email], d)
			}
			for _, s := range subs {
				loc := s.Location()
				// The window starts after every send time of its first local
				// day and ends after every send time of its last, so each
				// local date it touches gets exactly one digest.
				want := localDates(w.start, w.end.Add(-time.Minute), loc)
				got := map[string]int{}
				for _, d := range rows[s.Email] {
					got[d.EditionDate]++
					if d.Status != digest.DeliverySent {
						t.Errorf("%s %s: status %s (%s)", s.Email, d.EditionDate, d.Status, d.LastError)
						continue
					}
					at, err := digest.SendAt(s, d.SentAt)
					if err != nil {
						t.Fatal(err)
					}
					if at.Before(w.start) {
						// Due before the window opened: the first plan sends it.
						at = w.start
					}
					if lag := d.SentAt.Sub(at); lag < 0 || lag >= 5*time.Minute {
						t.Errorf("%s %s: sent at %s, %s after its send time %s", s.Email, d.EditionDate,
							d.SentAt.In(loc).Format(time.RFC3339), lag, at.In(loc).Format(time.RFC3339))
					}
					if ld := digest.LocalDate(d.SentAt, loc); ld != d.EditionDate {
						t.Errorf("%s: edition %s sent on local date %s", s.Email, d.EditionDate, ld)
					}
					if n := e.sink.Count(d.MessageID); n != 1 {
						t.Errorf("%s %s: message %s arrived %d times", s.Email, d.EditionDate, d.MessageID, n)
					}
				}
				if fmt.Sprint(sortedKeys(got)) != fmt.Sprint(want) {
					t.Errorf("%s (%s %s): digests for %v, want one for each of %v", s.Email, s.TimeZone, s.SendTime, got, want)
				}
				for date, n := range got {
					if n != 1 {
						t.Errorf("%s: %d ledger rows for %s", s.Email, n, date)
					}
				}
			}
			for _, sp := range w.specials {
				found := false
				for _, d := range rows[sp.email] {
					if d.EditionDate != sp.date {
						continue
					}
					found = true
					if d.SentAt.Before(sp.from) || !d.SentAt.Before(sp.from.Add(sp.within)) {
						t.Errorf("%s %s: sent at %s, want within %s from %s", sp.email, sp.date, sp.within,
							d.SentAt.UTC().Format(time.RFC3339), sp.from.UTC().Format(time.RFC3339))
					}
				}
				if !found {
					t.Errorf("%s: no digest for %s", sp.email, sp.date)
				}
			}
			var sent int
			for _, rs := range rows {
				sent += len(rs)
			}
			if e.sink.Total() != sent {
				t.Errorf("sink got %d messages for %d ledger rows", e.sink.Total(), sent)
			}
		})
	}
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestQueue_FrequenciesAcrossDSTAndWeeks plans two weeks that hold the
// clocks falling back in Berlin (Sunday 25 October 2026) and New York
// (Sunday 1 November) for weekdays and weekly readers: each period gets
// exactly one edition, on the right local day, keyed by its date or its
// ISO week, and the weekly edition draws on the whole week.
func TestQueue_FrequenciesAcrossDSTAndWeeks(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 14 days in 15-minute steps")
	}
	ctx := context.Background()
	start := time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC) // a Wednesday
	end := time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)
	const step = 15 * time.Minute
	e := newEnv(t, start, envOptions{})
	subs := []digest.Subscriber{
		// 02:30 happens twice on Sunday 25 October in Berlin.
		{Email: "berlin-sun@example.com", TimeZone: "Europe/Berlin", SendTime: "02:30", Frequency: "weekly:sun"},
		// 01:30 happens twice on Sunday 1 November in New York.
		{Email: "ny-sun@example.com", TimeZone: "America/New_York", SendTime: "01:30", Frequency: "weekly:sun"},
		{Email: "ny-weekdays@example.com", TimeZone: "America/New_York", SendTime: "07:00", Frequency: "weekdays"},
		// Monday 07:00 in Kiritimati (UTC+14) is Sunday 17:00 UTC.
		{Email: "kiritimati-mon@example.com", TimeZone: "Pacific/Kiritimati", SendTime: "07:00", Frequency: "weekly:mon"},
		{Email: "berlin-daily@example.com", TimeZone: "Europe/Berlin", SendTime: "07:00"},
	}
	for i := range subs {
		subs[i].Status = digest.StatusActive
	}
	if _, _, err := e.admin.UpsertSubscribers(ctx, subs); err != nil {
		t.Fatal(err)
	}
	r := e.replica("r1", Config{Workers: 4, NoStartupJobs: true})
	r.start(t)
	simulate(t, e, []*replica{r}, start, end, step, 2*time.Hour)

	rows := map[string][]digest.Delivery{}
	for _, d := range e.ledger() {
		rows[d.Email] = append(rows[d.Email], d)
	}
	want := map[string][]string{
		"berlin-sun@example.com":     {"2026-W43", "2026-W44"}, // Sundays 25 Oct and 1 Nov
		"ny-sun@example.com":         {"2026-W43", "2026-W44"}, // the same Sundays in New York
		"kiritimati-mon@example.com": {"2026-W44", "2026-W45"}, // Mondays 26 Oct and 2 Nov
		"ny-weekdays@example.com":    localWeekdays(t, start, end, "America/New_York"),
		// The window ends at 01:00 on 4 November in Berlin, before 07:00.
		"berlin-daily@example.com": localDates(start, end.Add(-2*time.Hour), mustLocation(t, "Europe/Berlin")),
	}
	for _, s := range subs {
		loc := s.Location()
		freq, err := digest.ParseFrequency(string(s.Frequency))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, d := range rows[s.Email] {
			got[d.EditionDate]++
			if d.Status != digest.DeliverySent {
				t.Errorf("%s %s: status %s (%s)", s.Email, d.EditionDate, d.Status, d.LastError)
				continue
			}
			key, sends := freq.EditionOn(d.SentAt.In(loc))
			if !sends || key != d.EditionDate {
				t.Errorf("%s: edition %s sent %s (local %s), which is not one of its days",
					s.Email, d.EditionDate, d.SentAt.UTC().Format(time.RFC3339), d.SentAt.In(loc).Format("Mon 2006-01-02 15:04"))
			}
			at, err := digest.SendAt(s, d.SentAt)
			if err != nil {
				t.Fatal(err)
			}
			if at.Before(start) {
				at = start // due before the window opened: the first plan sends it
			}
			if lag := d.SentAt.Sub(at); lag < 0 || lag >= step {
				t.Errorf("%s %s: sent %s after its send time", s.Email, d.EditionDate, lag)
			}
			if n := e.sink.Count(d.MessageID); n != 1 {
				t.Errorf("%s %s: message %s arrived %d times", s.Email, d.EditionDate, d.MessageID, n)
			}
		}
		if fmt.Sprint(sortedKeys(got)) != fmt.Sprint(want[s.Email]) {
			t.Errorf("%s (%s %s %s): editions %v, want one for each of %v", s.Email, s.Frequency, s.TimeZone, s.SendTime, got, want[s.Email])
		}
	}
	// The second weekly edition reaches back a week: 84 gathers, capped at
	// MaxStories (20), more than the daily lookback (36 h, 18 gathers)
	// holds.
	for _, d := range rows["kiritimati-mon@example.com"] {
		if d.EditionDate == "2026-W45" && d.Stories != digest.DefaultConfig().MaxStories {
			t.Errorf("weekly edition %s carried %d stories; a week of gathers every 2 h fills the cap of %d", d.EditionDate, d.Stories, digest.DefaultConfig().MaxStories)
		}
	}
	for _, d := range rows["berlin-daily@example.com"] {
		if d.Stories > 13 {
			t.Errorf("daily edition %s carried %d stories, more than a day's", d.EditionDate, d.Stories)
		}
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// localWeekdays lists the Monday-to-Friday local dates from a's to the
// last before b.
func localWeekdays(t *testing.T, a, b time.Time, zone string) []string {
	loc := mustLocation(t, zone)
	var out []string
	for _, d := range localDates(a, b.Add(-time.Minute), loc) {
		day, _ := time.ParseInLocation(time.DateOnly, d, loc)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}
