package summarize

import (
	"context"
	"reflect"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

func TestStub_Summarize(t *testing.T) {
	req := digest.SummaryRequest{Title: "Steel tariffs", Text: "The E.U. raised steel tariffs. Nothing else."}
	s, err := Stub{}.Summarize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if s.Headline != "Steel tariffs" || s.Text != "The E.U. raised steel tariffs." || s.Version != (Stub{}).Version() || s.Backend != "stub" {
		t.Errorf("got %+v", s)
	}
	if s.ContentHash != digest.ContentHash(req.Text) {
		t.Errorf("content hash %q, want the hash of the text", s.ContentHash)
	}
	again, _ := Stub{}.Summarize(context.Background(), req)
	if !reflect.DeepEqual(s, again) {
		t.Error("stub is not deterministic")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Stub{}).Summarize(ctx, req); err == nil {
		t.Error("cancelled context: want an error")
	}
}

func TestStub_WriteLead(t *testing.T) {
	stories := []digest.Story{
		{Summary: digest.Summary{Headline: "Steel tariffs suspended"}},
		{Articles: []digest.Article{{Title: "Port strike ends"}}},
	}
	got, err := Stub{}.WriteLead(context.Background(), stories)
	if err != nil || got != "Today: Steel tariffs suspended; Port strike ends." {
		t.Errorf("lead %q err %v", got, err)
	}
	if got, _ := (Stub{}).WriteLead(context.Background(), nil); got != "" {
		t.Errorf("no stories: %q", got)
	}
}
