package digest

import (
	"strings"
	"testing"
	"time"
)

func TestParseFrequency(t *testing.T) {
	tests := []struct {
		in   string
		want Frequency
		bad  bool
	}{
		{"", FrequencyDaily, false},
		{"daily", FrequencyDaily, false},
		{" Daily ", FrequencyDaily, false},
		{"WEEKDAYS", FrequencyWeekdays, false},
		{"weekly:mon", "weekly:mon", false},
		{"weekly:Monday", "weekly:mon", false},
		{"weekly:tues", "weekly:tue", false},
		{"Weekly:SUN", "weekly:sun", false},
		{"weekly:", "", true},
		{"weekly", "", true},
		{"weekly:mo", "", true}, // too short to be a day
		{"weekly:funday", "", true},
		{"fortnightly", "", true},
		{"monthly:1", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFrequency(tt.in)
		if (err != nil) != tt.bad {
			t.Errorf("ParseFrequency(%q) error %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		if tt.bad {
			if !strings.Contains(err.Error(), "weekly:<day>") {
				t.Errorf("ParseFrequency(%q) error %q does not say what is accepted", tt.in, err)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("ParseFrequency(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFrequency_EditionOn: dailies and weekdays are keyed by date, weeklies
// by ISO week, including the week that spans the turn of the year (2026
// has 53 ISO weeks: Friday 1 January 2027 is in 2026-W53).
func TestFrequency_EditionOn(t *testing.T) {
	tests := []struct {
		freq  Frequency
		date  string
		key   string
		sends bool
	}{
		{FrequencyDaily, "2026-12-05", "2026-12-05", true},
		{FrequencyWeekdays, "2026-12-04", "2026-12-04", true},  // Friday
		{FrequencyWeekdays, "2026-12-05", "2026-12-05", false}, // Saturday
		{FrequencyWeekdays, "2026-12-06", "2026-12-06", false}, // Sunday
		{"weekly:sat", "2026-12-05", "2026-W49", true},
		{"weekly:sat", "2026-12-06", "2026-W49", false},
		{"weekly:mon", "2026-12-28", "2026-W53", true},
		{"weekly:fri", "2027-01-01", "2026-W53", true},
		{"weekly:mon", "2027-01-04", "2027-W01", true},
		{"weekly:sun", "2027-01-03", "2026-W53", true},
	}
	for _, tt := range tests {
		day, _ := time.Parse(time.DateOnly, tt.date)
		key, sends := tt.freq.EditionOn(day.Add(12 * time.Hour))
		if key != tt.key || sends != tt.sends {
			t.Errorf("%s on %s = %s %v, want %s %v", tt.freq, tt.date, key, sends, tt.key, tt.sends)
		}
		if tt.sends {
			if got := tt.freq.EditionDate(key); got != tt.date {
				t.Errorf("%s: EditionDate(%s) = %s, want %s", tt.freq, key, got, tt.date)
			}
		}
	}
	if !IsWeekKey("2026-W53") || IsWeekKey("2026-12-05") || IsWeekKey("2026-W54") || IsWeekKey("2026-W5") {
		t.Error("IsWeekKey")
	}
}

// TestDue_Frequencies walks each subscriber in 5-minute steps across a DST
// change and a week boundary and checks that editions become due on the
// right local days only, once per period (a period's key is due from one
// instant on and never again under another key), at the send time.
func TestDue_Frequencies(t *testing.T) {
	tests := []struct {
		name     string
		sub      Subscriber
		from     string // UTC
		days     int
		wantKeys []string // periods that became due, in order
	}{{
		name: "weekly Sunday, Berlin falls back on Sunday 25 October at the send time",
		sub:  Subscriber{TimeZone: "Europe/Berlin", SendTime: "02:30", Frequency: "weekly:sun"},
		from: "2026-10-19T00:00:00Z", days: 14,
		wantKeys: []string{"2026-W43", "2026-W44"},
	}, {
		name: "weekly Sunday, New York springs forward on Sunday 8 March inside the gap",
		sub:  Subscriber{TimeZone: "America/New_York", SendTime: "02:30", Frequency: "weekly:sun"},
		from: "2026-03-02T12:00:00Z", days: 14,
		wantKeys: []string{"2026-W10", "2026-W11"},
	}, {
		name: "weekly Monday in Kiritimati across the turn of the year",
		sub:  Subscriber{TimeZone: "Pacific/Kiritimati", SendTime: "07:00", Frequency: "weekly:mon"},
		from: "2026-12-26T00:00:00Z", days: 14,
		wantKeys: []string{"2026-W53", "2027-W01"},
	}, {
		name: "weekly Friday, Honolulu, 1 January 2027 is in 2026-W53",
		sub:  Subscriber{TimeZone: "Pacific/Honolulu", SendTime: "23:30", Frequency: "weekly:fri"},
		from: "2026-12-27T00:00:00Z", days: 10,
		wantKeys: []string{"2026-W53"},
	}, {
		name: "weekdays, New York falls back on a Sunday",
		sub:  Subscriber{TimeZone: "America/New_York", SendTime: "07:00", Frequency: "weekdays"},
		from: "2026-10-30T12:00:00Z", days: 5,
		wantKeys: []string{"2026-10-30", "2026-11-02", "2026-11-03"}, // no Saturday, no Sunday

	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.sub.Location()
			start, _ := time.Parse(time.RFC3339, tt.from)
			h, m, _ := ParseSendTime(tt.sub.SendTime)
			var keys []string
			firstDue := map[string]time.Time{}
			for now := start; now.Before(start.Add(time.Duration(tt.days) * 24 * time.Hour)); now = now.Add(5 * time.Minute) {
				key, due, err := Due(tt.sub, now)
				if err != nil {
					t.Fatal(err)
				}
				if !due {
					continue
				}
				if _, seen := firstDue[key]; !seen {
					firstDue[key] = now
					keys = append(keys, key)
				}
			}
			if strings.Join(keys, " ") != strings.Join(tt.wantKeys, " ") {
				t.Fatalf("due periods %v, want %v", keys, tt.wantKeys)
			}
			freq, _ := ParseFrequency(string(tt.sub.Frequency))
			for key, at := range firstDue {
				local := at.In(loc)
				if got := freq.EditionDate(key); got != local.Format(time.DateOnly) {
					t.Errorf("%s first due on %s, its edition date is %s", key, local.Format("Mon 2006-01-02"), got)
				}
				wall := local.Hour()*60 + local.Minute()
				if wall < h*60+m {
					t.Errorf("%s due at %s, before the send time %s", key, local.Format("15:04 MST"), tt.sub.SendTime)
				}
				if wall > h*60+m+60 {
					t.Errorf("%s due at %s, more than an hour after %s", key, local.Format("15:04 MST"), tt.sub.SendTime)
				}
			}
		})
	}
	if _, _, err := Due(Subscriber{Frequency: "fortnightly"}, time.Now()); err == nil {
		t.Error("an unknown frequency was due")
	}
}
