package mail

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func testMessage() digest.Message {
	return digest.Message{
		From:              "Trade Digest <digest@example.com>",
		To:                "ada@example.org",
		ToName:            "Ada Lovelace",
		Subject:           "Trade digest — 2026-11-27",
		MessageID:         "digest.2026-11-27.0123456789abcdef@digest.example.com",
		Date:              time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC),
		Text:              "Tariffs on steel rose.\n\nUnsubscribe: https://digest.example.com/u/tok\n",
		HTML:              "<html><body><p>Tariffs on <b>steel</b> rose.</p><a href=\"https://digest.example.com/u/tok\">Unsubscribe</a></body></html>",
		ListID:            "Trade digest <digest.example.com>",
		UnsubscribeURL:    "https://digest.example.com/u/tok?x=1,2",
		UnsubscribeMailto: "mailto:unsubscribe@example.com?subject=unsubscribe",
	}
}

// render is what Sender sends and Outbox writes (renderMessage);
// TestRenderMessage_SameBytesAsBuild checks it against go-mail's own
// writing of Build's message.
func render(t *testing.T, m digest.Message, opts BuildOptions) []byte {
	t.Helper()
	w, err := renderMessage(m, opts)
	if err != nil {
		t.Fatalf("renderMessage: %v", err)
	}
	if w.from != "<digest@example.com>" || w.to != "<"+m.To+">" {
		t.Errorf("envelope %q -> %q", w.from, w.to)
	}
	return w.data
}

// buildAndWrite is the reference: go-mail encodes the parts itself.
func buildAndWrite(t testing.TB, m digest.Message, opts BuildOptions) []byte {
	t.Helper()
	msg, err := Build(m, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return buf.Bytes()
}

func TestRenderMessage_SameBytesAsBuild(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC) }
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dkim := &DKIMConfig{Domain: "example.com", Selector: "s1", PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}
	long := strings.Repeat("Tariffs on steel — and “aluminium” — rose by 25 %. \n.dot line\r\n\ttabbed line \n", 40)
	for _, tt := range []struct {
		name       string
		text, html string
		opts       BuildOptions
	}{
		{"golden", testMessage().Text, testMessage().HTML, BuildOptions{}},
		{"long", long, "<p style=\"margin:0\">" + long + "</p>", BuildOptions{}},
		{"text only", long, "", BuildOptions{}},
		{"html only", "", "<b>Content-Transfer-Encoding: 8bit</b>\r\nContent-Transfer-Encoding: 8bit\r\n", BuildOptions{}},
		{"dkim", long, "<p>" + long + "</p>", BuildOptions{DKIM: dkim, Now: now}},
		{"dkim text only", long, "", BuildOptions{DKIM: dkim, Now: now}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			m.Text, m.HTML = tt.text, tt.html
			if got, want := render(t, m, tt.opts), buildAndWrite(t, m, tt.opts); !bytes.Equal(got, want) {
				t.Errorf("renderMessage differs from Build+WriteTo\n got %q\nwant %q", got, want)
			}
		})
	}
}

func parse(t *testing.T, raw []byte) *netmail.Message {
	t.Helper()
	pm, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot parse the message: %v\n%s", err, raw)
	}
	return pm
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decode %q: %v", v, err)
	}
	return s
}

func TestBuild_Headers(t *testing.T) {
	pm := parse(t, render(t, testMessage(), BuildOptions{}))
	h := pm.Header
	want := map[string]string{
		"Message-Id":            "<digest.2026-11-27.0123456789abcdef@digest.example.com>",
		"Date":                  "Fri, 27 Nov 2026 07:00:00 +0000",
		"List-Id":               "Trade digest <digest.example.com>",
		"List-Unsubscribe":      "<https://digest.example.com/u/tok?x=1%2C2>, <mailto:unsubscribe@example.com?subject=unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Mime-Version":          "1.0",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := decodeHeader(t, h.Get("Subject")); got != "Trade digest — 2026-11-27" {
		t.Errorf("Subject = %q", got)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "ada@example.org" || to[0].Name != "Ada Lovelace" {
		t.Errorf("To = %v (%v)", to, err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "digest@example.com" || from[0].Name != "Trade Digest" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(testMessage().Date) {
		t.Errorf("Date = %v (%v)", d, err)
	}
}

func TestBuild_AlternativeTextThenHTML(t *testing.T) {
	pm := parse(t, render(t, testMessage(), BuildOptions{}))
	mt, params, err := mime.ParseMediaType(pm.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", pm.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(pm.Body, params["boundary"])
	var types []string
	var bodies []string
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, _ := io.ReadAll(p)
		types = append(types, ct)
		bodies = append(bodies, string(b))
	}
	if !slices.Equal(types, []string{"text/plain", "text/html"}) {
		t.Fatalf("parts = %v, want text/plain then text/html", types)
	}
	m := testMessage()
	if strings.ReplaceAll(bodies[0], "\r\n", "\n") != m.Text {
		t.Errorf("text part = %q, want %q", bodies[0], m.Text)
	}
	if bodies[1] != m.HTML {
		t.Errorf("html part = %q, want %q", bodies[1], m.HTML)
	}
}

func TestBuild_Unsubscribe(t *testing.T) {
	tests := []struct {
		name, url, mailto string
		wantUnsub         string
		wantPost          bool
	}{
		{"both", "https://x.example/u/1", "mailto:u@x.example", "<https://x.example/u/1>, <mailto:u@x.example>", true},
		{"https only", "https://x.example/u/1", "", "<https://x.example/u/1>", true},
		{"mailto only", "", "u@x.example", "<mailto:u@x.example>", false},
		{"http is listed but not one-click", "http://localhost:8080/u/1", "", "<http://localhost:8080/u/1>", false},
		{"neither", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			m.UnsubscribeURL, m.UnsubscribeMailto = tt.url, tt.mailto
			h := parse(t, render(t, m, BuildOptions{})).Header
			if got := h.Get("List-Unsubscribe"); got != tt.wantUnsub {
				t.Errorf("List-Unsubscribe = %q, want %q", got, tt.wantUnsub)
			}
			if got := h.Get("List-Unsubscribe-Post") != ""; got != tt.wantPost {
				t.Errorf("List-Unsubscribe-Post present = %v, want %v", got, tt.wantPost)
			}
		})
	}
}

func TestBuild_Invalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*digest.Message)
	}{
		{"no body", func(m *digest.Message) { m.Text, m.HTML = "", "" }},
		{"bad to", func(m *digest.Message) { m.To = "not an address" }},
		{"to with name", func(m *digest.Message) { m.To = "Ada <ada@example.org>" }},
		{"to with CRLF", func(m *digest.Message) { m.To = "ada@example.org\r\nBcc: eve@evil.example" }},
		{"two to", func(m *digest.Message) { m.To = "ada@example.org, eve@evil.example" }},
		{"from with CRLF", func(m *digest.Message) { m.From = "d@example.com\r\nBcc: eve@evil.example" }},
		{"bad from", func(m *digest.Message) { m.From = "" }},
		{"message-id with CRLF", func(m *digest.Message) { m.MessageID = "a@b\r\nBcc: eve@evil.example" }},
		{"message-id with brackets", func(m *digest.Message) { m.MessageID = "<a@b>" }},
		{"message-id without @", func(m *digest.Message) { m.MessageID = "digest.1" }},
		{"url with CRLF", func(m *digest.Message) { m.UnsubscribeURL = "https://x.example/u\r\nBcc: eve@evil.example" }},
		{"url with >", func(m *digest.Message) { m.UnsubscribeURL = "https://x.example/u>, <https://evil.example" }},
		{"javascript url", func(m *digest.Message) { m.UnsubscribeURL = "javascript:alert(1)" }},
		{"mailto with CRLF", func(m *digest.Message) { m.UnsubscribeMailto = "mailto:u@x.example\r\nBcc: e@x" }},
		{"mailto not an address", func(m *digest.Message) { m.UnsubscribeMailto = "mailto:nobody" }},
		{"list-id not dot-atom", func(m *digest.Message) { m.ListID = "Digest <not valid>" }},
		{"list-id injection", func(m *digest.Message) { m.ListID = "Digest <a.b>\r\nBcc: <e.x>" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			tt.edit(&m)
			_, err := Build(m, BuildOptions{})
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			if !digest.IsPermanent(err) {
				t.Errorf("error %v does not wrap digest.ErrPermanent", err)
			}
		})
	}
}

// TestBuild_HeaderInjection feeds CR/LF through every free-text field and
// checks, by parsing the output with net/mail, that no header was added.
func TestBuild_HeaderInjection(t *testing.T) {
	payloads := []string{"\r\nBcc: eve@evil.example", "\nBcc: eve@evil.example", "\rBcc: eve@evil.example",
		"\r\n\r\n<script>body</script>", "\u2028Bcc: eve@evil.example", "\x00\x1b[31m"}
	fields := map[string]func(*digest.Message, string){
		"subject":   func(m *digest.Message, p string) { m.Subject = "Digest" + p },
		"to name":   func(m *digest.Message, p string) { m.ToName = "Ada" + p },
		"from name": func(m *digest.Message, p string) { m.From = `"Trade` + p + `" <digest@example.com>` },
		"list-id":   func(m *digest.Message, p string) { m.ListID = "Trade" + p + " <digest.example.com>" },
	}
	clean := parse(t, render(t, testMessage(), BuildOptions{})).Header
	for name, set := range fields {
		for _, p := range payloads {
			t.Run(name, func(t *testing.T) {
				m := testMessage()
				set(&m, p)
				msg, err := Build(m, BuildOptions{})
				if err != nil {
					if !digest.IsPermanent(err) {
						t.Fatalf("rejected without ErrPermanent: %v", err)
					}
					return // refusing is as good as neutralising
				}
				var buf bytes.Buffer
				if _, err := msg.WriteTo(&buf); err != nil {
					t.Fatal(err)
				}
				h := parse(t, buf.Bytes()).Header
				if len(h) != len(clean) {
					t.Errorf("header count %d, clean message has %d: %v", len(h), len(clean), keys(h))
				}
				if h.Get("Bcc") != "" || len(h["To"]) != 1 {
					t.Errorf("injected header: Bcc=%q To=%q", h.Get("Bcc"), h["To"])
				}
				for k, vs := range h {
					for _, v := range vs {
						if dec, err := new(mime.WordDecoder).DecodeHeader(v); err == nil && strings.ContainsAny(dec, "\r\n\x00") {
							t.Errorf("%s decodes to a value with control characters: %q", k, dec)
						}
					}
				}
			})
		}
	}
}

func keys(h netmail.Header) []string {
	var out []string
	for k := range h {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestBuild_DeterministicAndGolden(t *testing.T) {
	a := render(t, testMessage(), BuildOptions{})
	b := render(t, testMessage(), BuildOptions{})
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of one message differ")
	}
	golden := filepath.Join("testdata", "digest.eml")
	if *update {
		if err := os.WriteFile(golden, a, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(a, want) {
		t.Errorf("message differs from %s (run with -update after checking):\n%s", golden, a)
	}
}

func rsaKeyPEM(t *testing.T) ([]byte, *rsa.PublicKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), &key.PublicKey
}

func TestBuild_DKIM(t *testing.T) {
	rsaPEM, rsaPub := rsaKeyPEM(t)
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	edPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	for _, k := range []struct {
		name string
		pem  []byte
		pub  any
	}{{"rsa", rsaPEM, rsaPub}, {"ed25519", edPEM, edPub}} {
		t.Run(k.name, func(t *testing.T) {
			cfg := &DKIMConfig{Domain: "example.com", Selector: "digest", PrivateKeyPEM: k.pem}
			opts := BuildOptions{DKIM: cfg, Now: func() time.Time { return testMessage().Date }}
			raw := render(t, testMessage(), opts)
			h := parse(t, raw).Header
			if !strings.Contains(h.Get("Dkim-Signature"), "d=example.com") {
				t.Fatalf("no DKIM signature for example.com: %q", h.Get("Dkim-Signature"))
			}
			hlist, err := dkimVerify(raw, k.pub)
			if err != nil {
				t.Fatalf("signature does not verify: %v\n%s", err, raw)
			}
			for _, want := range []string{"From", "To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"} {
				if !slices.ContainsFunc(hlist, func(s string) bool { return strings.EqualFold(s, want) }) {
					t.Errorf("h= %v does not cover %s", hlist, want)
				}
			}
			// Tampering with a signed List-* header must break the signature.
			for _, tamper := range [][2]string{
				{"List-Unsubscribe: <https://digest.example.com/u/tok?x=1%2C2>", "List-Unsubscribe: <https://evil.example/u>"},
				{"List-Unsubscribe-Post: List-Unsubscribe=One-Click", "List-Unsubscribe-Post: List-Unsubscribe=Two-Click"},
				{"List-Id: Trade digest <digest.example.com>", "List-Id: Trade digest <evil.example.com>"},
			} {
				bad := bytes.Replace(raw, []byte(tamper[0]), []byte(tamper[1]), 1)
				if bytes.Equal(bad, raw) {
					t.Fatalf("tamper target %q not found in message", tamper[0])
				}
				if _, err := dkimVerify(bad, k.pub); err == nil {
					t.Errorf("signature still verifies after changing %q", tamper[0])
				}
			}
		})
	}
}

func TestDKIMConfig_Validate(t *testing.T) {
	for _, c := range []*DKIMConfig{
		{Selector: "s", PrivateKeyPEM: []byte("x")},
		{Domain: "d", PrivateKeyPEM: []byte("x")},
		{Domain: "d", Selector: "s", PrivateKeyPEM: []byte("not pem")},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
	}
}

// FuzzBuild checks that no combination of free-text fields adds a header or
// breaks the message for net/mail.
func FuzzBuild(f *testing.F) {
	f.Add("Digest\r\nBcc: e@x", "Ada\nX: y", "Trade <digest.example.com>", "https://x.example/u?a=b")
	f.Add("=?UTF-8?q?a=0D=0AX:_y?=", "\"Ada\" <a@b>", "<a.b>", "https://x.example/u\r\n")
	f.Fuzz(func(t *testing.T, subject, name, listID, unsub string) {
		m := testMessage()
		m.Subject, m.ToName, m.ListID, m.UnsubscribeURL = subject, name, listID, unsub
		msg, err := Build(m, BuildOptions{})
		if err != nil {
			if !digest.IsPermanent(err) {
				t.Fatalf("error without ErrPermanent: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if w, err := renderMessage(m, BuildOptions{}); err != nil || !bytes.Equal(w.data, buf.Bytes()) {
			t.Fatalf("renderMessage differs from Build+WriteTo (%v)", err)
		}
		pm, err := netmail.ReadMessage(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("net/mail cannot parse: %v", err)
		}
		for _, k := range keys(pm.Header) {
			switch k {
			case "Date", "From", "To", "Subject", "Message-Id", "Mime-Version", "Content-Type", "List-Id",
				"List-Unsubscribe", "List-Unsubscribe-Post", "Precedence", "User-Agent", "X-Mailer", "X-Auto-Response-Suppress":
				if len(pm.Header[k]) != 1 {
					t.Errorf("%d %s headers", len(pm.Header[k]), k)
				}
			default:
				t.Errorf("unexpected header %q", k)
			}
		}
	})
}

func TestBuild_SinglePart(t *testing.T) {
	for _, tt := range []struct{ text, html, want string }{
		{"only text", "", "text/plain"},
		{"", "<p>only html</p>", "text/html"},
	} {
		m := testMessage()
		m.Text, m.HTML = tt.text, tt.html
		pm := parse(t, render(t, m, BuildOptions{}))
		ct, _, err := mime.ParseMediaType(pm.Header.Get("Content-Type"))
		if err != nil || ct != tt.want {
			t.Errorf("Content-Type = %q (%v), want %s", pm.Header.Get("Content-Type"), err, tt.want)
		}
	}
}

// FuzzRenderMessage checks that renderMessage's bodies are go-mail's, byte
// for byte, whatever the text and HTML.
func FuzzRenderMessage(f *testing.F) {
	f.Add(testMessage().Text, testMessage().HTML)
	f.Add("a \r\n.b\rc\n", "")
	f.Add("", "=\r\xff\n\t")
	f.Fuzz(func(t *testing.T, text, html string) {
		m := testMessage()
		m.Text, m.HTML = text, html
		w, err := renderMessage(m, BuildOptions{})
		if text == "" && html == "" {
			if err == nil {
				t.Fatal("no body: no error")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := buildAndWrite(t, m, BuildOptions{}); !bytes.Equal(w.data, want) {
			t.Fatalf("renderMessage differs from Build+WriteTo\n got %q\nwant %q", w.data, want)
		}
	})
}
