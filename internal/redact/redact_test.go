package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:pa55@feeds.example.com/trade.rss", "https://user:xxxxx@feeds.example.com/trade.rss"},
		{"https://user:p@ss:w@rd@feeds.example.com/x", "https://user:xxxxx@feeds.example.com/x"},
		{"https://user@feeds.example.com/x", "https://user@feeds.example.com/x"},
		{"https://feeds.example.com/rss?apikey=s3cret&lang=en", "https://feeds.example.com/rss?apikey=xxxxx&lang=en"},
		{"https://x.example/rss?lang=en&API_KEY=s3cret", "https://x.example/rss?lang=en&API_KEY=xxxxx"},
		{"https://x.example/rss?api-key=a&key=b&token=c&access_token=d&secret=e&password=f&sig=g&signature=h&page=2",
			"https://x.example/rss?api-key=xxxxx&key=xxxxx&token=xxxxx&access_token=xxxxx&secret=xxxxx&password=xxxxx&sig=xxxxx&signature=xxxxx&page=2"},
		{"https://x.example/rss?X-Amz-Signature=abc&X-Amz-Credential=def&auth_token=g&private_key=h", "https://x.example/rss?X-Amz-Signature=xxxxx&X-Amz-Credential=xxxxx&auth_token=xxxxx&private_key=xxxxx"},
		{"https://x.example/cb#access_token=abc&state=1", "https://x.example/cb#access_token=xxxxx&state=1"},
		{"https://x.example/page#section-2", "https://x.example/page#section-2"},
		{"https://x.example/rss?ap%69key=s3cret", "https://x.example/rss?ap%69key=xxxxx"},
		{"postgres://digest:hunter2@db:5432/digest?sslmode=disable", "postgres://digest:xxxxx@db:5432/digest?sslmode=disable"},
		{"postgres://digest@db/digest?password=hunter2", "postgres://digest@db/digest?password=xxxxx"},
		{"https://x.example/rss?utm_source=a&q=tariffs", "https://x.example/rss?utm_source=a&q=tariffs"},
		{"/srv/feeds/trade.opml", "/srv/feeds/trade.opml"},
		{"./digest.db", "./digest.db"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestURL_NothingSecretSurvives checks URL against net/url's own reading
// of each redacted URL: no password, no secret parameter value.
func TestURL_NothingSecretSurvives(t *testing.T) {
	for _, raw := range []string{
		"https://u:topsecret@h.example/p?apikey=topsecret&a=1",
		"http://h.example/?token=topsecret;x=1",
		"https://h.example/?a=1&Signature=topsecret&b=2#frag",
		"https://u:top%40secret@h.example/",
	} {
		red := URL(raw)
		if strings.Contains(red, "topsecret") || strings.Contains(red, "top%40secret") {
			t.Errorf("URL(%q) = %q still holds the secret", raw, red)
		}
		if u, err := url.Parse(red); err != nil {
			t.Errorf("redacted %q does not parse: %v", red, err)
		} else if p, ok := u.User.Password(); ok && p != Mask {
			t.Errorf("redacted %q has password %q", red, p)
		}
	}
}

func TestText(t *testing.T) {
	in := `fetch "https://u:pw@h.example/rss?apikey=k1": Get "https://h.example/rss?apikey=k1": 401; also see http://ok.example/`
	want := `fetch "https://u:xxxxx@h.example/rss?apikey=xxxxx": Get "https://h.example/rss?apikey=xxxxx": 401; also see http://ok.example/`
	if got := Text(in); got != want {
		t.Errorf("Text:\n got %s\nwant %s", got, want)
	}
}

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&buf, nil))).With("db", "postgres://d:dbpass@h/d")
	u, _ := url.Parse("https://h.example/rss?token=urltok")
	log.Info("fetch https://h.example/?key=msgkey failed",
		"source", "https://u:srcpass@h.example/rss",
		"error", fmt.Errorf("wrapped: %w", errors.New(`Get "https://h.example/?apikey=errkey"`)),
		"url", u,
		"sources", []string{"https://h.example/?sig=slicesig"},
		slog.Group("g", "inner", "https://h.example/?secret=groupsecret"),
		"count", 3)
	out := buf.String()
	for _, s := range []string{"dbpass", "msgkey", "srcpass", "errkey", "urltok", "slicesig", "groupsecret"} {
		if strings.Contains(out, s) {
			t.Errorf("log line holds %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "count=3") || !strings.Contains(out, "h.example/rss") {
		t.Errorf("log line lost its content:\n%s", out)
	}
}
