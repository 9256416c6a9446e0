package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/redact"
	"github.com/tradedigest/tradedigest/templates"
)

// cmdPreview renders today's edition without sending: to files with --out,
// or served on localhost with --serve, re-rendered when a template changes.
func (c *cli) cmdPreview(ctx context.Context, args []string) error {
	fset, co := c.newFlags("preview")
	var sources stringList
	fset.Var(&sources, "source", "feed URL, OPML file, article file or directory (repeatable); the preview is then made of these sources only")
	out := fset.String("out", "", "write the HTML part here and the text part beside it (.txt)")
	serve := fset.String("serve", "", "serve the preview on this address, e.g. 127.0.0.1:8081")
	since := fset.Duration("since", 0, "how far back to look for news (default 24h)")
	to := fset.String("to", "reader@example.com", "the recipient shown in the preview")
	if err := parse(fset, args); err != nil {
		return err
	}
	if *out == "" && *serve == "" {
		return usagef("preview: pass --out FILE.html or --serve ADDR")
	}
	cfg, err := c.loadConfig(co)
	if err != nil {
		return err
	}
	if *since > 0 {
		cfg.Since = *since
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	a, err := c.openApp(ctx, cfg, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	entries, err := a.entriesOrAll(ctx, sources)
	if err != nil {
		return err
	}
	var rep digest.Report
	opened := a.openSources(ctx, entries, &rep)
	var scope *digest.Scope
	if len(sources) > 0 {
		// As in digest now: --source previews those sources only.
		scope, opened = digest.NewScope(opened)
	}
	if err := a.engine.Gather(ctx, opened, &rep); err != nil {
		return err
	}
	stories, err := a.engine.ScopedStories(ctx, c.now().Add(-cfg.Since), scope, &rep)
	if err != nil {
		return err
	}
	shown := redact.Report(rep)
	for _, e := range shown.Errors {
		fmt.Fprintf(c.stderr, "warning: %s\n", e)
	}
	for _, n := range shown.Notes {
		fmt.Fprintf(c.stderr, "note: %s\n", n)
	}
	sub := digest.Subscriber{Email: normaliseEmail(*to), Name: "Preview Reader", TimeZone: cfg.TimeZone}
	render := func() (digest.Message, error) {
		// A fresh renderer each time picks up edited templates; a broken one
		// is reported, not fatal, while serving.
		r, err := templates.New(templates.Options{Dir: cfg.TemplatesDir, SiteName: cfg.SiteName, Logger: a.log, Now: c.now, Language: cfg.Edition.Language})
		if err != nil {
			return digest.Message{}, err
		}
		ed, err := a.engine.Compose(ctx, sub, digest.LocalDate(c.now(), sub.Location()), stories,
			digest.DeliverOptions{Since: c.now().Add(-cfg.Since)})
		if err != nil {
			return digest.Message{}, err
		}
		if a.links != nil {
			ed.UnsubscribeURL, ed.PreferencesURL = a.links.UnsubscribeURL(sub), a.links.PreferencesURL(sub)
		}
		return r.Render(ed)
	}
	if *out != "" {
		msg, err := render()
		if err != nil {
			return err
		}
		txt := strings.TrimSuffix(*out, filepath.Ext(*out)) + ".txt"
		if err := os.WriteFile(*out, []byte(msg.HTML), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		if err := os.WriteFile(txt, []byte(msg.Text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", txt, err)
		}
		fmt.Fprintf(c.stdout, "%d stories: wrote %s and %s (subject %q)\n", rep.Stories, *out, txt, msg.Subject)
	}
	if *serve == "" {
		return nil
	}
	return c.servePreview(ctx, *serve, cfg.TemplatesDir, render)
}

// servePreview serves the rendered edition; the page polls a fingerprint of
// the templates directory and reloads itself when a file changes.
func (c *cli) servePreview(ctx context.Context, addr, dir string, render func() (digest.Message, error)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("preview: listen on %s: %w", addr, err)
	}
	var mu sync.Mutex // one render at a time: templates.New reads the directory
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, part string) {
		mu.Lock()
		msg, err := render()
		mu.Unlock()
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "<!doctype html><title>template error</title><pre>%s</pre>%s", html.EscapeString(err.Error()), reloadScript)
			return
		}
		if part == "text" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><title>%s</title><pre style=\"max-width:72ch;margin:2em auto\">%s</pre>%s",
				html.EscapeString(msg.Subject), html.EscapeString(msg.Text), reloadScript)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, msg.HTML+reloadScript)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { page(w, "html") })
	mux.HandleFunc("GET /text", func(w http.ResponseWriter, r *http.Request) { page(w, "text") })
	mux.HandleFunc("GET /_version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, templatesFingerprint(dir))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintln(c.stdout, previewBanner(ln.Addr().String(), dir))
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// previewBanner is the line `preview --serve` prints: where to look, and
// where the templates it renders come from.
func previewBanner(addr, dir string) string {
	where := "using the embedded templates; set templates_dir (DIGEST_TEMPLATES_DIR) to a directory of overrides to edit them live"
	if dir != "" {
		where = fmt.Sprintf("edit the templates in %s and the page reloads", dir)
	}
	return fmt.Sprintf("preview on http://%s/ (text part at /text); %s; Ctrl-C stops", addr, where)
}

// reloadScript polls the templates fingerprint and reloads on change; it
// is added only to preview pages, never to mail.
const reloadScript = `<script>(function(){var v=null;setInterval(function(){fetch("/_version").then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v){location.reload()}v=t}).catch(function(){})},1000)})()</script>`

// templatesFingerprint hashes names, sizes and modification times of the
// files in dir.
func templatesFingerprint(dir string) string {
	h := sha256.New()
	if dir != "" {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				fmt.Fprintf(h, "%s %d %d\n", path, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
