package bounce

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/defaults"
)

// WebhookConfig says which providers' webhooks are accepted: each one is
// on when its credential is set.
type WebhookConfig struct {
	// SESTopicARNs are the SNS topics whose notifications are accepted.
	// SNS signs every topic's messages alike, so a topic of someone
	// else's AWS account could otherwise report bounces of our readers.
	SESTopicARNs []string
	// SendGridPublicKey is the Event Webhook verification key (base64 DER,
	// as SendGrid's mail settings show it).
	SendGridPublicKey string
	// MailgunSigningKey is the HTTP webhook signing key.
	MailgunSigningKey string
	// PostmarkUser and PostmarkPassword are the basic-auth credentials put
	// in the webhook URL given to Postmark.
	PostmarkUser, PostmarkPassword string

	// MaxBodyBytes bounds a request (4 MiB: SendGrid batches events).
	MaxBodyBytes int64
	// MaxAge is how old a signed timestamp may be (15 min; SNS: 1 h, as
	// SNS keeps the original timestamp on its retries).
	MaxAge time.Duration
	Now    func() time.Time
	Logger *slog.Logger

	// SNSCertHosts and SNSClient are for tests only: where SNS signing
	// certificates may be fetched from (SNS's hosts), and the client that
	// fetches them (system roots).
	SNSCertHosts *regexp.Regexp
	SNSClient    *http.Client
}

// Webhooks serves /webhooks/<provider>.
type Webhooks struct {
	cfg      WebhookConfig
	rec      *Recorder
	log      *slog.Logger
	sns      *snsVerifier
	sendgrid *sendgridVerifier
	routes   map[string]func(w http.ResponseWriter, r *http.Request, body []byte) (digest.Receipt, []digest.SubscriberEvent, error)
}

// NewWebhooks checks cfg and returns the handler set; it has no route for
// a provider without credentials.
func NewWebhooks(cfg WebhookConfig, rec *Recorder) (*Webhooks, error) {
	if rec == nil {
		return nil, errors.New("webhooks: a recorder is required")
	}
	cfg.MaxBodyBytes = defaults.PositiveOr(cfg.MaxBodyBytes, 4<<20)
	cfg.MaxAge = defaults.PositiveOr(cfg.MaxAge, 15*time.Minute)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Webhooks{cfg: cfg, rec: rec, log: cfg.Logger.With("component", "webhooks"),
		routes: map[string]func(http.ResponseWriter, *http.Request, []byte) (digest.Receipt, []digest.SubscriberEvent, error){}}
	if len(cfg.SESTopicARNs) > 0 {
		h.sns = newSNSVerifier(cfg)
		h.routes["ses"] = h.ses
	}
	if cfg.SendGridPublicKey != "" {
		v, err := newSendgridVerifier(cfg.SendGridPublicKey)
		if err != nil {
			return nil, fmt.Errorf("webhooks: sendgrid public key: %w", err)
		}
		h.sendgrid = v
		h.routes["sendgrid"] = h.sendgridEvents
	}
	if cfg.MailgunSigningKey != "" {
		h.routes["mailgun"] = h.mailgun
	}
	if cfg.PostmarkUser != "" || cfg.PostmarkPassword != "" {
		if cfg.PostmarkUser == "" || cfg.PostmarkPassword == "" {
			return nil, errors.New("webhooks: postmark needs both a user and a password")
		}
		h.routes["postmark"] = h.postmark
	}
	return h, nil
}

// Providers lists the providers whose webhooks are on.
func (h *Webhooks) Providers() []string {
	var out []string
	for p := range h.routes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Handler serves POST /webhooks/{provider}.
func (h *Webhooks) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/{provider}", h.serve)
	return mux
}

// reject is a refused request: its status and a reason for the caller.
type reject struct {
	status int
	msg    string
}

func (e *reject) Error() string { return e.msg }

func unauthorized(format string, args ...any) error {
	return &reject{http.StatusUnauthorized, fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &reject{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func (h *Webhooks) serve(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	route, ok := h.routes[provider]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no webhook for " + provider + " is configured"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large or unreadable"})
		return
	}
	rc, evs, err := route(w, r, body)
	if err == nil && rc.ID == "" {
		return // answered by the route itself (SNS subscription handshake)
	}
	var res Result
	if err == nil {
		rc.Source = provider
		for i := range evs {
			evs[i].Source = provider
		}
		res, err = h.rec.Record(r.Context(), rc, evs)
		if errors.Is(err, ErrReplayed) {
			err = badRequest("replayed: this report was already applied")
		}
	}
	var rj *reject
	switch {
	case errors.As(err, &rj):
		h.log.Warn("webhook refused", "provider", provider, "status", rj.status, "reason", rj.msg)
		writeJSON(w, rj.status, map[string]string{"error": rj.msg})
	case err != nil:
		// Ours, not the sender's: a 5xx makes the provider retry later.
		h.log.Error("webhook failed", "provider", provider, "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "could not record the report; retry later"})
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// checkAge refuses a signed timestamp outside maxAge of now (either way:
// a clock far ahead is as suspect as a stale one).
func (h *Webhooks) checkAge(at time.Time, maxAge time.Duration) error {
	d := h.cfg.Now().Sub(at)
	if d > maxAge || d < -maxAge {
		return badRequest("timestamp %s is outside the accepted window of %s", at.UTC().Format(time.RFC3339), maxAge)
	}
	return nil
}

// equal compares secrets in constant time, whatever their lengths.
func equal(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

func hashID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // nothing more to tell a client that left
}
