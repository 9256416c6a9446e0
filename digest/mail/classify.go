package mail

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/tradedigest/tradedigest/digest"
)

// SMTPError is a failed SMTP exchange, as returned (wrapped) by Sender.Send.
// Use errors.As to read the reply code; digest.IsPermanent tells whether to
// retry.
type SMTPError struct {
	// Code is the server's reply code; 0 for network errors and timeouts.
	Code int
	// Stage is where it failed: "connect" (dial, greeting, EHLO, STARTTLS,
	// AUTH) or the go-mail stage ("SMTP RCPT TO failed", ...).
	Stage string
	// Reply is the server's text or the network error, without recipient
	// addresses.
	Reply     string
	Permanent bool
}

func (e *SMTPError) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("%s (%s): %s", e.Stage, kind, e.Reply)
}

// Is lets errors.Is(err, digest.ErrPermanent) see a permanent SMTPError.
func (e *SMTPError) Is(target error) bool { return e.Permanent && target == digest.ErrPermanent }

// slowsDown reports replies that ask the client to back off: 421 (service
// not available, closing) and 454 (temporary TLS/auth trouble, often rate
// limiting in practice).
func (e *SMTPError) slowsDown() bool { return e.Code == 421 || e.Code == 454 }

// dropsConn reports whether the connection must not be reused: network
// errors and timeouts (code 0) leave the stream in an unknown state, and 421
// means the server is closing it.
func (e *SMTPError) dropsConn() bool { return e.Code == 0 || e.Code == 421 }

// classifySend turns a go-mail send error into an SMTPError.
//
// go-mail's SendError.IsTemp only looks for a leading '4', so a network
// error would count as permanent there; here anything without a 5xx reply
// is temporary, and a 5xx is permanent when it answers RCPT TO, DATA or the
// message itself, but not MAIL FROM (see below) or the connection set-up
// (classifyConnect).
func classifySend(err error) *SMTPError {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return classifyConnect(err)
	}
	e := &SMTPError{Code: se.ErrorCode(), Stage: se.Reason.String(), Reply: sendErrorText(se)}
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		// The message cannot be sent as built, whatever the server says.
		e.Permanent = true
	case gomail.ErrConnCheck:
		// NOOP failed before the transaction began: a dropped connection.
		e.Code = 0
	case gomail.ErrSMTPMailFrom:
		// A refused MAIL FROM (sender address, relay policy, "530 must
		// issue STARTTLS") says nothing about the recipient: counting it
		// as permanent would mark every subscriber bounced.
	default:
		e.Permanent = e.Code >= 500 && e.Code <= 599
	}
	return e
}

// classifyConnect handles errors while setting the connection up. They are
// never the recipient's fault, so even a 5xx here (a 554 greeting, a 535
// AUTH failure) is temporary: a misconfigured relay must not turn every
// subscriber into a bounce. The engine's retry window bounds the retries.
func classifyConnect(err error) *SMTPError {
	e := &SMTPError{Stage: "connect", Reply: err.Error()}
	var te *textproto.Error
	if errors.As(err, &te) {
		e.Code = te.Code
	}
	return e
}

// sendErrorText is the server's reply without the recipient list and
// Message-ID go-mail appends: addresses stay out of logs and the ledger.
func sendErrorText(se *gomail.SendError) string {
	s := se.Error()
	s = strings.TrimPrefix(s, se.Reason.String())
	s = strings.TrimPrefix(s, ":")
	for _, marker := range []string{", affected recipient(s):", ", affected message ID:"} {
		if i := strings.Index(s, marker); i >= 0 {
			s = s[:i]
		}
	}
	return strings.TrimSpace(s)
}
