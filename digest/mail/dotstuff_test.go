package mail

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"
)

// stdDotStuffed is what textproto's DotWriter writes for src, without the
// ".\r\n" its Close adds.
func stdDotStuffed(t testing.TB, src []byte) []byte {
	t.Helper()
	msg := stdDotMessage(t, src)
	out, ok := bytes.CutSuffix(msg, []byte(".\r\n"))
	if !ok {
		t.Fatalf("DotWriter output %q does not end with .CRLF", msg)
	}
	return out
}

func TestAppendDotStuffed_MatchesTextproto(t *testing.T) {
	cases := []string{
		"\n", "\r\n", ".\r\n", "..\r\n", ".\n", "a.\r\n.b\r\n", "\r\r\n", "\r.\r\n", "a\rb\r\n",
		"a\r\r\r\n", "x\r\n\r\n.\r\n", "\r\r\r\n", ".\r.\r\n",
	}
	for _, s := range randomInputs(3, 200, "a.\r\n\r\n ") {
		cases = append(cases, s+"\n")
	}
	for _, s := range cases {
		if got, want := appendDotStuffed(nil, []byte(s)), stdDotStuffed(t, []byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("appendDotStuffed(%q)\n got %q\nwant %q", s, got, want)
		}
	}
}

func FuzzAppendDotStuffed(f *testing.F) {
	for _, s := range []string{"\n", ".\r\n", "a\rb\r\n.\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = append(b, '\n')
		if got, want := appendDotStuffed(nil, b), stdDotStuffed(t, b); !bytes.Equal(got, want) {
			t.Fatalf("appendDotStuffed(%q)\n got %q\nwant %q", b, got, want)
		}
	})
}

// stdDotMessage is what textproto's DotWriter writes for src and Close.
func stdDotMessage(t testing.TB, src []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	dw := textproto.NewWriter(bw).DotWriter()
	if _, err := dw.Write(src); err != nil {
		t.Fatal(err)
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAppendDotMessage_MatchesTextproto(t *testing.T) {
	cases := []string{"", "a", ".", "\r", "a\r", ".\r\n", "x\r\n.", "x\r\n.\r", "x\r\ny\r\r", "a\n\r.b"}
	cases = append(cases, randomInputs(5, 200, "a.\r\n\r\n ")...)
	for _, s := range cases {
		if got, want := appendDotMessage(nil, []byte(s)), stdDotMessage(t, []byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("appendDotMessage(%q)\n got %q\nwant %q", s, got, want)
		}
	}
}

func FuzzAppendDotMessage(f *testing.F) {
	for _, s := range []string{"", "a\r", ".x", "a\rb\r\n.\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := appendDotMessage(nil, b), stdDotMessage(t, b); !bytes.Equal(got, want) {
			t.Fatalf("appendDotMessage(%q)\n got %q\nwant %q", b, got, want)
		}
	})
}
