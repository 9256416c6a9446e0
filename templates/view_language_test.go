package templates

import (
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

func TestStoryView_LanguageNote(t *testing.T) {
	for lang, want := range map[string]string{"de": "(in German)", "fr": "(in French)", "en": "", "": "", "xx": ""} {
		st := digest.Story{Articles: []digest.Article{{Title: "T", Language: lang}}}
		if got := storyView(st, time.UTC).LanguageNote; got != want {
			t.Errorf("language %q: LanguageNote %q, want %q", lang, got, want)
		}
	}
}
