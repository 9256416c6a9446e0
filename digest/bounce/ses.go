package bounce

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // SNS SignatureVersion 1 is SHA1withRSA; version 2 uses SHA-256
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// snsHosts are the hosts SNS signing certificates and subscription URLs
// come from (sns.<region>.amazonaws.com, and .com.cn in China).
var snsHosts = lazyre.New(`^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$`)

// snsMaxAge: SNS keeps a message's original Timestamp on its retries,
// which a delivery policy may spread over an hour.
const snsMaxAge = time.Hour

// snsMessage is an SNS HTTP(S) delivery: a notification or a subscription
// (un)confirmation.
type snsMessage struct {
	Type             string
	MessageID        string `json:"MessageId"`
	Token            string
	TopicArn         string
	Subject          *string
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	SubscribeURL     string
}

// stringToSign is the canonical form SNS signs: "Key\nValue\n" for each
// field of the message type, in this order.
func (m snsMessage) stringToSign() (string, error) {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	switch m.Type {
	case "Notification":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		if m.Subject != nil {
			add("Subject", *m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		add("Message", m.Message)
		add("MessageId", m.MessageID)
		add("SubscribeURL", m.SubscribeURL)
		add("Timestamp", m.Timestamp)
		add("Token", m.Token)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
	default:
		return "", fmt.Errorf("unknown message type %q", m.Type)
	}
	return b.String(), nil
}

// snsVerifier checks SNS signatures with certificates fetched over HTTPS
// from SNS's own hosts, cached by URL.
type snsVerifier struct {
	hosts  *regexp.Regexp
	client *http.Client
	now    func() time.Time

	mu    sync.Mutex
	certs map[string]*x509.Certificate
}

func newSNSVerifier(cfg WebhookConfig) *snsVerifier {
	v := &snsVerifier{hosts: cfg.SNSCertHosts, client: cfg.SNSClient, now: cfg.Now, certs: map[string]*x509.Certificate{}}
	if v.hosts == nil {
		v.hosts = snsHosts.Get()
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: 10 * time.Second}
	}
	return v
}

// snsURL checks that raw is an https URL on an SNS host.
func (v *snsVerifier) snsURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || !v.hosts.MatchString(u.Hostname()) {
		return nil, fmt.Errorf("%q is not an https URL of Amazon SNS", raw)
	}
	return u, nil
}

// cert returns the signing certificate at raw, fetched once.
func (v *snsVerifier) cert(ctx context.Context, raw string) (*x509.Certificate, error) {
	u, err := v.snsURL(raw)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(u.Path, ".pem") {
		return nil, fmt.Errorf("signing certificate URL %q does not name a .pem file", raw)
	}
	v.mu.Lock()
	c, ok := v.certs[raw]
	v.mu.Unlock()
	if ok {
		return c, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch signing certificate: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch signing certificate: %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("fetch signing certificate: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("signing certificate: no PEM certificate")
	}
	c, err = x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	v.mu.Lock()
	if len(v.certs) >= 32 { // SNS rotates certificates rarely; keep the cache small
		clear(v.certs)
	}
	v.certs[raw] = c
	v.mu.Unlock()
	return c, nil
}

// verify checks m's signature. The certificate's authenticity rests on
// having been fetched over verified TLS from an SNS host.
func (v *snsVerifier) verify(ctx context.Context, m snsMessage) error {
	var hash crypto.Hash
	switch m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return fmt.Errorf("unknown signature version %q", m.SignatureVersion)
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return errors.New("signature is not base64")
	}
	text, err := m.stringToSign()
	if err != nil {
		return err
	}
	c, err := v.cert(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	if now := v.now(); now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return errors.New("signing certificate is not valid now")
	}
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("signing certificate has no RSA key")
	}
	var sum []byte
	if hash == crypto.SHA1 {
		s := sha1.Sum([]byte(text)) //nolint:gosec // see import
		sum = s[:]
	} else {
		s := sha256.Sum256([]byte(text))
		sum = s[:]
	}
	if err := rsa.VerifyPKCS1v15(pub, hash, sum, sig); err != nil {
		return errors.New("signature does not match")
	}
	return nil
}

// sesNotification is an Amazon SES bounce or complaint notification (or
// event-publishing record: eventType instead of notificationType).
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		ComplaintSubType      string `json:"complaintSubType"`
	} `json:"complaint"`
	Mail struct {
		MessageID     string `json:"messageId"`
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
	} `json:"mail"`
}

// ses handles an SNS delivery of SES notifications: the subscription
// handshake is confirmed, notifications become events.
func (h *Webhooks) ses(w http.ResponseWriter, r *http.Request, body []byte) (digest.Receipt, []digest.SubscriberEvent, error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return digest.Receipt{}, nil, badRequest("not an SNS message: %v", err)
	}
	if m.Signature == "" || m.SigningCertURL == "" {
		return digest.Receipt{}, nil, unauthorized("unsigned SNS message")
	}
	if err := h.sns.verify(r.Context(), m); err != nil {
		return digest.Receipt{}, nil, unauthorized("SNS signature: %v", err)
	}
	if !slices.Contains(h.cfg.SESTopicARNs, m.TopicArn) {
		return digest.Receipt{}, nil, unauthorized("topic %q is not one of bounce.ses_topic_arns", m.TopicArn)
	}
	at, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return digest.Receipt{}, nil, badRequest("SNS timestamp %q: %v", m.Timestamp, err)
	}
	if err := h.checkAge(at, snsMaxAge); err != nil {
		return digest.Receipt{}, nil, err
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		u, err := h.sns.snsURL(m.SubscribeURL)
		if err != nil {
			return digest.Receipt{}, nil, badRequest("SubscribeURL: %v", err)
		}
		if err := h.confirmSNS(r.Context(), u); err != nil {
			return digest.Receipt{}, nil, err
		}
		h.log.Info("confirmed the SNS subscription", "topic", m.TopicArn)
		writeJSON(w, http.StatusOK, map[string]string{"confirmed": m.TopicArn})
		return digest.Receipt{}, nil, nil
	case "UnsubscribeConfirmation":
		h.log.Warn("SNS says this endpoint was unsubscribed from the topic", "topic", m.TopicArn)
		writeJSON(w, http.StatusOK, map[string]string{"unsubscribed": m.TopicArn})
		return digest.Receipt{}, nil, nil
	}
	var n sesNotification
	if err := json.Unmarshal([]byte(m.Message), &n); err != nil {
		return digest.Receipt{}, nil, badRequest("SES notification: %v", err)
	}
	return digest.Receipt{ID: m.MessageID, At: at}, sesEvents(n), nil
}

func (h *Webhooks) confirmSNS(ctx context.Context, u *url.URL) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := h.sns.client.Do(req)
	if err != nil {
		return fmt.Errorf("confirm SNS subscription: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("confirm SNS subscription: %s", resp.Status)
	}
	return nil
}

// sesEvents maps a notification to events: Permanent bounces are hard,
// Transient and Undetermined ones soft; a complaint unsubscribes unless
// its feedback type is "not-spam".
func sesEvents(n sesNotification) []digest.SubscriberEvent {
	kind := n.NotificationType
	if kind == "" {
		kind = n.EventType
	}
	msgID := n.Mail.CommonHeaders.MessageID
	if msgID == "" {
		msgID = n.Mail.MessageID
	}
	var out []digest.SubscriberEvent
	switch {
	case kind == "Bounce" && n.Bounce != nil:
		k := digest.EventSoftBounce
		if n.Bounce.BounceType == "Permanent" {
			k = digest.EventHardBounce
		}
		for _, rcpt := range n.Bounce.BouncedRecipients {
			detail := strings.TrimSpace(strings.Join([]string{n.Bounce.BounceType, n.Bounce.BounceSubType, rcpt.Status, rcpt.DiagnosticCode}, " "))
			out = append(out, digest.SubscriberEvent{Email: rcpt.EmailAddress, Kind: k, Detail: detail, MessageID: msgID})
		}
	case kind == "Complaint" && n.Complaint != nil:
		if n.Complaint.ComplaintFeedbackType == "not-spam" {
			return nil
		}
		detail := strings.TrimSpace("complaint " + n.Complaint.ComplaintFeedbackType + " " + n.Complaint.ComplaintSubType)
		for _, rcpt := range n.Complaint.ComplainedRecipients {
			out = append(out, digest.SubscriberEvent{Email: rcpt.EmailAddress, Kind: digest.EventComplaint, Detail: detail, MessageID: msgID})
		}
	}
	return out
}
