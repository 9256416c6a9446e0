package mail

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// TLSMode is how a connection to the SMTP server is secured.
type TLSMode string

// TLS modes.
const (
	// TLSStartTLS requires STARTTLS; a server without it is an error.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (smtps://, port 465).
	TLSImplicit TLSMode = "implicit"
	// TLSOpportunistic uses STARTTLS when offered, plain text otherwise.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSNone never encrypts: for local test servers only.
	TLSNone TLSMode = "none"
)

// Auth mechanisms accepted in SMTPConfig.Auth.
const (
	AuthAuto   = ""      // auto-discover when a user is set (refuses cleartext PLAIN/LOGIN off TLS)
	AuthNone   = "none"  // never authenticate
	AuthPlain  = "plain" // PLAIN; go-mail refuses it without TLS unless the host is localhost
	AuthLogin  = "login"
	AuthCRAM   = "cram-md5"
	AuthSCRAM  = "scram-sha-256"
	AuthSCRAM1 = "scram-sha-1"
)

// SMTPConfig is where and how to send. Password is never printed by String
// nor included in any error.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      TLSMode
	Username string
	// Password comes from DIGEST_SMTP_PASSWORD or DIGEST_SMTP_PASSWORD_FILE,
	// never from the URL.
	Password string
	// Auth is one of the Auth* mechanisms; AuthAuto by default.
	Auth string
	// HELO is the name sent in EHLO; the local host name when empty.
	HELO string
}

// Addr returns host:port.
func (c SMTPConfig) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// String describes the configuration without the password.
func (c SMTPConfig) String() string {
	scheme := "smtp"
	if c.TLS == TLSImplicit {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: c.Addr()}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	q := url.Values{}
	if c.TLS != TLSImplicit && c.TLS != TLSStartTLS && c.TLS != "" {
		q.Set("tls", string(c.TLS))
	}
	if c.Auth != "" {
		q.Set("auth", c.Auth)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// LogValue makes slog write the configuration as String does: a JSON
// handler would otherwise print every exported field, Password included.
func (c SMTPConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// GoString keeps %#v from printing the password too.
func (c SMTPConfig) GoString() string { return "mail.SMTPConfig(" + c.String() + ")" }

// ParseURL reads DIGEST_SMTP_URL:
//
//	smtp://user@host:587              STARTTLS required (port 587 by default)
//	smtps://user@host:465             implicit TLS (port 465 by default)
//	smtp://host:1025?tls=none         plain text, for local test servers only
//	smtp://host:25?tls=opportunistic  STARTTLS when offered
//
// An optional auth=plain|login|cram-md5|scram-sha-1|scram-sha-256|none picks
// the mechanism (auto-discovered by default when a user is given). A password
// in the URL is refused: it belongs in DIGEST_SMTP_PASSWORD(_FILE). Errors
// never repeat the password.
func ParseURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Error repeats the input, which may hold a password.
		return SMTPConfig{}, errors.New("parse smtp url: not a valid URL (want smtp://user@host:587)")
	}
	shown := redact(u)
	if _, has := u.User.Password(); has {
		return SMTPConfig{}, fmt.Errorf("parse smtp url %q: a password in the URL is not accepted; set DIGEST_SMTP_PASSWORD or DIGEST_SMTP_PASSWORD_FILE", shown)
	}
	var c SMTPConfig
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		c.TLS, c.Port = TLSStartTLS, 587
	case "smtps":
		c.TLS, c.Port = TLSImplicit, 465
	default:
		return SMTPConfig{}, fmt.Errorf("parse smtp url %q: scheme must be smtp or smtps", shown)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return SMTPConfig{}, fmt.Errorf("parse smtp url %q: want smtp://[user@]host[:port][?tls=...]", shown)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return SMTPConfig{}, fmt.Errorf("parse smtp url %q: missing host", shown)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("parse smtp url %q: bad port %q", shown, p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
	}
	for key, vals := range u.Query() {
		val := strings.ToLower(vals[len(vals)-1])
		switch strings.ToLower(key) {
		case "tls":
			mode := TLSMode(val)
			switch {
			case c.TLS == TLSImplicit && mode != TLSImplicit:
				return SMTPConfig{}, fmt.Errorf("parse smtp url %q: smtps:// is always implicit TLS; use smtp:// with tls=%s", shown, val)
			case mode == TLSNone || mode == TLSOpportunistic || mode == TLSStartTLS || mode == TLSImplicit:
				c.TLS = mode
			default:
				return SMTPConfig{}, fmt.Errorf("parse smtp url %q: tls=%s: want starttls, implicit, opportunistic or none", shown, val)
			}
		case "auth":
			switch val {
			case "auto":
				c.Auth = AuthAuto
			case AuthNone, AuthPlain, AuthLogin, AuthCRAM, AuthSCRAM, AuthSCRAM1:
				c.Auth = val
			default:
				return SMTPConfig{}, fmt.Errorf("parse smtp url %q: auth=%s: want auto, none, plain, login, cram-md5, scram-sha-1 or scram-sha-256", shown, val)
			}
		case "helo":
			c.HELO = vals[len(vals)-1]
		default:
			return SMTPConfig{}, fmt.Errorf("parse smtp url %q: unknown parameter %q (known: tls, auth, helo)", shown, key)
		}
	}
	return c, nil
}

// redact returns u without any password, for messages.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// Environment variables read by FromEnv.
const (
	EnvURL          = "DIGEST_SMTP_URL"
	EnvPassword     = "DIGEST_SMTP_PASSWORD"
	EnvPasswordFile = "DIGEST_SMTP_PASSWORD_FILE"
)

// FromEnv reads DIGEST_SMTP_URL and the password from DIGEST_SMTP_PASSWORD
// or DIGEST_SMTP_PASSWORD_FILE (one trailing newline trimmed). ok is false
// when DIGEST_SMTP_URL is unset: the caller then uses the outbox. Setting
// both password variables is an error. No error repeats a secret.
func FromEnv(getenv func(string) string) (cfg SMTPConfig, ok bool, err error) {
	raw := getenv(EnvURL)
	if raw == "" {
		return SMTPConfig{}, false, nil
	}
	cfg, err = ParseURL(raw)
	if err != nil {
		return SMTPConfig{}, true, fmt.Errorf("%s: %w", EnvURL, err)
	}
	pw, file := getenv(EnvPassword), getenv(EnvPasswordFile)
	switch {
	case pw != "" && file != "":
		return SMTPConfig{}, true, fmt.Errorf("set only one of %s and %s", EnvPassword, EnvPasswordFile)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return SMTPConfig{}, true, fmt.Errorf("%s: read password file: %w", EnvPasswordFile, err)
		}
		pw = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if pw == "" {
			return SMTPConfig{}, true, fmt.Errorf("%s: file %s is empty", EnvPasswordFile, file)
		}
	}
	if pw != "" && cfg.Username == "" {
		return SMTPConfig{}, true, fmt.Errorf("%s is set but %s has no user (want smtp://user@host:587)", EnvPassword, EnvURL)
	}
	cfg.Password = pw
	return cfg, true, nil
}
