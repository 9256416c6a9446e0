package mail

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw  string
		want SMTPConfig
	}{
		{"smtp://user@mail.example.com:587", SMTPConfig{Host: "mail.example.com", Port: 587, TLS: TLSStartTLS, Username: "user"}},
		{"smtp://mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 587, TLS: TLSStartTLS}},
		{"smtps://relay.example.com", SMTPConfig{Host: "relay.example.com", Port: 465, TLS: TLSImplicit}},
		{"smtps://u%40x@relay.example.com:2465", SMTPConfig{Host: "relay.example.com", Port: 2465, TLS: TLSImplicit, Username: "u@x"}},
		{"smtp://localhost:1025?tls=none", SMTPConfig{Host: "localhost", Port: 1025, TLS: TLSNone}},
		{"smtp://mx.example.com:25?tls=opportunistic&auth=login", SMTPConfig{Host: "mx.example.com", Port: 25, TLS: TLSOpportunistic, Auth: AuthLogin}},
		{"smtp://[::1]:2525?tls=none&helo=digest.example.com", SMTPConfig{Host: "::1", Port: 2525, TLS: TLSNone, HELO: "digest.example.com"}},
		{"SMTP://Mail.Example.com:587/", SMTPConfig{Host: "Mail.Example.com", Port: 587, TLS: TLSStartTLS}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseURL(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseURL = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseURL_Errors(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	tests := []struct{ raw, wantIn string }{
		{"http://mail.example.com", "scheme"},
		{"smtp://", "missing host"},
		{"smtp://mail.example.com:0", "bad port"},
		{"smtp://mail.example.com:99999", "bad port"},
		{"smtp://mail.example.com?tls=maybe", "tls=maybe"},
		{"smtps://mail.example.com?tls=none", "implicit"},
		{"smtp://mail.example.com?auth=magic", "auth=magic"},
		{"smtp://mail.example.com?verify=no", "unknown parameter"},
		{"smtp://mail.example.com/path", "want smtp://"},
		{"smtp://user:" + secret + "@mail.example.com:587", "DIGEST_SMTP_PASSWORD"},
		{"smtp://user:" + secret + "@mail.example.com:587?tls=bogus", "DIGEST_SMTP_PASSWORD"},
		{"smtp://user:" + secret + "@mail.example.com:bad", "not a valid URL"},
		{"smtp://user:" + secret + "@%zz", "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			_, err := ParseURL(tt.raw)
			if err == nil {
				t.Fatal("ParseURL succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not mention %q", err, tt.wantIn)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the password: %q", err)
			}
		})
	}
}

func TestSMTPConfig_String(t *testing.T) {
	c := SMTPConfig{Host: "mail.example.com", Port: 587, TLS: TLSStartTLS, Username: "u", Password: "hunter2"}
	if s := c.String(); strings.Contains(s, "hunter2") || s != "smtp://u@mail.example.com:587" {
		t.Errorf("String = %q", s)
	}
	// However it is logged or printed, the password stays out.
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("smtp", "config", c)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("smtp", "config", c)
	fmt.Fprintf(&buf, "%v %+v %#v %s\n", c, c, c, c)
	if out := buf.String(); strings.Contains(out, "hunter2") || !strings.Contains(out, "u@mail.example.com:587") {
		t.Errorf("logged or printed configuration:\n%s", out)
	}
	back, err := ParseURL(SMTPConfig{Host: "h", Port: 1025, TLS: TLSNone, Auth: AuthPlain}.String())
	if err != nil || back.TLS != TLSNone || back.Auth != AuthPlain || back.Port != 1025 {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"smtp://user@host:587", "smtps://host:465", "smtp://host:1025?tls=none", "smtp://u:p@h", "smtp://[::1]:25?auth=plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseURL(raw)
		if err != nil {
			return
		}
		if c.Host == "" || c.Port < 1 || c.Port > 65535 || c.Password != "" {
			t.Errorf("accepted %q as %+v", raw, c)
		}
		if _, err := NewSender(c, SenderOptions{}); err != nil {
			t.Errorf("NewSender refused a parsed config %+v: %v", c, err)
		}
	})
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("from-file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if _, ok, err := FromEnv(env()); ok || err != nil {
		t.Errorf("no DIGEST_SMTP_URL: ok=%v err=%v, want outbox mode", ok, err)
	}
	c, ok, err := FromEnv(env(EnvURL, "smtp://u@h:587", EnvPassword, "env-secret"))
	if !ok || err != nil || c.Password != "env-secret" || c.Username != "u" {
		t.Errorf("password from env: %+v %v %v", c, ok, err)
	}
	c, _, err = FromEnv(env(EnvURL, "smtp://u@h:587", EnvPasswordFile, pwFile))
	if err != nil || c.Password != "from-file-secret" {
		t.Errorf("password from file: %q %v", c.Password, err)
	}
	for name, e := range map[string]func(string) string{
		"both set":      env(EnvURL, "smtp://u@h", EnvPassword, "env-secret", EnvPasswordFile, pwFile),
		"missing file":  env(EnvURL, "smtp://u@h", EnvPasswordFile, filepath.Join(dir, "nope")),
		"no user":       env(EnvURL, "smtp://h", EnvPassword, "env-secret"),
		"bad url":       env(EnvURL, "smtp://u:env-secret@h", EnvPassword, "env-secret"),
		"unknown param": env(EnvURL, "smtp://u@h?x=env-secret", EnvPassword, "env-secret"),
	} {
		_, _, err := FromEnv(e)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "secret") && name != "unknown param" {
			t.Errorf("%s: error leaks a secret: %v", name, err)
		}
	}
}
