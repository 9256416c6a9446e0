package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/token"
)

//go:embed mailtemplates/*.txt mailtemplates/*.html
var mailFS embed.FS

// mailTemplates are the transactional mails of the sign-up: the
// confirmation, and the note sent instead when the address is already
// subscribed (so the page never tells whether an address is on the list).
type mailTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

func parseMailTemplates() (*mailTemplates, error) {
	t, err := texttemplate.ParseFS(mailFS, "mailtemplates/*.txt")
	if err != nil {
		return nil, fmt.Errorf("parse mail text templates: %w", err)
	}
	h, err := htmltemplate.ParseFS(mailFS, "mailtemplates/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse mail html templates: %w", err)
	}
	return &mailTemplates{text: t, html: h}, nil
}

// mailData is what the mail templates see.
type mailData struct {
	Site           string
	Email          string
	URL            string // the link the mail is about
	ValidFor       string // "48 hours"
	BaseURL        string
	UnsubscribeURL string
}

// signupMail builds the mail answering a sign-up for sub. kind is
// "confirm" (a confirmation link) or "already" (the address is subscribed;
// a link to the preferences instead).
func (s *Server) signupMail(kind string, sub digest.Subscriber) (digest.Message, error) {
	now := s.now()
	d := mailData{Site: s.cfg.SiteName, Email: sub.Email, BaseURL: s.cfg.BaseURL,
		ValidFor: fmt.Sprintf("%d hours", int(token.ConfirmTTL.Hours()))}
	subject := "Confirm your subscription to " + s.cfg.SiteName
	if kind == "confirm" {
		d.URL = s.links.ConfirmURL(sub, now)
	} else {
		subject = "You are already subscribed to " + s.cfg.SiteName
		d.URL = s.links.PreferencesURL(sub)
		d.UnsubscribeURL = s.links.UnsubscribeURL(sub)
	}
	var text, html bytes.Buffer
	if err := s.mails.text.ExecuteTemplate(&text, kind+".txt", d); err != nil {
		return digest.Message{}, fmt.Errorf("render %s mail text: %w", kind, err)
	}
	if err := s.mails.html.ExecuteTemplate(&html, kind+".html", d); err != nil {
		return digest.Message{}, fmt.Errorf("render %s mail html: %w", kind, err)
	}
	var id [12]byte
	rand.Read(id[:])
	return digest.Message{
		From:      s.cfg.From,
		To:        sub.Email,
		ToName:    sub.Name,
		Subject:   subject,
		MessageID: fmt.Sprintf("%s.%s.%d@%s", kind, hex.EncodeToString(id[:]), sub.ID, s.cfg.MessageIDDomain),
		Date:      now,
		Text:      text.String(),
		HTML:      html.String(),
	}, nil
}

// sendSignupMail renders and sends the sign-up mail within SendTimeout.
func (s *Server) sendSignupMail(ctx context.Context, kind string, sub digest.Subscriber) error {
	msg, err := s.signupMail(kind, sub)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	if err := s.cfg.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s mail: %w", kind, err)
	}
	return nil
}
