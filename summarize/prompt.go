package summarize

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed prompts/*.tmpl
var promptFS embed.FS

// Article delimiters in the summary prompt. Article text that contains them
// is altered (see fence) so an article cannot close its own block.
const (
	beginArticle = "<<<ARTICLE>>>"
	endArticle   = "<<<END ARTICLE>>>"
	beginStories = "<<<STORIES>>>"
	endStories   = "<<<END STORIES>>>"
)

// prompt is one parsed prompt template with its version.
type prompt struct {
	name    string
	version string // declared version + "+" + short hash of the source
	tmpl    *template.Template
}

// loadPrompt parses prompts/<name>, taken from dir when dir holds a file of
// that name and from the embedded defaults otherwise. The template must
// define "version", "system" and "user"; it fails at start-up, not mid-run.
func loadPrompt(dir, name string, extra ...string) (*prompt, error) {
	src, err := readPrompt(dir, name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Option("missingkey=error").
		Funcs(template.FuncMap{"join": strings.Join}).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse prompt %s: %w", name, err)
	}
	for _, block := range []string{"version", "system", "user"} {
		if t.Lookup(block) == nil {
			return nil, fmt.Errorf("prompt %s: missing {{define %q}} block", name, block)
		}
	}
	var v bytes.Buffer
	if err := t.ExecuteTemplate(&v, "version", nil); err != nil {
		return nil, fmt.Errorf("prompt %s: version: %w", name, err)
	}
	declared := strings.TrimSpace(v.String())
	if declared == "" || strings.ContainsAny(declared, " \t\n") {
		return nil, fmt.Errorf("prompt %s: version %q must be one non-empty word", name, declared)
	}
	// The hash makes an edited override a new version even when its author
	// forgot to bump the declared one; extra carries other inputs of the
	// prompt, such as the topic list.
	h := sha256.New()
	h.Write(src)
	for _, x := range extra {
		h.Write([]byte{0})
		h.Write([]byte(x))
	}
	return &prompt{name: name, version: declared + "+" + hex.EncodeToString(h.Sum(nil))[:8], tmpl: t}, nil
}

func readPrompt(dir, name string) ([]byte, error) {
	if dir != "" {
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return src, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read prompt override: %w", err)
		}
	}
	src, err := promptFS.ReadFile("prompts/" + name)
	if err != nil {
		return nil, fmt.Errorf("read embedded prompt %s: %w", name, err)
	}
	return src, nil
}

// render returns the system and user messages for data.
func (p *prompt) render(data any) (system, user string, err error) {
	var s, u bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&s, "system", data); err != nil {
		return "", "", fmt.Errorf("render prompt %s: %w", p.name, err)
	}
	if err := p.tmpl.ExecuteTemplate(&u, "user", data); err != nil {
		return "", "", fmt.Errorf("render prompt %s: %w", p.name, err)
	}
	return strings.TrimSpace(s.String()), strings.TrimSpace(u.String()), nil
}

// fence neutralises delimiter look-alikes in untrusted text, so that an
// article cannot end its block early and speak as the operator.
func fence(s string) string {
	s = strings.ReplaceAll(s, "<<<", "‹‹‹")
	return strings.ReplaceAll(s, ">>>", "›››")
}
