package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// TestDB_Events runs the event log and receipt cases on both stores.
func TestDB_Events(t *testing.T) {
	cases := []contractCase{
		{"policy", testEventPolicy},
		{"receipt_replay", testEventReceiptReplay},
		{"soft_distinct_messages", testSoftBounceDistinct},
		{"unknown_address", testEventUnknownAddress},
		{"purge_cascades", testEventPurge},
		{"prune_receipts", testPruneReceipts},
		{"message_id", testDeliveryByMessageID},
		{"filter_topic", testListSubscribersTopic},
		{"signup_mail_budget", testSignupMailBudget},
	}
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, o.Open(t))
				})
			}
		})
	}
}

var policy = digest.EventPolicy{BounceAfter: 2, SoftWindow: 48 * time.Hour}

func addSub(t *testing.T, db *store.DB, email string, topics ...string) digest.Subscriber {
	t.Helper()
	return get(db.AddSubscriber(context.Background(), digest.Subscriber{Email: email, TimeZone: "UTC", SendTime: "07:00", Topics: topics}))(t)
}

func status(t *testing.T, db *store.DB, id int64) digest.SubscriberStatus {
	t.Helper()
	return get(db.Subscriber(context.Background(), id))(t).Status
}

func testEventPolicy(t *testing.T, db *store.DB) {
	ctx := context.Background()
	hard := addSub(t, db, "hard@example.com")
	comp := addSub(t, db, "complaint@example.com")
	gone := addSub(t, db, "gone@example.com")
	check(t, db.SetSubscriberStatus(ctx, gone.ID, digest.StatusUnsubscribed))
	got := get(db.RecordEvents(ctx, digest.Receipt{}, []digest.SubscriberEvent{
		{Email: hard.Email, Kind: digest.EventHardBounce, Source: "ses", Detail: "5.1.1 user unknown"},
		{Email: comp.Email, Kind: digest.EventComplaint, Source: "ses", Detail: "abuse"},
		{Email: gone.Email, Kind: digest.EventHardBounce, Source: "ses"},
	}, policy))(t)
	if len(got) != 3 || got[0].Status != digest.StatusBounced || got[1].Status != digest.StatusUnsubscribed || got[2].Status != digest.StatusUnsubscribed {
		t.Fatalf("recorded %+v", got)
	}
	if s := status(t, db, hard.ID); s != digest.StatusBounced {
		t.Errorf("hard bounce: status %s, want bounced", s)
	}
	if s := status(t, db, comp.ID); s != digest.StatusUnsubscribed {
		t.Errorf("complaint: status %s, want unsubscribed", s)
	}
	// An unsubscribed reader is never moved by a later report.
	if s := status(t, db, gone.ID); s != digest.StatusUnsubscribed {
		t.Errorf("bounce after unsubscribe: status %s, want unsubscribed", s)
	}
	evs := get(db.SubscriberEvents(ctx, comp.ID, 0))(t)
	if len(evs) != 1 || evs[0].Kind != digest.EventComplaint || evs[0].Detail != "abuse" || evs[0].Source != "ses" || evs[0].At.IsZero() {
		t.Fatalf("complaint log = %+v", evs)
	}
}

func testEventReceiptReplay(t *testing.T, db *store.DB) {
	ctx := context.Background()
	s := addSub(t, db, "replay@example.com")
	r := digest.Receipt{Source: "mailgun", ID: "token-1"}
	ev := []digest.SubscriberEvent{{Email: s.Email, Kind: digest.EventSoftBounce, Source: "mailgun", MessageID: "m1"}}
	get(db.RecordEvents(ctx, r, ev, policy))(t)
	_, err := db.RecordEvents(ctx, r, ev, policy)
	wantErr(t, err, digest.ErrConflict)
	if n := len(get(db.SubscriberEvents(ctx, s.ID, 0))(t)); n != 1 {
		t.Fatalf("replay stored an event: %d events", n)
	}
	if !get(db.HasReceipt(ctx, "mailgun", "token-1"))(t) || get(db.HasReceipt(ctx, "sendgrid", "token-1"))(t) {
		t.Fatal("HasReceipt is not per source")
	}
}

func testSoftBounceDistinct(t *testing.T, db *store.DB) {
	ctx := context.Background()
	s := addSub(t, db, "soft@example.com")
	soft := func(msg string, at time.Time) digest.SubscriberStatus {
		t.Helper()
		got := get(db.RecordEvents(ctx, digest.Receipt{}, []digest.SubscriberEvent{
			{Email: s.Email, Kind: digest.EventSoftBounce, Source: "mailbox", MessageID: msg, At: at}}, policy))(t)
		return got[0].Status
	}
	now := time.Now().UTC()
	// Three reports of one message count once.
	for range 3 {
		if st := soft("digest.a@x", now); st != digest.StatusActive {
			t.Fatalf("retries of one message bounced the subscriber: %s", st)
		}
	}
	// A soft bounce outside the window does not count.
	if st := soft("digest.old@x", now.Add(-72*time.Hour)); st != digest.StatusActive {
		t.Fatalf("status %s after an old soft bounce", st)
	}
	// A second message within the window reaches BounceAfter (2).
	if st := soft("digest.b@x", now); st != digest.StatusBounced {
		t.Fatalf("two soft bounces of distinct messages: status %s, want bounced", st)
	}
}

func testEventUnknownAddress(t *testing.T, db *store.DB) {
	ctx := context.Background()
	got := get(db.RecordEvents(ctx, digest.Receipt{Source: "ses", ID: "x"},
		[]digest.SubscriberEvent{{Email: "nobody@example.com", Kind: digest.EventHardBounce}}, policy))(t)
	if len(got) != 1 || got[0].SubscriberID != 0 || got[0].ID != 0 {
		t.Fatalf("unknown address: %+v", got)
	}
}

func testEventPurge(t *testing.T, db *store.DB) {
	ctx := context.Background()
	s := addSub(t, db, "purge@example.com")
	get(db.RecordEvents(ctx, digest.Receipt{}, []digest.SubscriberEvent{{Email: s.Email, Kind: digest.EventComplaint}}, policy))(t)
	check(t, db.DeleteSubscriber(ctx, s.ID))
	if n := len(get(db.SubscriberEvents(ctx, s.ID, 0))(t)); n != 0 {
		t.Fatalf("purged subscriber still has %d events", n)
	}
}

func testPruneReceipts(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Now().UTC()
	get(db.RecordEvents(ctx, digest.Receipt{Source: "s", ID: "old", At: now.Add(-40 * 24 * time.Hour)}, nil, policy))(t)
	get(db.RecordEvents(ctx, digest.Receipt{Source: "s", ID: "new", At: now}, nil, policy))(t)
	if n := get(db.PruneReceipts(ctx, now.Add(-30*24*time.Hour)))(t); n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
	if get(db.HasReceipt(ctx, "s", "old"))(t) || !get(db.HasReceipt(ctx, "s", "new"))(t) {
		t.Fatal("pruned the wrong receipt")
	}
}

func testDeliveryByMessageID(t *testing.T, db *store.DB) {
	ctx := context.Background()
	s := addSub(t, db, "mid@example.com")
	get(db.EnsureDelivery(ctx, digest.Delivery{SubscriberID: s.ID, Email: s.Email, EditionDate: "2026-03-29",
		MessageID: "digest.2026-03-29.0011223344556677@example.com"}))(t)
	for _, id := range []string{
		"digest.2026-03-29.0011223344556677@example.com",
		"<digest.2026-03-29.0011223344556677@example.com>",
		"<digest.2026-03-29.0011223344556677.r2@example.com>",
	} {
		d, err := db.DeliveryByMessageID(ctx, id)
		if err != nil || d.Email != s.Email {
			t.Errorf("DeliveryByMessageID(%q) = %+v, %v", id, d, err)
		}
	}
	_, err := db.DeliveryByMessageID(ctx, "<other@example.com>")
	if !errors.Is(err, digest.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func testListSubscribersTopic(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := addSub(t, db, "a@example.com", "tariffs", "autos")
	addSub(t, db, "b@example.com", "autos")
	addSub(t, db, "c@example.com") // all topics
	d := addSub(t, db, "d@example.com", "tariffs")
	addSub(t, db, "e@example.com", "tariffs_x") // "_" is not a wildcard
	check(t, db.SetSubscriberStatus(ctx, d.ID, digest.StatusPaused))
	got := get(db.ListSubscribers(ctx, digest.SubscriberFilter{Topic: "tariffs"}))(t)
	if len(got) != 2 || got[0].ID != a.ID || got[1].ID != d.ID {
		t.Fatalf("topic tariffs: %+v", got)
	}
	got = get(db.ListSubscribers(ctx, digest.SubscriberFilter{Topic: "tariffs", Status: digest.StatusActive}))(t)
	if len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("topic tariffs, active: %+v", got)
	}
	got = get(db.ListSubscribers(ctx, digest.SubscriberFilter{Topic: "tariffs", AfterID: a.ID, Limit: 1}))(t)
	if len(got) != 1 || got[0].ID != d.ID {
		t.Fatalf("topic tariffs after %d: %+v", a.ID, got)
	}
}

// testSignupMailBudget: 20 racing sign-ups for one address are allowed 3
// mails, the window frees the budget again, and another address has its
// own.
func testSignupMailBudget(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	victim := addSub(t, db, "victim@example.com")
	other := addSub(t, db, "other@example.com")
	var wg sync.WaitGroup
	var allowed atomic.Int32
	for range 20 {
		wg.Go(func() {
			ok, err := db.TakeSignupMail(ctx, victim.ID, 3, 24*time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 3 {
		t.Fatalf("%d of 20 racing sign-up mails allowed, want 3", n)
	}
	if ok := get(db.TakeSignupMail(ctx, other.ID, 3, 24*time.Hour))(t); !ok {
		t.Error("another address was refused")
	}
	mu.Lock()
	now = now.Add(24*time.Hour + time.Second)
	mu.Unlock()
	if ok := get(db.TakeSignupMail(ctx, victim.ID, 3, 24*time.Hour))(t); !ok {
		t.Error("refused after the window")
	}
	if _, err := db.TakeSignupMail(ctx, 999999, 3, time.Hour); !errors.Is(err, digest.ErrNotFound) {
		t.Errorf("absent subscriber: %v, want ErrNotFound", err)
	}
	evs := get(db.SubscriberEvents(ctx, victim.ID, 0))(t)
	if len(evs) != 4 || evs[0].Kind != digest.EventSignupMail {
		t.Errorf("events %+v, want 4 sign-up mails", evs)
	}
}
