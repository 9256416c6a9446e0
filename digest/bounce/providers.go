package bounce

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// SendGrid Event Webhook headers.
const (
	sendgridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	sendgridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// sendgridVerifier checks SendGrid's ECDSA signatures over timestamp+body.
type sendgridVerifier struct{ key *ecdsa.PublicKey }

func newSendgridVerifier(b64 string) (*sendgridVerifier, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, errors.New("not base64 (paste the verification key as SendGrid shows it)")
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, err
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an ECDSA public key")
	}
	return &sendgridVerifier{key: key}, nil
}

// verify reports whether sig (base64 ASN.1) signs timestamp followed by body.
func (v *sendgridVerifier) verify(timestamp string, body []byte, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	return ecdsa.VerifyASN1(v.key, h.Sum(nil), raw)
}

type sendgridEvent struct {
	Email     string `json:"email"`
	Event     string `json:"event"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	Status    string `json:"status"`
	SMTPID    string `json:"smtp-id"`
	SGEventID string `json:"sg_event_id"`
}

func (h *Webhooks) sendgridEvents(_ http.ResponseWriter, r *http.Request, body []byte) (digest.Receipt, []digest.SubscriberEvent, error) {
	sig, ts := r.Header.Get(sendgridSignatureHeader), r.Header.Get(sendgridTimestampHeader)
	if sig == "" || ts == "" {
		return digest.Receipt{}, nil, unauthorized("unsigned: %s and %s are required", sendgridSignatureHeader, sendgridTimestampHeader)
	}
	if !h.sendgrid.verify(ts, body, sig) {
		return digest.Receipt{}, nil, unauthorized("signature does not match")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return digest.Receipt{}, nil, badRequest("timestamp %q is not a Unix time", ts)
	}
	at := time.Unix(secs, 0)
	if err := h.checkAge(at, h.cfg.MaxAge); err != nil {
		return digest.Receipt{}, nil, err
	}
	var evs []sendgridEvent
	if err := json.Unmarshal(body, &evs); err != nil {
		return digest.Receipt{}, nil, badRequest("not a JSON array of events: %v", err)
	}
	var out []digest.SubscriberEvent
	for _, e := range evs {
		var k digest.EventKind
		switch e.Event {
		case "bounce":
			k = digest.EventHardBounce
			if e.Type == "blocked" { // refused for now (reputation, content), not a bad address
				k = digest.EventSoftBounce
			}
		case "dropped":
			switch e.Reason {
			case "Bounced Address":
				k = digest.EventHardBounce
			case "Spam Reporting Address":
				k = digest.EventComplaint
			case "Unsubscribed Address":
				k = digest.EventUnsubscribe
			}
		case "spamreport":
			k = digest.EventComplaint
		case "unsubscribe", "group_unsubscribe":
			k = digest.EventUnsubscribe
		}
		if k == "" {
			continue // delivered, deferred, opens, clicks: nothing to do
		}
		detail := strings.TrimSpace(strings.Join([]string{e.Event, e.Type, e.Status, e.Reason}, " "))
		out = append(out, digest.SubscriberEvent{Email: e.Email, Kind: k, Detail: detail, MessageID: e.SMTPID})
	}
	// The signature is unique to this request: a replay carries it again.
	return digest.Receipt{ID: hashID(sig), At: at}, out, nil
}

// mailgunPayload is a Mailgun webhook: the signature travels in the body.
type mailgunPayload struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData struct {
		Event          string `json:"event"`
		Severity       string `json:"severity"`
		Reason         string `json:"reason"`
		Recipient      string `json:"recipient"`
		DeliveryStatus struct {
			Code        int    `json:"code"`
			Message     string `json:"message"`
			Description string `json:"description"`
		} `json:"delivery-status"`
		Message struct {
			Headers struct {
				MessageID string `json:"message-id"`
			} `json:"headers"`
		} `json:"message"`
	} `json:"event-data"`
}

func (h *Webhooks) mailgun(_ http.ResponseWriter, _ *http.Request, body []byte) (digest.Receipt, []digest.SubscriberEvent, error) {
	var p mailgunPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return digest.Receipt{}, nil, badRequest("not a Mailgun webhook: %v", err)
	}
	s := p.Signature
	if s.Signature == "" || s.Token == "" || s.Timestamp == "" {
		return digest.Receipt{}, nil, unauthorized("unsigned: signature.timestamp, token and signature are required")
	}
	mac := hmac.New(sha256.New, []byte(h.cfg.MailgunSigningKey))
	mac.Write([]byte(s.Timestamp + s.Token))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(s.Signature))) {
		return digest.Receipt{}, nil, unauthorized("signature does not match")
	}
	secs, err := strconv.ParseInt(s.Timestamp, 10, 64)
	if err != nil {
		return digest.Receipt{}, nil, badRequest("timestamp %q is not a Unix time", s.Timestamp)
	}
	at := time.Unix(secs, 0)
	if err := h.checkAge(at, h.cfg.MaxAge); err != nil {
		return digest.Receipt{}, nil, err
	}
	e := p.EventData
	var k digest.EventKind
	switch e.Event {
	case "failed":
		switch {
		case e.Severity == "temporary":
			// Mailgun still retries; it reports "permanent" when it stops.
		case e.Reason == "old":
			k = digest.EventSoftBounce // gave up after temporary failures
		default:
			k = digest.EventHardBounce
		}
	case "complained":
		k = digest.EventComplaint
	case "unsubscribed":
		k = digest.EventUnsubscribe
	}
	var out []digest.SubscriberEvent
	if k != "" {
		ds := e.DeliveryStatus
		detail := strings.TrimSpace(strings.Join([]string{e.Event, e.Severity, e.Reason, codeText(ds.Code), ds.Message, ds.Description}, " "))
		out = append(out, digest.SubscriberEvent{Email: e.Recipient, Kind: k, Detail: detail, MessageID: e.Message.Headers.MessageID})
	}
	// Mailgun's token is unique per request (its documented replay guard).
	return digest.Receipt{ID: s.Token, At: at}, out, nil
}

func codeText(code int) string {
	if code == 0 {
		return ""
	}
	return strconv.Itoa(code)
}

// postmarkRecord is a Postmark Bounce, SpamComplaint or SubscriptionChange
// webhook.
type postmarkRecord struct {
	RecordType        string
	ID                json.Number
	Type              string
	Email             string
	Recipient         string
	MessageID         string
	Description       string
	Details           string
	BouncedAt         string
	ChangedAt         string
	SuppressSending   bool
	SuppressionReason string
}

// postmark handles Postmark webhooks, authenticated by the basic-auth
// credentials of the webhook URL (Postmark does not sign).
func (h *Webhooks) postmark(_ http.ResponseWriter, r *http.Request, body []byte) (digest.Receipt, []digest.SubscriberEvent, error) {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return digest.Receipt{}, nil, unauthorized("basic auth is required (put the credentials in the webhook URL)")
	}
	if !equal(user, h.cfg.PostmarkUser) || !equal(pass, h.cfg.PostmarkPassword) {
		return digest.Receipt{}, nil, unauthorized("wrong credentials")
	}
	var rec postmarkRecord
	if err := json.Unmarshal(body, &rec); err != nil {
		return digest.Receipt{}, nil, badRequest("not a Postmark webhook: %v", err)
	}
	var k digest.EventKind
	email := rec.Email
	id := rec.RecordType + ":" + rec.ID.String()
	switch rec.RecordType {
	case "Bounce":
		switch rec.Type {
		case "HardBounce", "BadEmailAddress":
			k = digest.EventHardBounce
		case "SoftBounce", "Transient", "DnsError", "Blocked":
			k = digest.EventSoftBounce
		case "SpamComplaint":
			k = digest.EventComplaint
		case "Unsubscribe":
			k = digest.EventUnsubscribe
		}
	case "SpamComplaint":
		k = digest.EventComplaint
	case "SubscriptionChange":
		email = rec.Recipient
		id = "change:" + hashID(rec.MessageID, rec.Recipient, rec.ChangedAt, strconv.FormatBool(rec.SuppressSending))
		if rec.SuppressSending {
			switch rec.SuppressionReason {
			case "HardBounce":
				k = digest.EventHardBounce
			case "SpamComplaint":
				k = digest.EventComplaint
			case "ManualSuppression":
				k = digest.EventUnsubscribe
			}
		}
	default:
		return digest.Receipt{}, nil, badRequest("unknown RecordType %q", rec.RecordType)
	}
	if rec.ID == "" && rec.RecordType != "SubscriptionChange" {
		return digest.Receipt{}, nil, badRequest("%s without an ID", rec.RecordType)
	}
	var out []digest.SubscriberEvent
	if k != "" {
		detail := strings.TrimSpace(strings.Join([]string{rec.RecordType, rec.Type, rec.SuppressionReason, rec.Description, rec.Details}, " "))
		out = append(out, digest.SubscriberEvent{Email: email, Kind: k, Detail: detail, MessageID: rec.MessageID})
	}
	return digest.Receipt{ID: id}, out, nil
}
