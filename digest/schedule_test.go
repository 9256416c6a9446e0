package digest

import (
	"testing"
	"time"
)

func TestParseSendTime(t *testing.T) {
	tests := []struct {
		in      string
		h, m    int
		wantErr bool
	}{
		{"07:00", 7, 0, false},
		{"7:30", 7, 30, false},
		{" 23:59 ", 23, 59, false},
		{"24:00", 0, 0, true},
		{"12:60", 0, 0, true},
		{"1200", 0, 0, true},
		{"ab:cd", 0, 0, true},
		{"12:5", 0, 0, true},
		{"", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, m, err := ParseSendTime(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && (h != tt.h || m != tt.m) {
				t.Fatalf("got %d:%d, want %d:%d", h, m, tt.h, tt.m)
			}
		})
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// TestDue_DST walks each zone minute by minute across days that include DST
// changes and checks that the digest becomes due exactly once per local date,
// at the local send time (or just after a gap that swallowed it).
func TestDue_DST(t *testing.T) {
	tests := []struct {
		zone     string
		sendTime string
		from     string // UTC start
		days     int
	}{
		{"America/New_York", "02:30", "2026-03-07T00:00:00Z", 3}, // spring forward: 02:30 does not exist on 8 March
		{"America/New_York", "01:30", "2026-10-31T00:00:00Z", 3}, // fall back: 01:30 happens twice on 1 November
		{"Asia/Tokyo", "07:00", "2026-11-26T00:00:00Z", 3},
		{"Pacific/Chatham", "02:45", "2026-04-03T00:00:00Z", 4}, // +13:45 → +12:45 on 5 April
		{"Pacific/Chatham", "02:50", "2026-09-25T00:00:00Z", 4}, // 02:45 → 03:45 on 27 September
	}
	for _, tt := range tests {
		t.Run(tt.zone+"/"+tt.sendTime, func(t *testing.T) {
			sub := Subscriber{Email: "a@example.com", TimeZone: tt.zone, SendTime: tt.sendTime}
			loc := mustLoad(t, tt.zone)
			start, _ := time.Parse(time.RFC3339, tt.from)
			firstDue := map[string]time.Time{}
			for now := start; now.Before(start.Add(time.Duration(tt.days) * 24 * time.Hour)); now = now.Add(time.Minute) {
				date, due, err := Due(sub, now)
				if err != nil {
					t.Fatal(err)
				}
				if date != now.In(loc).Format(time.DateOnly) {
					t.Fatalf("date %s at %s, want local date", date, now)
				}
				if due {
					if _, seen := firstDue[date]; !seen {
						firstDue[date] = now
					}
				}
			}
			// Every full local day in the window became due exactly once (a map
			// of first-due instants), and at or after the wall-clock send time.
			h, m, _ := ParseSendTime(tt.sendTime)
			for date, at := range firstDue {
				local := at.In(loc)
				if y, mo, d := local.Date(); time.Date(y, mo, d, 0, 0, 0, 0, loc).Before(start) {
					continue // the window began mid-day
				}
				if local.Format(time.DateOnly) != date {
					t.Errorf("%s: first due at %s, another local date", date, local)
				}
				wall := local.Hour()*60 + local.Minute()
				if wall < h*60+m {
					t.Errorf("%s: due at %s, before the send time %s", date, local.Format("15:04 MST"), tt.sendTime)
				}
				if wall > h*60+m+60 {
					t.Errorf("%s: due at %s, more than an hour after %s", date, local.Format("15:04 MST"), tt.sendTime)
				}
			}
			if len(firstDue) < tt.days-1 {
				t.Errorf("due on %d local dates, want at least %d: %v", len(firstDue), tt.days-1, firstDue)
			}
		})
	}
}

func TestContentHash(t *testing.T) {
	a := ContentHash("Tariffs rise 10%.\n\nThe  ministry said so.")
	b := ContentHash("tariffs RISE 10% -- the ministry said so!")
	if a != b {
		t.Fatalf("hash differs for the same words: %s vs %s", a, b)
	}
	if a == ContentHash("Tariffs rise 11%. The ministry said so.") {
		t.Fatal("hash equal for different numbers")
	}
}

// TestSendAt_Gap: a send time inside a DST gap goes out at the gap's end,
// whichever way time.Date resolves it.
func TestSendAt_Gap(t *testing.T) {
	tests := []struct {
		zone, send, day, want string
	}{
		{"America/New_York", "02:30", "2026-03-08T12:00:00Z", "2026-03-08 03:00 EDT"},
		{"Pacific/Chatham", "02:50", "2026-09-27T00:00:00Z", "2026-09-27 03:45 +1345"},
		{"Europe/Berlin", "02:15", "2026-03-29T12:00:00Z", "2026-03-29 03:00 CEST"},
		{"Europe/Berlin", "02:15", "2026-03-30T12:00:00Z", "2026-03-30 02:15 CEST"}, // no gap
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.day, func(t *testing.T) {
			now, _ := time.Parse(time.RFC3339, tt.day)
			at, err := SendAt(Subscriber{TimeZone: tt.zone, SendTime: tt.send}, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := at.In(mustLoad(t, tt.zone)).Format("2006-01-02 15:04 MST"); got != tt.want {
				t.Fatalf("send at %s, want %s", got, tt.want)
			}
		})
	}
}

// TestWallClockReached: the planner's send-time sieve must never drop a
// subscriber Due says is due, also on the days the clocks change.
func TestWallClockReached(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 6, 10, 11, 5, 0, 0, time.UTC), "07:05"},
		{time.Date(2026, 11, 1, 5, 40, 0, 0, time.UTC), "01:40"}, // 01:40 EDT, before the clocks go back
		{time.Date(2026, 11, 1, 6, 10, 0, 0, time.UTC), "02:10"}, // 01:10 EST: 01:59 EDT was reached
		{time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), "03:00"},   // just after the gap
		{time.Date(2026, 6, 11, 3, 59, 0, 0, time.UTC), "23:59"},
	}
	for _, c := range cases {
		if got := WallClockReached(c.now, ny); got != c.want {
			t.Errorf("WallClockReached(%s) = %s, want %s", c.now.In(ny), got, c.want)
		}
	}
	// Every minute of the fall-back day: whoever is due has a send time
	// not after the wall clock reached.
	for now := time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC); now.Before(time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC)); now = now.Add(time.Minute) {
		reached := WallClockReached(now, ny)
		for _, st := range []string{"00:30", "01:00", "01:30", "01:59", "02:00", "02:30", "07:00"} {
			_, due, err := DueIn(Subscriber{SendTime: st}, now, ny)
			if err != nil {
				t.Fatal(err)
			}
			if due && st > reached {
				t.Fatalf("at %s a %s subscriber is due but the wall clock reached is %s", now.In(ny), st, reached)
			}
		}
	}
}
