// Package redact hides credentials in URLs before they are shown: in logs,
// metrics labels, run reports and command output. A feed URL may carry a
// password (https://user:pass@host/feed) or a key in its query
// (?apikey=…), and a database URL a password; the program needs them to
// connect, but nobody reading its output does.
//
// What is hidden: the password of the userinfo (the user name stays, so
// that two accounts remain distinguishable), and the value of every query
// or fragment parameter whose name looks secret (see SecretKey). Each is
// replaced by Mask. Everything else is kept byte for byte, so a redacted
// URL still says which feed it is.
package redact

import (
	"context"
	"log/slog"
	"net/url"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// Mask replaces a hidden value.
const Mask = "xxxxx"

// secretNames are parameter names (lower case, '-' and '_' removed) whose
// values are credentials.
var secretNames = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"key": true, "apikey": true, "token": true, "accesstoken": true, "refreshtoken": true, "idtoken": true,
		"secret": true, "clientsecret": true, "password": true, "passwd": true, "pwd": true, "pass": true,
		"sig": true, "signature": true, "auth": true, "authorization": true, "credential": true, "credentials": true,
		"session": true, "sessionid": true, "sid": true, "jwt": true,
		"xamzsignature": true, "xamzcredential": true, "xamzsecuritytoken": true, "xgoogsignature": true, "xgoogcredential": true,
	}
}}

// secretSuffixes catch the many spellings of the same thing: auth_token,
// x-api-key, private_key, app_secret, db_password.
var secretSuffixes = []string{"token", "secret", "password", "apikey", "key", "signature"}

// SecretKey reports whether a query parameter named name carries a
// credential: apikey, api_key, key, token, access_token, secret, password,
// sig, signature and the like, in any case, with '-' or '_' anywhere, or a
// name ending in token, secret, password, key or signature.
func SecretKey(name string) bool {
	n := strings.ToLower(name)
	n = strings.NewReplacer("-", "", "_", "", ".", "").Replace(n)
	if secretNames.Get()[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// URL returns raw with its userinfo password and secret-looking parameter
// values replaced by Mask. A string that is not an absolute URL (a file
// path, an address) is returned as it is.
func URL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#@ ") {
		return raw
	}
	// The authority ends at the first '/', '?' or '#'; a password may
	// hold '@', so the userinfo ends at the last '@' before that.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		if user, _, hasPass := strings.Cut(authority[:at], ":"); hasPass {
			authority = user + ":" + Mask + authority[at:]
		}
	}
	path, query, hasQuery := strings.Cut(tail, "?")
	var frag string
	var hasFrag bool
	if hasQuery {
		query, frag, hasFrag = strings.Cut(query, "#")
	} else {
		path, frag, hasFrag = strings.Cut(path, "#")
	}
	var b strings.Builder
	b.Grow(len(raw))
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(authority)
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(params(query))
	}
	if hasFrag {
		b.WriteByte('#')
		b.WriteString(params(frag))
	}
	return b.String()
}

// params masks the values of secret parameters in a query (or a fragment
// written like one, as OAuth's #access_token=…), keeping the rest as it is.
func params(q string) string {
	if !strings.Contains(q, "=") {
		return q
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if SecretKey(name) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// Report returns rep with credentials hidden in every source URL, error
// and note, for showing: a stored report keeps what the run saw.
func Report(rep digest.Report) digest.Report {
	srcs := make([]digest.SourceReport, len(rep.Sources))
	for i, s := range rep.Sources {
		s.ID, s.Name, s.Error = URL(s.ID), Text(s.Name), Text(s.Error)
		srcs[i] = s
	}
	if rep.Sources != nil {
		rep.Sources = srcs
	}
	rep.Errors = texts(rep.Errors)
	rep.Notes = texts(rep.Notes)
	rep.Articles = Articles(rep.Articles)
	return rep
}

// Articles returns a run's account of articles with credentials hidden in
// every URL, outlet (a source ID stands in for a missing outlet name) and
// detail.
func Articles(lines []digest.ArticleFate) []digest.ArticleFate {
	if lines == nil {
		return nil
	}
	out := make([]digest.ArticleFate, len(lines))
	for i, l := range lines {
		l.URL, l.Source, l.Detail = URL(l.URL), Text(l.Source), Text(l.Detail)
		out[i] = l
	}
	return out
}

func texts(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = Text(s)
	}
	return out
}

// urlInText finds URLs in free text (error messages quote them with %q, so
// a URL ends at a quote, a space or an angle bracket).
var urlInText = lazyre.New(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>` + "`" + `]+`)

// Text redacts every URL inside s (an error message, a log line, a report
// note) as URL does.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlInText.Get().ReplaceAllStringFunc(s, URL)
}

// Handler wraps h so that every record's message and attribute values
// (strings, errors and anything printed with %v) are passed through Text:
// a URL with a password or a key that reaches a log line by any path,
// including an error from a library, is shown redacted.
func Handler(h slog.Handler) slog.Handler { return &handler{next: h} }

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Text(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = attr(a)
	}
	return &handler{next: h.next.WithAttrs(red)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name)}
}

// attr redacts one attribute, descending into groups.
func attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Text(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			red[i] = attr(x)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			if s := x.Error(); strings.Contains(s, "://") {
				return slog.String(a.Key, Text(s))
			}
		case []string:
			red := make([]string, len(x))
			for i, s := range x {
				red[i] = Text(s)
			}
			return slog.Any(a.Key, red)
		case interface{ String() string }:
			if s := x.String(); strings.Contains(s, "://") {
				return slog.String(a.Key, Text(s))
			}
		}
	}
	a.Value = v
	return a
}
