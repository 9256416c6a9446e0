package digest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

func TestStorableText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"a\x00b":        "ab",
		"bad \xff byte": "bad \uFFFD byte",
		"\x00\xfe\x00":  "\uFFFD",
		"Zürich – 25 %": "Zürich – 25 %",
	} {
		if got := digest.StorableText(in); got != want {
			t.Errorf("StorableText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestArticle_ForStorage(t *testing.T) {
	now := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	fetched := now.Add(-time.Hour)
	a := digest.Article{Title: "T\x00", Text: "body \xff", FetchedAt: fetched}.ForStorage(now)
	if a.Title != "T" || a.Text != "body \uFFFD" {
		t.Errorf("text fields not made storable: %q %q", a.Title, a.Text)
	}
	if !a.Published.Equal(fetched) {
		t.Errorf("Published = %v, want the fetch time %v", a.Published, fetched)
	}
	if a.ContentHash != digest.ContentHash("body \xff") {
		t.Errorf("ContentHash = %q, want the hash of the text as given", a.ContentHash)
	}
	if b := (digest.Article{}).ForStorage(now); !b.Published.Equal(now) || b.ContentHash != "" {
		t.Errorf("empty article: Published %v (want now), ContentHash %q (want none)", b.Published, b.ContentHash)
	}
	kept := digest.Article{Text: "x", ContentHash: "given", Published: fetched.Add(-time.Hour)}.ForStorage(now)
	if kept.ContentHash != "given" || !kept.Published.Equal(fetched.Add(-time.Hour)) {
		t.Errorf("given hash or date overwritten: %+v", kept)
	}
}

func TestPrepareSubscriber(t *testing.T) {
	s := digest.Subscriber{Email: "a@example.com", Name: "A\x00nn", Frequency: "WEEKDAYS"}
	if err := digest.PrepareSubscriber(&s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "Ann" || s.Status != digest.StatusActive || s.Frequency != digest.FrequencyWeekdays {
		t.Errorf("prepared = %+v, want name Ann, status active, frequency weekdays", s)
	}
	for _, bad := range []digest.Subscriber{
		{Email: "  "},
		{Email: "a@example.com", Status: "gone"},
		{Email: "a@example.com", Frequency: "hourly"},
	} {
		err := digest.PrepareSubscriber(&bad)
		if err == nil {
			t.Errorf("PrepareSubscriber(%+v) accepted it", bad)
			continue
		}
		if bad.Status == "gone" && !strings.Contains(err.Error(), `"gone"`) {
			t.Errorf("error %q does not name the status", err)
		}
	}
	empty := digest.Subscriber{Email: "b@example.com"}
	if err := digest.PrepareSubscriber(&empty); err != nil || empty.Frequency != "" {
		t.Errorf("an empty frequency must stay empty (imports keep the stored one): %v %q", err, empty.Frequency)
	}
}
