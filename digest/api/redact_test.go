package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// TestAPI_RunReportRedacted: a run report read through the API shows
// source URLs and errors with their credentials hidden.
func TestAPI_RunReportRedacted(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		src := "https://reader:api-pw-61f0@feeds.example/trade.rss?apikey=api-key-2d9b"
		id, err := h.db.SaveRun(t.Context(), digest.RunRecord{Kind: "gather", Status: "ok", Report: digest.Report{
			Sources: []digest.SourceReport{{ID: src, Name: src, Error: `fetch "` + src + `": HTTP 500`}},
			Errors:  []string{"source " + src + ": HTTP 500"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		r := h.do(http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", id), nil)
		want(t, r, http.StatusOK)
		if strings.Contains(string(r.body), "api-pw-61f0") || strings.Contains(string(r.body), "api-key-2d9b") {
			t.Errorf("a credential reached the API:\n%s", r.body)
		}
		if !strings.Contains(string(r.body), "feeds.example/trade.rss") {
			t.Errorf("the source is not named:\n%s", r.body)
		}
	})
}
