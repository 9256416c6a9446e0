package token

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newTestSigner(tb testing.TB, secret []byte) *Signer {
	tb.Helper()
	s, err := NewSigner(secret)
	if err != nil {
		tb.Fatalf("NewSigner: %v", err)
	}
	return s
}

func TestNewSigner(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := NewSigner(make([]byte, n)); err == nil {
			t.Errorf("NewSigner(%d bytes) accepted a short secret", n)
		}
	}
	secret := []byte(strings.Repeat("k", 32))
	s := newTestSigner(t, secret)
	tok := s.Sign(PurposeUnsubscribe, 1, "a@example.com", time.Time{})
	secret[0] = 'x' // the signer must have its own copy
	if _, err := s.Verify(tok, PurposeUnsubscribe, time.Now()); err != nil {
		t.Errorf("changing the caller's slice broke the signer: %v", err)
	}
}

func TestSigner_RoundTrip(t *testing.T) {
	s := newTestSigner(t, testSecret)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		purpose string
		id      int64
		email   string
		expires time.Time
	}{
		{PurposeUnsubscribe, 42, "reader@example.com", time.Time{}},
		{PurposeConfirm, 7, "new@example.org", now.Add(ConfirmTTL)},
		{PurposePreferences, 1 << 40, "Ünïcode+tag@exämple.de", time.Time{}},
		{PurposeConfirm, 1, "", now.Add(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.purpose+"/"+tt.email, func(t *testing.T) {
			tok := s.Sign(tt.purpose, tt.id, tt.email, tt.expires)
			if strings.ContainsAny(tok, "+/=") {
				t.Errorf("token %q is not URL-safe unpadded base64", tok)
			}
			c, err := s.Verify(tok, tt.purpose, now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.SubscriberID != tt.id || c.Email != tt.email {
				t.Errorf("claims = %+v, want id %d email %q", c, tt.id, tt.email)
			}
			if !c.Expires.Equal(tt.expires.Truncate(time.Second)) {
				t.Errorf("Expires = %v, want %v", c.Expires, tt.expires)
			}
		})
	}
}

func TestSigner_Verify_Refuses(t *testing.T) {
	s := newTestSigner(t, testSecret)
	other := newTestSigner(t, []byte("another-secret-another-secret-xx"))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	good := s.Sign(PurposeUnsubscribe, 42, "reader@example.com", time.Time{})
	confirm := s.Sign(PurposeConfirm, 42, "reader@example.com", now.Add(ConfirmTTL))

	raw, err := base64.RawURLEncoding.DecodeString(good)
	if err != nil {
		t.Fatal(err)
	}
	alter := func(f func(b []byte) []byte) string {
		b := append([]byte(nil), raw...)
		return base64.RawURLEncoding.EncodeToString(f(b))
	}

	tests := []struct {
		name, tok, purpose string
		now                time.Time
	}{
		{"empty", "", PurposeUnsubscribe, now},
		{"garbage", "not a token!", PurposeUnsubscribe, now},
		{"padded base64", good + "=", PurposeUnsubscribe, now},
		{"line break inside", good[:20] + "\r\n" + good[20:], PurposeUnsubscribe, now},
		{"space inside", good[:20] + " " + good[20:], PurposeUnsubscribe, now},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good), PurposeUnsubscribe, now},
		{"too long", strings.Repeat("A", MaxLen+1), PurposeUnsubscribe, now},
		{"forged with another secret", other.Sign(PurposeUnsubscribe, 42, "reader@example.com", time.Time{}), PurposeUnsubscribe, now},
		{"truncated by one char", good[:len(good)-1], PurposeUnsubscribe, now},
		{"truncated to half", good[:len(good)/2], PurposeUnsubscribe, now},
		{"mac only", alter(func(b []byte) []byte { return b[len(b)-macLen:] }), PurposeUnsubscribe, now},
		{"altered id", alter(func(b []byte) []byte { b[8]++; return b }), PurposeUnsubscribe, now},
		{"altered expiry", alter(func(b []byte) []byte { b[16] = 1; return b }), PurposeUnsubscribe, now},
		{"altered email", alter(func(b []byte) []byte { b[headerLen] ^= 0x20; return b }), PurposeUnsubscribe, now},
		{"altered mac", alter(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), PurposeUnsubscribe, now},
		{"altered version", alter(func(b []byte) []byte { b[0] = 2; return b }), PurposeUnsubscribe, now},
		{"email swapped for another subscriber's", alter(func(b []byte) []byte {
			return append(append(b[:headerLen:headerLen], "victim@example.com"...), b[len(b)-macLen:]...)
		}), PurposeUnsubscribe, now},
		{"unsubscribe token used to confirm", good, PurposeConfirm, now},
		{"confirm token used for preferences", confirm, PurposePreferences, now},
		{"confirm token expired", confirm, PurposeConfirm, now.Add(ConfirmTTL)},
		{"confirm token long expired", confirm, PurposeConfirm, now.Add(30 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Verify(tt.tok, tt.purpose, tt.now)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalid", c, err)
			}
			if c != (Claims{}) {
				t.Errorf("refused token still returned claims %+v", c)
			}
		})
	}

	// Sanity: the unaltered tokens do verify, so the refusals above are
	// due to the alterations.
	if _, err := s.Verify(good, PurposeUnsubscribe, now); err != nil {
		t.Errorf("good token refused: %v", err)
	}
	if _, err := s.Verify(confirm, PurposeConfirm, now.Add(ConfirmTTL-time.Second)); err != nil {
		t.Errorf("confirm token refused a second before expiry: %v", err)
	}
}

func TestSigner_Rotation(t *testing.T) {
	oldSecret := []byte("the-secret-we-used-last-year-0001")
	old := newTestSigner(t, oldSecret)
	rotated, err := NewSigner(testSecret, oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	oldTok := old.Sign(PurposeUnsubscribe, 1, "a@example.com", time.Time{})
	if _, err := rotated.Verify(oldTok, PurposeUnsubscribe, now); err != nil {
		t.Errorf("token from the previous secret refused after rotation: %v", err)
	}
	newTok := rotated.Sign(PurposeUnsubscribe, 1, "a@example.com", time.Time{})
	if newTok != newTestSigner(t, testSecret).Sign(PurposeUnsubscribe, 1, "a@example.com", time.Time{}) {
		t.Error("a rotated signer must sign with the current secret")
	}
	if _, err := old.Verify(newTok, PurposeUnsubscribe, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("old signer accepted a token of the new secret: %v", err)
	}
	if _, err := NewSigner(testSecret, []byte("short")); err == nil {
		t.Error("a short previous secret was accepted")
	}
}

func TestSigner_OtherSubscriber(t *testing.T) {
	// A token names exactly one (id, email): the same id with another email
	// makes a different token, so a handler comparing the claims with the
	// stored subscriber refuses a token replayed after an address change.
	s := newTestSigner(t, testSecret)
	a := s.Sign(PurposeUnsubscribe, 5, "old@example.com", time.Time{})
	b := s.Sign(PurposeUnsubscribe, 5, "new@example.com", time.Time{})
	c := s.Sign(PurposeUnsubscribe, 6, "old@example.com", time.Time{})
	if a == b || a == c || b == c {
		t.Fatalf("tokens for different subscribers collide: %q %q %q", a, b, c)
	}
	got, err := s.Verify(a, PurposeUnsubscribe, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "old@example.com" || got.SubscriberID != 5 {
		t.Errorf("claims = %+v", got)
	}
}

// FuzzSigner_Verify checks that Verify never panics and never accepts a token
// other than one the signer made: any accepted token must be exactly what
// Sign returns for the claims it yields.
func FuzzSigner_Verify(f *testing.F) {
	s := newTestSigner(f, testSecret)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Add(s.Sign(PurposeUnsubscribe, 42, "reader@example.com", time.Time{}), PurposeUnsubscribe)
	f.Add(s.Sign(PurposeConfirm, 1, "x@y.z", now.Add(time.Hour)), PurposeConfirm)
	f.Add("", "")
	f.Add("AQ", PurposePreferences)
	f.Fuzz(func(t *testing.T, tok, purpose string) {
		c, err := s.Verify(tok, purpose, now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if again := s.Sign(purpose, c.SubscriberID, c.Email, c.Expires); again != tok {
			t.Fatalf("accepted %q, which the signer would spell %q", tok, again)
		}
	})
}

func BenchmarkSigner_Verify(b *testing.B) {
	s := newTestSigner(b, testSecret)
	tok := s.Sign(PurposeUnsubscribe, 42, "reader@example.com", time.Time{})
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok, PurposeUnsubscribe, now); err != nil {
			b.Fatal(err)
		}
	}
}
