package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest/api"
)

// TestAPI_SubscriberFrequency: frequency on create, update and import;
// a bad one is a 422 naming the field; a change is in the event log.
func TestAPI_SubscriberFrequency(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		r := h.do(http.MethodPost, "/api/v1/subscribers", map[string]any{"email": "ana@example.com", "frequency": "Weekly:Friday"})
		want(t, r, http.StatusCreated)
		var ana api.Subscriber
		r.json(t, &ana)
		if ana.Frequency != "weekly:fri" {
			t.Fatalf("created with frequency %q, want weekly:fri", ana.Frequency)
		}
		r = h.do(http.MethodPost, "/api/v1/subscribers", map[string]any{"email": "bo@example.com"})
		want(t, r, http.StatusCreated)
		var bo api.Subscriber
		r.json(t, &bo)
		if bo.Frequency != "daily" {
			t.Fatalf("default frequency %q, want daily", bo.Frequency)
		}
		r = h.do(http.MethodPost, "/api/v1/subscribers", map[string]any{"email": "cy@example.com", "frequency": "hourly"})
		want(t, r, http.StatusUnprocessableEntity)
		if e := r.apiError(t); e.Field != "frequency" || !strings.Contains(e.Message, "weekly:<day>") {
			t.Errorf("bad frequency: field %q message %q", e.Field, e.Message)
		}
		r = h.do(http.MethodPatch, "/api/v1/subscribers/bo@example.com", map[string]any{"frequency": "weekdays"})
		want(t, r, http.StatusOK)
		r.json(t, &bo)
		if bo.Frequency != "weekdays" {
			t.Fatalf("updated frequency %q", bo.Frequency)
		}
		evs, err := h.db.SubscriberEvents(t.Context(), bo.ID, 0)
		if err != nil || len(evs) == 0 || !strings.Contains(evs[0].Detail, `frequency "daily" → "weekdays"`) {
			t.Errorf("event log: %+v, %v", evs, err)
		}
		r = h.csv("/api/v1/subscribers/import", "email,frequency\nana@example.com,\nbo@example.com,weekly:sun\n")
		want(t, r, http.StatusOK)
		for email, f := range map[string]string{"ana@example.com": "weekly:fri", "bo@example.com": "weekly:sun"} {
			s, err := h.db.SubscriberByEmail(t.Context(), email)
			if err != nil || string(s.Frequency) != f {
				t.Errorf("after import %s has %q (%v), want %q", email, s.Frequency, err, f)
			}
		}
	})
}

// TestAPI_OpenAPISchemas checks that the documented subscriber schemas
// name exactly the JSON fields the handlers read and write.
func TestAPI_OpenAPISchemas(t *testing.T) {
	db := backends[0].open(t)
	h := newHarness(t, db)
	r := h.do(http.MethodGet, "/api/v1/openapi.json", nil)
	want(t, r, http.StatusOK)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	r.json(t, &doc)
	documented := func(name string) []string {
		var out []string
		for k := range doc.Components.Schemas[name].Properties {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	fields := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				out = append(out, name)
			}
		}
		sort.Strings(out)
		return out
	}
	if got, want := documented("Subscriber"), fields(api.Subscriber{}); !slices.Equal(got, want) {
		t.Errorf("Subscriber schema %v, handler writes %v", got, want)
	}
	in := api.SubscriberInFields()
	sort.Strings(in)
	for _, name := range []string{"SubscriberCreate", "SubscriberUpdate"} {
		if got := documented(name); !slices.Equal(got, in) {
			t.Errorf("%s schema %v, handler reads %v", name, got, in)
		}
	}
}
