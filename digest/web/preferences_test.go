package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

func prefsValues(status string, topics ...string) url.Values {
	return url.Values{"topic": topics, "send_time": {"18:45"}, "timezone": {"America/New_York"}, "status": {status}}
}

func TestServer_Preferences(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	link := h.path(h.srv.Links().PreferencesURL(sub))

	r := h.do("GET", link, nil)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "reader@example.com", `value="tariffs" checked`, `value="Europe/Berlin"`, `value="07:00"`,
		`id="status-active" name="status" value="active" checked`, "/unsubscribe?t=")

	r = h.do("POST", link, prefsValues("paused", "shipping", "sanctions"))
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "Your preferences are saved", `value="shipping" checked`, `value="America/New_York"`)
	got := h.subscriber(sub.ID)
	if got.Status != digest.StatusPaused || got.SendTime != "18:45" || got.TimeZone != "America/New_York" ||
		!slices.Equal(got.Topics, []string{"shipping", "sanctions"}) {
		t.Fatalf("saved %+v", got)
	}

	wantStatus(t, h.do("POST", link, prefsValues("active")), http.StatusOK)
	if got := h.subscriber(sub.ID); got.Status != digest.StatusActive || len(got.Topics) != 0 {
		t.Errorf("resume with no topics: %+v", got)
	}
}

func TestServer_Preferences_Refused(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	link := h.path(h.srv.Links().PreferencesURL(sub))
	tests := []struct {
		name   string
		target string
		form   url.Values
		header []string
		want   int
	}{
		{"forged token", "/preferences?t=" + h.signer.Sign(token.PurposePreferences, sub.ID, sub.Email, time.Time{})[:30], prefsValues("paused"), nil, http.StatusBadRequest},
		{"unsubscribe token", "/preferences?t=" + h.signer.Sign(token.PurposeUnsubscribe, sub.ID, sub.Email, time.Time{}), prefsValues("paused"), nil, http.StatusBadRequest},
		{"cross-site post", link, prefsValues("paused"), []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"bad zone", link, url.Values{"send_time": {"07:00"}, "timezone": {"Nowhere/City"}, "status": {"paused"}}, nil, http.StatusBadRequest},
		{"bad time", link, url.Values{"send_time": {"7"}, "timezone": {"UTC"}, "status": {"paused"}}, nil, http.StatusBadRequest},
		{"unknown topic", link, prefsValues("paused", "gossip"), nil, http.StatusBadRequest},
		{"unknown status", link, prefsValues("bounced"), nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.store.writeCount()
			wantStatus(t, h.do("POST", tt.target, tt.form, tt.header...), tt.want)
			if h.store.writeCount() != before {
				t.Error("a refused preferences post changed the store")
			}
		})
	}
	if got := h.subscriber(sub.ID); got.Status != digest.StatusActive || got.TimeZone != "Europe/Berlin" {
		t.Errorf("subscriber changed: %+v", got)
	}
}

func TestServer_Preferences_Status(t *testing.T) {
	// Only active, paused and unsubscribed readers move with the form;
	// pending and bounced ones need a confirmation.
	tests := []struct {
		from, ask, want digest.SubscriberStatus
	}{
		{digest.StatusUnsubscribed, digest.StatusActive, digest.StatusActive},
		{digest.StatusPending, digest.StatusActive, digest.StatusPending},
		{digest.StatusBounced, digest.StatusActive, digest.StatusBounced},
		{digest.StatusActive, "", digest.StatusActive},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"→"+string(tt.ask), func(t *testing.T) {
			h := newHarness(t, nil)
			sub := h.addSubscriber("reader@example.com")
			if err := h.store.SetSubscriberStatus(t.Context(), sub.ID, tt.from); err != nil {
				t.Fatal(err)
			}
			wantStatus(t, h.do("POST", h.path(h.srv.Links().PreferencesURL(sub)), prefsValues(string(tt.ask))), http.StatusOK)
			if got := h.subscriber(sub.ID).Status; got != tt.want {
				t.Errorf("status = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestServer_Preferences_Frequency: the page offers daily, weekdays and a
// weekly day in one labelled list with the reader's choice selected,
// saves a choice, keeps it when the form leaves it out, and refuses one
// not on the list without writing.
func TestServer_Preferences_Frequency(t *testing.T) {
	h := newHarness(t, nil)
	sub := h.addSubscriber("reader@example.com")
	link := h.path(h.srv.Links().PreferencesURL(sub))

	r := h.do("GET", link, nil)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `<label for="frequency">How often</label>`, `<select id="frequency" name="frequency"`,
		`<option value="daily" selected>Every day</option>`, `<option value="weekdays">`, `<option value="weekly:fri">Once a week, on Friday`)

	form := prefsValues("active")
	form.Set("frequency", "weekly:fri")
	r = h.do("POST", link, form)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "Your preferences are saved", `<option value="weekly:fri" selected>`)
	if got := h.subscriber(sub.ID); got.Frequency != "weekly:fri" {
		t.Fatalf("saved frequency %q", got.Frequency)
	}
	// A form without the field (an old page) keeps the choice.
	wantStatus(t, h.do("POST", link, prefsValues("active")), http.StatusOK)
	if got := h.subscriber(sub.ID); got.Frequency != "weekly:fri" {
		t.Fatalf("a form without frequency changed it to %q", got.Frequency)
	}
	before := h.store.writeCount()
	form.Set("frequency", "hourly")
	r = h.do("POST", link, form)
	wantStatus(t, r, http.StatusBadRequest)
	wantBody(t, r, `href="#frequency"`, `id="frequency-error"`, `aria-invalid="true"`)
	if h.store.writeCount() != before {
		t.Error("a refused frequency changed the store")
	}
	// Sign-up makes daily readers: its form has no frequency list.
	if r := h.do("GET", "/subscribe", nil); r.status == http.StatusOK && strings.Contains(r.body, `id="frequency"`) {
		t.Error("the sign-up form offers a frequency")
	}
}
