// Package token makes and checks the signed tokens carried in the digest's
// personal links: unsubscribe, sign-up confirmation and preferences.
//
// A token is the URL-safe base64 (no padding) of
//
//	version (1 byte) | subscriber id (8 bytes, big endian) |
//	expiry (8 bytes, Unix seconds, 0 = never) | email (rest) | HMAC-SHA256 (32 bytes)
//
// The MAC covers a domain-separation label, the purpose and the payload, so a
// token made for one purpose is refused for another, and changing the id or
// the email breaks it. The purpose itself is not carried: the verifier names
// the purpose it expects. Tokens are not encrypted: the email they carry is
// the recipient's own, and pages that receive them set Referrer-Policy.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Purposes of the digest's tokens. A token verifies only for the purpose it
// was signed for.
const (
	// PurposeUnsubscribe tokens go in every digest and never expire: an old
	// digest's unsubscribe link must keep working (RFC 8058, CAN-SPAM).
	PurposeUnsubscribe = "unsubscribe"
	// PurposeConfirm tokens confirm a sign-up (double opt-in); they expire
	// after ConfirmTTL.
	PurposeConfirm = "confirm"
	// PurposePreferences tokens open the preferences page from a digest.
	PurposePreferences = "preferences"
)

// ConfirmTTL is how long a sign-up confirmation link stays valid.
const ConfirmTTL = 48 * time.Hour

// MinSecretLen is the shortest secret NewSigner accepts: 256 bits, the
// strength of HMAC-SHA256.
const MinSecretLen = 32

// MaxLen bounds the length of a token Verify will decode, so that a hostile
// query string cannot make it allocate much. It leaves room for any valid
// email address (254 bytes).
const MaxLen = 1024

const (
	version   = 1
	headerLen = 1 + 8 + 8
	macLen    = sha256.Size
	label     = "tradedigest token v1\x00"
)

// ErrInvalid is returned by Verify for every token it refuses: malformed,
// forged, altered, truncated, signed for another purpose or expired. The
// reasons are not told apart on purpose; callers answer 400 either way.
var ErrInvalid = errors.New("invalid token")

// Claims is what a valid token says.
type Claims struct {
	SubscriberID int64
	Email        string
	// Expires is the zero time for tokens that never expire.
	Expires time.Time
}

// Signer signs tokens with one secret and verifies them with it or with
// previous secrets. It is safe for concurrent use.
type Signer struct {
	key      []byte
	previous [][]byte
}

// NewSigner returns a Signer for secret, which must be at least
// MinSecretLen bytes long. Tokens signed with any of the previous secrets
// still verify, so the secret can be rotated without breaking the
// unsubscribe links in digests already sent. The secrets are copied.
func NewSigner(secret []byte, previous ...[]byte) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("new token signer: secret is %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	s := &Signer{key: append([]byte(nil), secret...)}
	for i, p := range previous {
		if len(p) < MinSecretLen {
			return nil, fmt.Errorf("new token signer: previous secret %d is %d bytes, want at least %d", i+1, len(p), MinSecretLen)
		}
		s.previous = append(s.previous, append([]byte(nil), p...))
	}
	return s, nil
}

// Sign returns a token for purpose binding subscriberID and email. A zero
// expires means the token never expires; otherwise it is kept to the second.
func (s *Signer) Sign(purpose string, subscriberID int64, email string, expires time.Time) string {
	var exp int64
	if !expires.IsZero() {
		exp = expires.Unix()
	}
	buf := make([]byte, headerLen, headerLen+len(email)+macLen)
	buf[0] = version
	binary.BigEndian.PutUint64(buf[1:9], uint64(subscriberID))
	binary.BigEndian.PutUint64(buf[9:17], uint64(exp))
	buf = append(buf, email...)
	buf = append(buf, mac(s.key, purpose, buf)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Verify checks tok for purpose at time now and returns its claims. Every
// refusal is ErrInvalid (wrapped with the reason for logs that want it).
func (s *Signer) Verify(tok, purpose string, now time.Time) (Claims, error) {
	if len(tok) == 0 || len(tok) > MaxLen {
		return Claims{}, fmt.Errorf("verify token: bad length: %w", ErrInvalid)
	}
	// The decoder skips CR and LF, and strict decoding alone still lets
	// them through; checking the alphabet first, with strict decoding's
	// refusal of non-zero padding bits, leaves each token one spelling.
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return Claims{}, fmt.Errorf("verify token: not base64url: %w", ErrInvalid)
		}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil {
		return Claims{}, fmt.Errorf("verify token: not base64url: %w", ErrInvalid)
	}
	if len(raw) < headerLen+macLen {
		return Claims{}, fmt.Errorf("verify token: bad length: %w", ErrInvalid)
	}
	payload, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	// The MAC is checked before anything in the payload is believed.
	if !s.signed(sum, purpose, payload) {
		return Claims{}, fmt.Errorf("verify token: bad signature: %w", ErrInvalid)
	}
	if payload[0] != version {
		return Claims{}, fmt.Errorf("verify token: unknown version %d: %w", payload[0], ErrInvalid)
	}
	c := Claims{
		SubscriberID: int64(binary.BigEndian.Uint64(payload[1:9])),
		Email:        string(payload[headerLen:]),
	}
	if exp := int64(binary.BigEndian.Uint64(payload[9:17])); exp != 0 {
		c.Expires = time.Unix(exp, 0).UTC()
		if !now.Before(c.Expires) {
			return Claims{}, fmt.Errorf("verify token: expired at %s: %w", c.Expires.Format(time.RFC3339), ErrInvalid)
		}
	}
	return c, nil
}

// signed reports whether sum is the MAC of purpose and payload under the
// current or a previous secret.
func (s *Signer) signed(sum []byte, purpose string, payload []byte) bool {
	if hmac.Equal(sum, mac(s.key, purpose, payload)) {
		return true
	}
	for _, k := range s.previous {
		if hmac.Equal(sum, mac(k, purpose, payload)) {
			return true
		}
	}
	return false
}

// mac returns HMAC-SHA256(key, label | len(purpose) | purpose | payload).
// The length prefix keeps purpose and payload from running into each other.
func mac(key []byte, purpose string, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(purpose)))
	m.Write(n[:])
	m.Write([]byte(purpose))
	m.Write(payload)
	return m.Sum(nil)
}
