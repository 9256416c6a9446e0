package templates

import (
	"bytes"
	"encoding/binary"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// qpLen is the size of s encoded by mime/quotedprintable, as go-mail
// sends both parts.
func qpLen(t testing.TB, s string) int {
	t.Helper()
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Len()
}

// TestWireSize checks the estimate against mime/quotedprintable, which
// go-mail uses: never below the real size, and at most 2% above it (and a
// few bytes per line that ends in a space).
func TestWireSize(t *testing.T) {
	r := newRenderer(t, Options{MaxBytes: 1 << 30})
	msg := render(t, r, longEdition(40))
	fix := render(t, r, fixtureEdition())
	for name, s := range map[string]string{
		"long html": msg.HTML, "long text": msg.Text, "fixture html": fix.HTML, "fixture text": fix.Text,
		"ascii":     strings.Repeat("Tariffs rise. ", 500),
		"equals":    strings.Repeat(`style="a=b" `, 300),
		"non-ascii": strings.Repeat("Zölle — “Handel” € ", 300),
		"trailing":  "line with trailing space \nand tab\t\nend ",
		"empty":     "",
	} {
		got, want := wireSize(s), qpLen(t, s)
		// A space before a line end is counted with room for a soft break.
		slack := 5 * (strings.Count(s, " \n") + strings.Count(s, "\t\n") + strings.Count(s+"\n", " \n\n"))
		if got < want || float64(got) > float64(want)*1.02+8+float64(slack) {
			t.Errorf("%s: wireSize %d, quoted-printable %d", name, got, want)
		}
		if len(s) > 10_000 {
			t.Logf("%s: %d bytes, %d on the wire (+%.1f%%)", name, len(s), want, 100*float64(want-len(s))/float64(len(s)))
		}
	}
}

// TestWireSize_random compares the estimate with the encoder on random
// mixes of the bytes that matter (plain, "=", spaces, tabs, line ends,
// multi-byte UTF-8) and on every short length, so the eight-byte path is
// checked at every alignment.
func TestWireSize_random(t *testing.T) {
	pieces := []string{"a", "Z", "=", " ", "\t", "\n", "—", "é", "<td style=\"x\">", "~", "\x7f", "\x1f"}
	seed := uint64(1)
	for n := range 400 {
		var b strings.Builder
		for range n {
			seed = seed*6364136223846793005 + 1442695040888963407
			b.WriteString(pieces[seed>>33%uint64(len(pieces))])
		}
		s := b.String()
		got, want := wireSize(s), qpLen(t, s)
		slack := 5 * (strings.Count(s, " \n") + strings.Count(s, "\t\n") + 1)
		if got < want || float64(got) > float64(want)*1.02+8+float64(slack) {
			t.Fatalf("length %d: wireSize %d, quoted-printable %d for %q", len(s), got, want, s)
		}
	}
}

func TestPlain8(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"abcdefgh", true}, {"        ", true}, {"~~~~~~~~", true}, {"abc=defg", false}, {"abcdefg\n", false},
		{"\x7fbcdefgh", false}, {"abcdefg\x80", false}, {"abc\x1fdefg", false}, {"abc\tdefg", false}, {"!<>\"'/;:", true},
	} {
		if got := plain8(binary.LittleEndian.Uint64([]byte(tc.s))); got != tc.want {
			t.Errorf("plain8(%q) = %v", tc.s, got)
		}
	}
}

func BenchmarkWireSize(b *testing.B) {
	r := newRenderer(b, Options{})
	msg, err := r.Render(typicalEdition(20))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg.HTML)))
	b.ReportAllocs()
	for b.Loop() {
		wireSize(msg.HTML)
	}
}

// TestQPWidth checks the written-out table against its rule and against
// mime/quotedprintable: each byte inside a line takes that many bytes.
func TestQPWidth(t *testing.T) {
	for c := range 256 {
		want := uint8(3)
		if c >= ' ' && c <= '~' && c != '=' || c == '\t' {
			want = 1
		}
		if qpWidth[c] != want {
			t.Errorf("qpWidth[%#02x] = %d, want %d", c, qpWidth[c], want)
		}
		if c == '\r' || c == '\n' {
			continue // line breaks are counted apart
		}
		if got := qpLen(t, "a"+string([]byte{byte(c)})+"a") - 2; got != int(want) {
			t.Errorf("byte %#02x: mime/quotedprintable writes %d bytes, qpWidth says %d", c, got, want)
		}
	}
}
