package mail

import (
	"bytes"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// stdQP is the reference: what go-mail does with a part's body.
func stdQP(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := quotedprintable.NewWriter(&buf)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAppendQP_MatchesStandardLibrary(t *testing.T) {
	cases := []string{
		"", "a", " ", "\t", "=", "\r", "\n", "\r\n", "\n\r", "\r\r\n", "a \r\nb\t\nc ",
		"\r=\n", "\r\xff\n", "trailing space ", "line\r\n.dot\r\n",
		strings.Repeat("x", 75), strings.Repeat("x", 76), strings.Repeat("x", 150) + " ",
		strings.Repeat("x", 73) + "=", strings.Repeat("x", 74) + "é", strings.Repeat("x", 75) + " \r\n",
		strings.Repeat("x", 72) + " \n", "<a href=\"https://example.com/?a=1&b=2\">Ünïcödé — “quotes”</a>",
	}
	cases = append(cases, randomInputs(1, 300, "ab =\t\r\n.\xc3\xa9\x00~!")...)
	for _, s := range cases {
		if got, want := appendQP(nil, s), stdQP(t, s); !bytes.Equal(got, want) {
			t.Fatalf("appendQP(%q)\n got %q\nwant %q", s, got, want)
		}
	}
	// Appending keeps what was there.
	if got := appendQP([]byte("pre"), "x y "); string(got) != "prex y=20" {
		t.Errorf("append to prefix: %q", got)
	}
}

func FuzzAppendQP(f *testing.F) {
	for _, s := range []string{"", "a \r\nb", strings.Repeat("é ", 60), "\r=\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendQP(nil, s), stdQP(t, s); !bytes.Equal(got, want) {
			t.Fatalf("appendQP(%q)\n got %q\nwant %q", s, got, want)
		}
	})
}

func BenchmarkQP(b *testing.B) {
	s := strings.Repeat("<p style=\"margin:0 0 12px 0\">Officials said tariffs on steel — and aluminium — would rise.</p>\n", 400)
	b.SetBytes(int64(len(s)))
	b.Run("stdlib", func(b *testing.B) {
		for range b.N {
			stdQP(b, s)
		}
	})
	b.Run("appendQP", func(b *testing.B) {
		var dst []byte
		for range b.N {
			dst = appendQP(dst[:0], s)
		}
	})
}

// randomInputs returns 20,000 strings of up to maxLen bytes drawn from
// alphabet, the same ones for the same seed: the inputs on which a fast
// encoder is compared with the standard library's, byte for byte.
func randomInputs(seed uint64, maxLen int, alphabet string) []string {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]string, 20000)
	for k := range out {
		b := make([]byte, rng.IntN(maxLen))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		out[k] = string(b)
	}
	return out
}

// TestQPLiteral checks the written-out table against its rule, and against
// the standard Writer: a byte it marks literal comes out of a one-byte
// body unchanged (space and tab only inside a line).
func TestQPLiteral(t *testing.T) {
	for b := range 256 {
		want := b >= '!' && b <= '~' && b != '=' || b == ' ' || b == '\t'
		if qpLiteral[b] != want {
			t.Errorf("qpLiteral[%#02x] = %v, want %v", b, qpLiteral[b], want)
		}
		body := "a" + string([]byte{byte(b)}) + "a"
		if got := string(stdQP(t, body)) == body; got != want && b != '\r' && b != '\n' {
			t.Errorf("byte %#02x: the standard Writer copies it: %v, qpLiteral says %v", b, got, want)
		}
	}
}
