package templates

import (
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

func TestRenderer_Render_golden(t *testing.T) {
	r := newRenderer(t, Options{})
	empty := fixtureEdition()
	empty.Stories, empty.More, empty.Lead = nil, 0, ""
	tests := []struct {
		name string
		ed   digest.Edition
	}{
		{"digest", fixtureEdition()},
		{"empty", empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := render(t, r, tt.ed)
			golden(t, tt.name+".txt.golden", "Subject: "+msg.Subject+"\n\n"+msg.Text)
			golden(t, tt.name+".html.golden", msg.HTML)
		})
	}
	t.Run("public", func(t *testing.T) {
		ae, err := r.RenderPublic(fixtureEdition())
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "public.txt.golden", "Subject: "+ae.Subject+"\n\n"+ae.Text)
		golden(t, "public.html.golden", ae.HTML)
	})
}
