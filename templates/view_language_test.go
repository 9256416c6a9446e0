package templates

import (
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

func TestStoryView_LanguageNote(t *testing.T) {
	for lang, want := range map[string]string{"de": "(in German)", "fr": "(in French)", "en": "", "": "", "xx": ""} {
		st := digest.Story{Articles: []digest.Article{{Title: "T", Language: lang}}}
		if got := storyView(st, time.UTC, "en").LanguageNote; got != want {
			t.Errorf("language %q: LanguageNote %q, want %q", lang, got, want)
		}
	}
	llm := digest.Summary{Backend: "openai", Headline: "Steel quotas published", Text: "Quotas were published."}
	extractive := digest.Summary{Backend: "extractive", Text: "Die Quoten wurden veröffentlicht."}
	fallback := llm
	fallback.Backend, fallback.Fallback = "extractive", true
	tests := []struct {
		name, article, edition string
		sum                    digest.Summary
		want                   string
	}{
		{"LLM summary of a German article", "de", "en", llm, "(from German)"},
		{"LLM summary of a French article", "fr", "en", llm, "(from French)"},
		{"extractive summary keeps the original", "de", "en", extractive, "(in German)"},
		{"fallback keeps the original", "fr", "en", fallback, "(in French)"},
		{"German article in a German edition", "de", "de", llm, ""},
		{"English article in a German edition", "en", "de", llm, "(from English)"},
		{"English article, extractive, German edition", "en", "de", extractive, "(in English)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := digest.Story{Summary: tt.sum, Articles: []digest.Article{{Title: "T", Language: tt.article}}}
			if got := storyView(st, time.UTC, tt.edition).LanguageNote; got != tt.want {
				t.Errorf("LanguageNote %q, want %q", got, tt.want)
			}
		})
	}
}
