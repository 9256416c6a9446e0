package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/feed"
	"github.com/tradedigest/tradedigest/internal/testutil"
)

func envOf(m map[string]string) envLookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfig_ApplyEnv(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("s3cret-from-file\n"), 0o600)
	cfg := DefaultConfig()
	err := cfg.ApplyEnv(envOf(map[string]string{
		"DIGEST_DB":                       "postgres://digest@db:5432/digest",
		"DIGEST_SOURCES":                  "https://a.example.com/feed.xml, /srv/articles",
		"DIGEST_EDITION_MAX_STORIES":      "12",
		"DIGEST_EDITION_LOOKBACK":         "30h",
		"DIGEST_GATHER_ALLOW_HOSTS":       "intranet.example,10.0.0.0/8",
		"DIGEST_RELEVANCE_SOURCE_WEIGHTS": "https://a.example.com/feed.xml=1.5",
		"DIGEST_LLM_RUN_TOKEN_BUDGET":     "50000",
		"DIGEST_SEND_EMPTY":               "true",
		"DIGEST_SMTP_PASSWORD_FILE":       pwFile,
		"OPENAI_BASE_URL":                 "http://localhost:11434/v1",
		"DIGEST_SCHEDULE_PLAN":            "*/10 * * * *",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB != "postgres://digest@db:5432/digest" || len(cfg.Sources) != 2 || cfg.Sources[1].URL != "/srv/articles" {
		t.Fatalf("db/sources = %q %q", cfg.DB, cfg.sourceAddresses())
	}
	if cfg.Edition.MaxStories != 12 || cfg.Edition.Lookback != 30*time.Hour || !cfg.Edition.SendEmpty {
		t.Fatalf("edition = %+v", cfg.Edition)
	}
	if len(cfg.Gather.AllowHosts) != 2 || cfg.Relevance.SourceWeights["https://a.example.com/feed.xml"] != 1.5 {
		t.Fatalf("gather/relevance = %+v %+v", cfg.Gather, cfg.Relevance)
	}
	if cfg.LLM.RunTokenBudget != 50000 || cfg.LLM.BaseURL != "http://localhost:11434/v1" || !cfg.llmEnabled() {
		t.Fatalf("llm = %+v", cfg.LLM)
	}
	if cfg.SMTPPassword != "s3cret-from-file" || cfg.Schedule.Plan != "*/10 * * * *" {
		t.Fatalf("password/schedule not read")
	}
	// Secrets never print.
	if s := fmt.Sprintf("%v %+v %#v", cfg.SMTPPassword, cfg, cfg); strings.Contains(s, "s3cret") {
		t.Fatalf("secret printed: %s", s)
	}
}

func TestConfig_Errors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		file string
		want string
	}{
		{"bad int", map[string]string{"DIGEST_EDITION_MAX_STORIES": "lots"}, "", "DIGEST_EDITION_MAX_STORIES"},
		{"bad duration", map[string]string{"DIGEST_GATHER_TIMEOUT": "soon"}, "", "DIGEST_GATHER_TIMEOUT"},
		{"missing secret file", map[string]string{"DIGEST_SECRET_FILE": "/nonexistent/secret"}, "", "DIGEST_SECRET_FILE"},
		{"unknown key", nil, "edition:\n  max_storys: 3\n", "max_storys"},
		{"password in smtp url", map[string]string{"DIGEST_SMTP_URL": "smtp://u:pw@mail.example.com:587"}, "", "must not contain a password"},
		{"short secret", map[string]string{"DIGEST_SECRET": "short"}, "", "at least 32"},
		{"bad zone", map[string]string{"DIGEST_TIMEZONE": "Mars/Base"}, "", "timezone"},
		{"unknown language", map[string]string{"DIGEST_EDITION_LANGUAGE": "english"}, "", `edition.language: "english"`},
		{"bad base url", map[string]string{"DIGEST_BASE_URL": "ftp://x"}, "", "base_url"},
		{"allow_hosts port out of range", map[string]string{"DIGEST_GATHER_ALLOW_HOSTS": "intranet.example,intranet.example:99999"}, "",
			`gather.allow_hosts entry "intranet.example:99999"`},
		{"allow_hosts URL", nil, "gather:\n  allow_hosts: [\"http://intranet.example/feed\"]\n", `gather.allow_hosts entry "http://intranet.example/feed"`},
		{"trusted_proxies garbage", map[string]string{"DIGEST_HTTP_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "", `http.trusted_proxies (DIGEST_HTTP_TRUSTED_PROXIES): entry "proxy.internal"`},
		{"trusted_proxies bad prefix", nil, "http:\n  trusted_proxies: [10.0.0.0/33]\n", `entry "10.0.0.0/33"`},
		{"allow_hosts garbage", nil, "gather:\n  allow_hosts: [\"intra net\"]\n", `gather.allow_hosts entry "intra net"`},
		{"negative threshold", map[string]string{"DIGEST_RELEVANCE_THRESHOLD": "-0.1"}, "", "relevance.threshold"},
		{"threshold above 1", nil, "relevance:\n  threshold: 1.5\n", "relevance.threshold"},
		{"lease under a minute", map[string]string{"DIGEST_EDITION_LEASE": "30s"}, "", "edition.lease: 30s is shorter than a minute"},
		{"lease within the smtp timeout", nil, "smtp:\n  timeout: 5m\nedition:\n  lease: 5m\n", "does not outlast smtp.timeout (5m0s)"},
		{"lease within a queue job", map[string]string{"DIGEST_EDITION_LEASE": "4m", "DIGEST_QUEUE_JOB_TIMEOUT": "0s"}, "", "does not outlast a queue job (5m0s)"},
		{"full_text unknown", map[string]string{"DIGEST_GATHER_FULL_TEXT": "sometimes"}, "", `gather.full_text "sometimes": want auto, always or never`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			var err error
			if tt.file != "" {
				p := filepath.Join(t.TempDir(), "c.yaml")
				os.WriteFile(p, []byte(tt.file), 0o644)
				err = cfg.LoadFile(p)
			}
			if err == nil {
				err = cfg.ApplyEnv(envOf(tt.env))
			}
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
			if _, ok := err.(*configError); !ok {
				t.Fatalf("err %T is not a configuration error (exit 2)", err)
			}
		})
	}
}

// TestConfig_RelevanceThreshold: absent means the built-in default; 0,
// from the file or the environment, means keep every story.
func TestConfig_RelevanceThreshold(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Relevance.Threshold != nil {
		t.Fatalf("default threshold is set: %v", *cfg.Relevance.Threshold)
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("relevance:\n  threshold: 0\n"), 0o644)
	if err := cfg.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if th := cfg.Relevance.Threshold; th == nil || *th != 0 {
		t.Fatalf("threshold: 0 in the file read as %v", th)
	}
	env := DefaultConfig()
	if err := env.ApplyEnv(envOf(map[string]string{"DIGEST_RELEVANCE_THRESHOLD": "0"})); err != nil {
		t.Fatal(err)
	}
	if th := env.Relevance.Threshold; th == nil || *th != 0 {
		t.Fatalf("DIGEST_RELEVANCE_THRESHOLD=0 read as %v", th)
	}
	if err := env.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfig_ExampleFileLoads(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.LoadFile(filepath.Join(testutil.Root(t), "examples", "digest.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	if cfg.Edition != def.Edition || cfg.Gather.Concurrency != def.Gather.Concurrency || cfg.LLM.Model != def.LLM.Model {
		t.Fatalf("examples/digest.yaml drifted from the defaults it documents")
	}
	// gather.concurrency counts requests, not the gather's workers
	// (digest.GatherWorkers adds those between requests).
	if got, want := def.Gather.Concurrency, feed.DefaultFetcherConfig().Global; got != want {
		t.Fatalf("default gather.concurrency %d, want the fetcher's %d requests at once", got, want)
	}
}

// TestNow_BadAllowHosts: a malformed gather.allow_hosts entry stops the
// command before anything runs (exit 2), naming the key and the entry,
// instead of being ignored.
func TestNow_BadAllowHosts(t *testing.T) {
	env := map[string]string{"DIGEST_DB": filepath.Join(t.TempDir(), "digest.db"), "DIGEST_GATHER_ALLOW_HOSTS": "intranet.example:80:80"}
	code, out, errs := runCLI(t, env, "now", "--source", "http://intranet.example/feed.xml", "--dry-run")
	if code != 2 || !strings.Contains(errs, `gather.allow_hosts entry "intranet.example:80:80"`) || !strings.Contains(errs, "hint:") {
		t.Fatalf("exit %d, want 2 naming gather.allow_hosts and the entry:\n%s%s", code, out, errs)
	}
}

// TestConfig_SourceSettings: a source in the config file is an address or
// a mapping with its settings; a mistake names the key and the line.
func TestConfig_SourceSettings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "digest.yaml")
	os.WriteFile(path, []byte(`sources:
  - examples/articles
  - url: https://news.example.com/trade.xml
    name: "  Example   Trade Wire "
    weight: 1.5
    full_text: true
    include: [tariff*, "anti-dumping duty"]
    exclude: football
    selector: article .story-body
  - url: https://lists.example.com/trade
    kind: opml
    full_text: off
  - url: https://wire.example.com/feed
    full_text: never
gather:
  full_text: never
`), 0o644)
	cfg := DefaultConfig()
	if err := cfg.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if got := cfg.sourceAddresses(); len(got) != 4 || got[0] != "examples/articles" {
		t.Fatalf("addresses = %q", got)
	}
	s := cfg.Sources[1].Settings
	if s.Name != "Example Trade Wire" || s.Weight != 1.5 || s.FullText != "on" || len(s.Include) != 2 || s.Exclude[0] != "football" || s.Selector != "article .story-body" {
		t.Errorf("settings = %+v", s)
	}
	if s := cfg.Sources[2].Settings; s.Kind != "opml" || s.FullText != "off" {
		t.Errorf("list settings = %+v", s)
	}
	if s := cfg.Sources[3].Settings; s.FullText != "off" {
		t.Errorf("full_text never read as %q, want off", s.FullText)
	}
	if err := cfg.Validate(); err != nil || cfg.Gather.FullText != "never" {
		t.Errorf("gather.full_text never: %v, %q", err, cfg.Gather.FullText)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"sources:\n  - url: https://a.example.com/x\n    wieght: 2\n", `line 3: unknown source key "wieght"`},
		{"sources:\n  - url: https://a.example.com/x\n    weight: -2\n", "weight"},
		{"sources:\n  - url: https://a.example.com/x\n    full_text: sometimes\n", "full_text"},
		{"sources:\n  - name: No address\n", "needs url"},
		{"sources:\n  - [a, b]\n", "a source is an address or a mapping"},
	} {
		os.WriteFile(path, []byte(tt.yaml), 0o644)
		cfg := DefaultConfig()
		if err := cfg.LoadFile(path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func TestConfig_TrustedProxies(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.ApplyEnv(envOf(map[string]string{"DIGEST_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1, ::ffff:192.0.2.1, fd00::/8"})); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := cfg.HTTP.trustedProxies()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "127.0.0.1/32", "192.0.2.1/32", "fd00::/8"}
	if len(got) != len(want) {
		t.Fatalf("trusted proxies %v, want %v", got, want)
	}
	for i := range got {
		if got[i].String() != want[i] {
			t.Errorf("trusted proxy %d = %s, want %s", i, got[i], want[i])
		}
	}
}
