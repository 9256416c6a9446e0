package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed templates/*.html static/style.css static/icon.svg
var assets embed.FS

// tzScript pre-fills the time-zone field from the browser. The form works
// without it (the field defaults to UTC). It is allowed by its hash in the
// Content-Security-Policy, so it must reach the page byte for byte: it is
// given to the template as template.JS, which html/template copies verbatim.
const tzScript = `(function(){var f=document.getElementById("timezone");` +
	`if(!f||!f.hasAttribute("data-autofill"))return;` +
	`try{var z=Intl.DateTimeFormat().resolvedOptions().timeZone;if(z)f.value=z;}catch(e){}})();`

// pageCSP allows the site's own stylesheet, the one inline script by hash,
// form posts to the site itself, and nothing else.
func pageCSP() string {
	sum := sha256.Sum256([]byte(tzScript))
	return "default-src 'none'; style-src 'self'; img-src 'self'; " +
		"script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// archiveCSP is for stored editions: email HTML styles with attributes, so
// inline styles are allowed, but no script at all, and images only over
// https (remote images in an edition come from the articles' outlets).
const archiveCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox allow-popups allow-popups-to-escape-sandbox"

// pages holds one template set per page, each the base layout plus the
// page's "content" block.
type pages struct {
	sets  map[string]*template.Template
	style []byte
	icon  []byte
}

// pageNames are the page templates under templates/, without ".html".
var pageNames = []string{
	"index", "message", "unsubscribe", "confirm", "subscribe", "preferences", "archive", "edition",
}

// parsePages parses the page templates; labels maps a topic's name to the
// words shown for it (the name itself when absent).
func parsePages(labels map[string]string) (*pages, error) {
	funcs := template.FuncMap{"topicLabel": func(name string) string {
		if l := labels[name]; l != "" {
			return l
		}
		return name
	}}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/forms.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout template: %w", err)
	}
	p := &pages{sets: make(map[string]*template.Template, len(pageNames))}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(assets, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse page template %s: %w", name, err)
		}
		p.sets[name] = t
	}
	if p.style, err = fs.ReadFile(assets, "static/style.css"); err != nil {
		return nil, fmt.Errorf("read stylesheet: %w", err)
	}
	if p.icon, err = fs.ReadFile(assets, "static/icon.svg"); err != nil {
		return nil, fmt.Errorf("read icon: %w", err)
	}
	return p, nil
}

// page is what the layout sees. Data is the page's own content.
type page struct {
	Site   string
	Title  string
	Script template.JS // set on pages that want the time-zone script
	Feeds  bool        // the archive's Atom feeds are served: the head links them
	Data   any
}

// render executes page name into a buffer first, so a template failure
// becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t, ok := s.pages.sets[name]
	if !ok {
		s.log.Error("render page", "page", name, "error", "unknown page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := page{Site: s.cfg.SiteName, Title: title, Feeds: s.cfg.Editions != nil, Data: data}
	if name == "subscribe" {
		p.Script = template.JS(tzScript)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// messageData is the content of the generic message page.
type messageData struct {
	Heading string
	Lines   []string
	Links   []link
}

type link struct {
	Href, Text string
}

// message renders a short page with a heading, a few paragraphs and links.
func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, heading string, lines []string, links ...link) {
	s.render(w, r, status, "message", heading, messageData{Heading: heading, Lines: lines, Links: links})
}

// badLink answers a refused token. Nothing tells a forged token from an
// expired one, on purpose.
func (s *Server) badLink(w http.ResponseWriter, r *http.Request, what string) {
	s.message(w, r, http.StatusBadRequest, "This link does not work",
		[]string{
			"The " + what + " link is invalid, incomplete or has expired.",
			"If you copied it from an email, make sure you copied all of it.",
		},
		link{"/subscribe", "Sign up again"})
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, op string, err error) {
	s.log.ErrorContext(r.Context(), op, "error", err)
	s.message(w, r, http.StatusInternalServerError, "Something went wrong",
		[]string{"We could not complete your request. Please try again in a few minutes."})
}

func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	s.message(w, r, http.StatusForbidden, "Request refused",
		[]string{"This form was sent from another site. Please use the form on this site."},
		link{r.URL.RequestURI(), "Back to the form"})
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "index", s.cfg.SiteName, struct {
		Signup, Archive bool
	}{s.cfg.Mailer != nil, s.cfg.Editions != nil})
}

func (s *Server) handleStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(s.pages.style)
}

// handleIcon serves the site icon, also at /favicon.ico where browsers ask
// for it whatever the page links.
func (s *Server) handleIcon(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(s.pages.icon)
}

// readForm parses a bounded form body; it answers the client itself and
// returns false when the body is too large or malformed.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		s.message(w, r, status, "Request refused", []string{"The form could not be read."})
		return false
	}
	return true
}
