package summarize

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

const tradeArticle = `The U.S. and the E.U. agreed on Tuesday to suspend tariffs of 25% on $2.8bn of steel and aluminium for two years, ending a dispute that began in 2018.

Trade Representative Katherine Tai said the deal, reached in Geneva after No. 3 round of talks, would protect 12,000 jobs at Acme Steel Inc. and its suppliers.

The European Commission said the suspension would take effect on Jan. 1 and covered 4.4 million tonnes of steel a year.

Subscribe to our newsletter for the latest trade news, delivered every morning.

The tariffs on steel and aluminium of 25% will be suspended for two years under the agreement between the U.S. and the E.U.

Analysts at Dr. Smith's consultancy said exporters in Germany and Italy would gain most.

Photo: Getty Images. Share this on Facebook, Twitter and WhatsApp.`

func TestExtractive_Summarize(t *testing.T) {
	e := NewExtractive()
	req := digest.SummaryRequest{Title: "U.S. and E.U. suspend steel tariffs", Text: tradeArticle}
	s, err := e.Summarize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != ExtractiveVersion || s.Backend != "extractive" || s.Headline != "" || s.Fallback {
		t.Errorf("metadata: %+v", s)
	}
	if s.ContentHash != digest.ContentHash(tradeArticle) {
		t.Error("content hash not computed from the text")
	}
	sents := e.Select(req.Title, req.Text)
	if len(sents) < 2 || len(sents) > 3 {
		t.Fatalf("want 2–3 sentences, got %d: %q", len(sents), sents)
	}
	if strings.Join(sents, " ") != s.Text {
		t.Errorf("Text %q is not the selected sentences", s.Text)
	}
	all := nlp.Sentences(tradeArticle)
	last := -1
	for _, sent := range sents {
		idx := -1
		for i, a := range all {
			if a == sent {
				idx = i
			}
		}
		if idx < 0 {
			t.Errorf("sentence not copied verbatim: %q", sent)
		}
		if idx <= last {
			t.Errorf("sentences out of article order: %q", sents)
		}
		last = idx
	}
	for _, bad := range []string{"Subscribe", "Getty", "Share this"} {
		if strings.Contains(s.Text, bad) {
			t.Errorf("boilerplate %q in summary %q", bad, s.Text)
		}
	}
	if !strings.HasPrefix(s.Text, "The U.S. and the E.U. agreed on Tuesday to suspend tariffs of 25% on $2.8bn") {
		t.Errorf("lead sentence missing or altered: %q", s.Text)
	}
	if strings.Contains(s.Text, "will be suspended for two years under the agreement") {
		t.Errorf("near-duplicate of the lead kept: %q", s.Text)
	}
	again, _ := e.Summarize(context.Background(), req)
	if !reflect.DeepEqual(s, again) {
		t.Error("not deterministic")
	}
}

func TestExtractive_Edges(t *testing.T) {
	e := NewExtractive()
	tests := []struct {
		name, title, text string
		want              []string
	}{
		{"empty", "T", "", nil},
		{"one short line", "T", "Tariffs up.", []string{"Tariffs up."}},
		{"only boilerplate", "T", "Subscribe now. Sign up for our newsletter today.", nil},
		{"headline line skipped", "",
			"China's surplus narrows as yuan climbs\n\nBEIJING - China's trade surplus narrowed to $78.4 billion in October. Exports rose 2.1% from a year earlier.",
			[]string{"BEIJING - China's trade surplus narrowed to $78.4 billion in October.", "Exports rose 2.1% from a year earlier."}},
		{"title repeated first", "Steel tariffs suspended for two years",
			"Steel tariffs suspended for two years\n\nThe two sides agreed to suspend the steel tariffs for two years on Tuesday. Officials in Brussels welcomed the move as a first step.",
			[]string{"The two sides agreed to suspend the steel tariffs for two years on Tuesday.", "Officials in Brussels welcomed the move as a first step."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.Select(tt.title, tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Summarize(ctx, digest.SummaryRequest{Text: tradeArticle}); err == nil {
		t.Error("cancelled context: want an error")
	}
}

func BenchmarkExtractive_Summarize(b *testing.B) {
	e := NewExtractive()
	req := digest.SummaryRequest{Title: "t", Text: strings.Repeat(tradeArticle+"\n\n", 4)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Summarize(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
}
