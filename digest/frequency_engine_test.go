package digest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// TestEngine_Run_Frequencies: digest now sends each reader the edition
// their frequency has for their local date, the weekly one drawing on the
// week, and a reader who moves their weekly day within a week gets no
// second edition for it.
func TestEngine_Run_Frequencies(t *testing.T) {
	db := storetest.Open(t)
	now := t0 // Friday 27 November 2026, ISO week 48
	e, _, m := newEngine(t, db, &now)
	ctx := context.Background()
	if _, err := db.SaveArticles(ctx, []digest.Article{
		article(1, t0.Add(-time.Hour)),
		article(2, t0.Add(-3*24*time.Hour)),
		article(3, t0.Add(-6*24*time.Hour)),
		article(4, t0.Add(-8*24*time.Hour)), // before the week
	}); err != nil {
		t.Fatal(err)
	}
	subs := map[string]digest.Frequency{
		"daily@example.com": "", "weekdays@example.com": "weekdays",
		"friday@example.com": "weekly:fri", "monday@example.com": "weekly:mon",
	}
	for email, f := range subs {
		if _, err := db.AddSubscriber(ctx, digest.Subscriber{Email: email, TimeZone: "UTC", SendTime: "07:00", Frequency: f}); err != nil {
			t.Fatal(err)
		}
	}
	fresh := 10
	run := func() digest.Report {
		t.Helper()
		// A story of the day, so the run has news to send.
		fresh++
		if _, err := db.SaveArticles(ctx, []digest.Article{article(fresh, now.Add(-time.Hour))}); err != nil {
			t.Fatal(err)
		}
		rep, err := e.Run(ctx, digest.RunOptions{Since: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	sentTo := func(from int) map[string]digest.Message {
		out := map[string]digest.Message{}
		for _, msg := range m.sent[from:] {
			out[msg.To] = msg
		}
		return out
	}

	rep := run()
	got := sentTo(0)
	if rep.Sent != 3 || rep.NotToday != 1 || len(got) != 3 {
		t.Fatalf("Friday: sent %d, not today %d, to %v; want 3 sent (daily, weekdays, weekly Friday) and Monday's reader not today", rep.Sent, rep.NotToday, keys(got))
	}
	if n := strings.Count(got["daily@example.com"].Text, "- Story"); n != 2 {
		t.Errorf("daily edition has %d stories, want the day's 2:\n%s", n, got["daily@example.com"].Text)
	}
	week := got["friday@example.com"]
	if n := strings.Count(week.Text, "- Story"); n != 4 || strings.Contains(week.Text, "Story 4:") {
		t.Errorf("weekly edition has %d stories, want the week's 4 (not the 8-day-old one):\n%s", n, week.Text)
	}
	if week.Edition != "2026-W48" || !strings.HasPrefix(week.MessageID, "digest.2026-W48.") || !strings.Contains(week.Subject, "2026-11-27") {
		t.Errorf("weekly message: edition %q, Message-ID %q, subject %q", week.Edition, week.MessageID, week.Subject)
	}
	if d, err := db.DeliveryFor(ctx, "friday@example.com", "2026-W48"); err != nil || d.Status != digest.DeliverySent || d.Stories != 4 {
		t.Errorf("weekly ledger row %+v, %v", d, err)
	}

	// Saturday: only the daily reader.
	now = t0.Add(24 * time.Hour)
	n := len(m.sent)
	if rep := run(); rep.Sent != 1 || rep.NotToday != 3 {
		t.Errorf("Saturday: sent %d, not today %d; want 1 and 3", rep.Sent, rep.NotToday)
	}
	if got := sentTo(n); len(got) != 1 || got["daily@example.com"].To == "" {
		t.Errorf("Saturday went to %v", keys(got))
	}

	// The Friday reader moves to Sunday: Sunday 29 November is still week
	// 48, which had its edition.
	fri, err := db.SubscriberByEmail(ctx, "friday@example.com")
	if err != nil {
		t.Fatal(err)
	}
	fri.Frequency = "weekly:sun"
	if err := db.UpdateSubscriber(ctx, fri); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(48 * time.Hour)
	n = len(m.sent)
	rep = run()
	if _, again := sentTo(n)["friday@example.com"]; again || rep.AlreadySent != 1 {
		t.Errorf("Sunday of the same week: the reader got a second weekly edition (already sent %d)", rep.AlreadySent)
	}
	// Monday 30 November opens week 49 for the Monday reader.
	now = t0.Add(72 * time.Hour)
	n = len(m.sent)
	run()
	if msg, ok := sentTo(n)["monday@example.com"]; !ok || msg.Edition != "2026-W49" {
		t.Errorf("Monday: weekly Monday reader got %+v", msg)
	}
}

func keys(m map[string]digest.Message) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
