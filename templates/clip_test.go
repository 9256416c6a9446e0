package templates

import (
	"bytes"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail"
)

// gmailClip is Gmail's clipping threshold, 102 KB, read as the smaller
// 102,000 bytes.
const gmailClip = 102_000

// TestRenderer_Render_underGmailClip builds the sent message (headers,
// MIME parts, quoted-printable bodies) for editions far over the limit and
// checks that the whole .eml stays under Gmail's clipping threshold: the
// size limit counts what is sent, not what was rendered.
func TestRenderer_Render_underGmailClip(t *testing.T) {
	r := newRenderer(t, Options{})
	for _, tc := range []struct {
		name string
		ed   digest.Edition
	}{
		{"200 long stories", longEdition(200)},
		{"400 fixture stories", typicalEdition(400)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := render(t, r, tc.ed)
			msg.From = "Trade Digest <digest@digest.example.com>"
			msg.MessageID = "20261127.ana.0123456789abcdef@digest.example.com"
			msg.Date = time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
			msg.ListID = "Trade Digest <digest.example.com>"
			msg.UnsubscribeURL = "https://digest.example.com/unsubscribe?t=" + string(bytes.Repeat([]byte("t"), 120))
			msg.UnsubscribeMailto = "mailto:unsubscribe@digest.example.com?subject=unsubscribe"
			m, err := mail.Build(msg, mail.BuildOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var eml bytes.Buffer
			if _, err := m.WriteTo(&eml); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes on the wire (HTML %d and text %d as rendered)", eml.Len(), len(msg.HTML), len(msg.Text))
			if eml.Len() > gmailClip {
				t.Errorf("the message is %d bytes as sent, over Gmail's %d", eml.Len(), gmailClip)
			}
		})
	}
}
