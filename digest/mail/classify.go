package mail

import (
	"errors"
	"fmt"
	"net/textproto"

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

// sendError is a failed transaction on a pool connection
// (workerConn.send): the stage, named as go-mail names it, and the SMTP
// client's error (a *textproto.Error for a server reply).
type sendError struct {
	reason gomail.SendErrReason
	err    error
}

func (e *sendError) Error() string { return e.reason.String() + ": " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// classifySend turns a send error into an SMTPError.
//
// Anything without a 5xx reply is temporary (a network error included), and
// a 5xx is permanent when it answers RCPT TO, DATA or the message itself,
// but not MAIL FROM (see below) or the connection set-up (classifyConnect).
func classifySend(err error) *SMTPError {
	var se *sendError
	if !errors.As(err, &se) {
		return classifyConnect(err)
	}
	e := &SMTPError{Stage: se.reason.String(), Reply: se.err.Error()}
	var te *textproto.Error
	if errors.As(se.err, &te) {
		e.Code = te.Code
	}
	switch se.reason {
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
