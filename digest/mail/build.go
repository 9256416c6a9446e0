// Package mail delivers digest messages: it builds MIME messages with
// github.com/wneessen/go-mail, writes them to an .eml outbox, or sends them
// over a pool of SMTP connections, classifying failures as temporary or
// permanent (digest.ErrPermanent).
package mail

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"github.com/tradedigest/tradedigest/digest"
)

// UserAgent is the default User-Agent / X-Mailer header value.
const UserAgent = "tradedigest"

// maxURILen bounds the length of a List-Unsubscribe URI so a header line can
// always be folded under the 998-octet limit of RFC 5322.
const maxURILen = 900

// headerListID is RFC 2919's List-Id, which go-mail has no constant for.
const headerListID gomail.Header = "List-Id"

const headerDKIM gomail.Header = "DKIM-Signature"

// BuildOptions tune Build. The zero value builds an unsigned message.
type BuildOptions struct {
	// DKIM signs the message when set.
	DKIM *DKIMConfig
	// UserAgent replaces the default User-Agent header (UserAgent).
	UserAgent string
	// Now is the clock for the DKIM t= tag; time.Now when nil.
	Now func() time.Time
}

// DKIMConfig is what DKIM signing needs. The key is parsed once, on first
// use, and then shared by every message built with the same *DKIMConfig.
type DKIMConfig struct {
	Domain   string // d= tag, e.g. "example.com"
	Selector string // s= tag; the public key lives at <selector>._domainkey.<domain>
	// PrivateKeyPEM is an RSA (PKCS#1 or PKCS#8) or Ed25519 (PKCS#8) key.
	PrivateKeyPEM []byte

	once sync.Once
	key  crypto.Signer
	err  error
}

// SignedHeaders returns the header fields covered by the DKIM signature:
// go-mail's defaults plus the List-* fields, so that nobody can add or alter
// an unsubscribe link without breaking the signature.
func SignedHeaders() []string {
	return []string{
		"From", "To", "Subject", "Date", "Message-ID", "Content-Type", "MIME-Version",
		"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
	}
}

// Validate checks the configuration and parses the key.
func (c *DKIMConfig) Validate() error {
	_, err := c.signerKey()
	return err
}

func (c *DKIMConfig) signerKey() (crypto.Signer, error) {
	c.once.Do(func() {
		switch {
		case c.Domain == "":
			c.err = errors.New("dkim: domain is empty")
		case c.Selector == "":
			c.err = errors.New("dkim: selector is empty")
		default:
			c.key, c.err = gomail.PrivKeyFromPEM(c.PrivateKeyPEM)
			if c.err != nil {
				c.err = fmt.Errorf("dkim: parse private key: %w", c.err)
			}
		}
	})
	return c.key, c.err
}

// signer returns a fresh go-mail signer: go-mail's Signer caches its
// algorithm on first use without a lock, so one per message avoids a data
// race between pool workers.
func (c *DKIMConfig) signer(now func() time.Time) (*gomail.DKIMSigner, error) {
	key, err := c.signerKey()
	if err != nil {
		return nil, err
	}
	s := gomail.NewDKIMSigner(c.Domain, c.Selector, key)
	s.SignHeaders(SignedHeaders()...)
	// refoldDKIM relies on relaxed header canonicalisation.
	s.HeaderCanonicalization(gomail.CanonicalizationRelaxed)
	s.BodyCanonicalization(gomail.CanonicalizationRelaxed)
	if now != nil {
		s.NowFunc = now
	}
	return s, nil
}

// Build turns a digest message into a go-mail message: multipart/alternative
// with the text part first and the HTML part second, the deterministic
// Message-ID, Date, From, To, Subject, List-Id and List-Unsubscribe headers
// (with List-Unsubscribe-Post for RFC 8058 one-click when an https URL is
// given), optionally DKIM-signed.
//
// Every value that reaches a header is validated or sanitised: CR, LF and
// other control characters can never start a new header line. Errors wrap
// digest.ErrPermanent, since retrying the same message cannot help.
func Build(m digest.Message, opts BuildOptions) (*gomail.Msg, error) {
	b, err := build(m, opts, false)
	if err != nil {
		return nil, fmt.Errorf("build message %q: %w: %w", safeID(m.MessageID), digest.ErrPermanent, err)
	}
	return b.msg, nil
}

// wireMessage is a message as it goes out: envelope and bytes.
type wireMessage struct {
	from, to string
	data     []byte
}

// renderMessage builds m like Build and renders it, with the text and HTML
// parts encoded by appendQP instead of go-mail's byte-at-a-time
// quoted-printable writer. The bytes are those Build's message writes (the
// tests compare them, golden file included); this is what Sender sends and
// Outbox writes. Errors wrap digest.ErrPermanent.
func renderMessage(m digest.Message, opts BuildOptions) (*wireMessage, error) {
	w, err := renderWire(m, opts)
	if err != nil {
		return nil, fmt.Errorf("build message %q: %w: %w", safeID(m.MessageID), digest.ErrPermanent, err)
	}
	return w, nil
}

func renderWire(m digest.Message, opts BuildOptions) (*wireMessage, error) {
	b, err := build(m, opts, true)
	if err != nil {
		return nil, err
	}
	defer b.release()
	// The envelope as go-mail's own send would give it (address only, in
	// the form its Mail and Rcpt expect).
	from, err := b.msg.GetSender(false)
	if err != nil {
		return nil, err
	}
	rcpts, err := b.msg.GetRecipients()
	if err != nil {
		return nil, err
	}
	if len(rcpts) != 1 {
		return nil, fmt.Errorf("want one recipient, have %d", len(rcpts))
	}
	data, err := b.render()
	if err != nil {
		return nil, err
	}
	return &wireMessage{from: from, to: rcpts[0], data: data}, nil
}

// release gives the message's bytes back to the pool once they are sent or
// written; w must not be used afterwards.
func (w *wireMessage) release() {
	putBuf(w.data)
	w.data = nil
}

// built is a go-mail message with what rendering it needs.
type built struct {
	msg      *gomail.Msg
	boundary string
	// preencoded: the body parts hold appendQP's output and are marked 8bit
	// (go-mail's only encoding that copies a body unchanged) until render
	// marks them quoted-printable.
	preencoded bool
	parts      int
	size       int      // of the encoded parts
	scratch    [][]byte // the encoded parts, pooled once rendered
}

// emptyBody is the body go-mail writes for a pre-encoded part.
func emptyBody(io.Writer) (int64, error) { return 0, nil }

// release gives the encoded parts back to the pool: the message must not be
// rendered again.
func (b *built) release() {
	for _, p := range b.scratch {
		putBuf(p)
	}
	b.scratch = nil
}

// bufPool recycles rendering's buffers (*[]byte): the encoded parts and
// the rendered message, tens of KB each per message, were most of the
// garbage of a delivery. A pool, like fmt's, holds no state between
// messages.
var bufPool sync.Pool

func getBuf() []byte {
	if p, ok := bufPool.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return nil
}

// putBuf returns b to the pool; the caller must not use it afterwards.
// Buffers over 1 MB are left to the collector.
func putBuf(b []byte) {
	if cap(b) == 0 || cap(b) > 1<<20 {
		return
	}
	b = b[:0]
	bufPool.Put(&b)
}

// render writes the message. With preencoded parts go-mail writes the
// message around empty bodies (headers, part headers, boundaries: about a
// kilobyte), and the encoded parts are put in where their bodies begin,
// right after each part's header; go-mail's writer copies a body verbatim,
// so the bytes are those it would write with the body inside (the tests
// compare them with go-mail's own encoding). go-mail has no way to take a
// body already encoded while saying quoted-printable in its part header,
// so the parts are given as 8bit, its pass-through encoding, and their
// "Content-Transfer-Encoding: 8bit" lines are rewritten: each sits right
// after a boundary line of ours (or, in a one-part message, in the header
// block), and exactly one per part must be found.
func (b *built) render() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := b.msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	raw := buf.Bytes()
	if !b.preencoded {
		return raw, nil
	}
	const cte = "Content-Transfer-Encoding: "
	old, repl := []byte(cte+string(gomail.NoEncoding)+"\r\n"), []byte(cte+string(gomail.EncodingQP)+"\r\n")
	in := raw
	if b.parts > 1 {
		prefix := "--" + b.boundary + "\r\n"
		old, repl = append([]byte(prefix), old...), append([]byte(prefix), repl...)
	} else {
		in, _, _ = bytes.Cut(raw, []byte("\r\n\r\n")) // the header block
		old, repl = append([]byte("\r\n"), old...), append([]byte("\r\n"), repl...)
	}
	out := getBuf()
	out = slices.Grow(out, len(raw)+b.parts*(len(repl)-len(old))+b.size)
	last := 0
	for k := range b.parts {
		i := bytes.Index(in[last:], old)
		if i < 0 {
			return nil, fmt.Errorf("render: fewer than %d part headers to mark quoted-printable", b.parts)
		}
		i += last
		hdr := i + len(old)
		j := bytes.Index(raw[hdr:], []byte("\r\n\r\n"))
		if j < 0 {
			return nil, errors.New("render: a part header without its end")
		}
		body := hdr + j + 4
		out = append(out, raw[last:i]...)
		out = append(out, repl...)
		out = append(out, raw[hdr:body]...)
		out = append(out, b.scratch[k]...)
		last = body
	}
	if n := bytes.Count(in, old); n != b.parts {
		return nil, fmt.Errorf("render: %d part headers to mark quoted-printable for %d parts", n, b.parts)
	}
	return append(out, raw[last:]...), nil
}

func build(m digest.Message, opts BuildOptions, preencoded bool) (*built, error) {
	if m.Text == "" && m.HTML == "" {
		return nil, errors.New("message has no body")
	}
	if err := checkMessageID(m.MessageID); err != nil {
		return nil, err
	}
	from, err := parseFrom(m.From)
	if err != nil {
		return nil, err
	}
	to, err := parseAddr("to", m.To)
	if err != nil {
		return nil, err
	}
	to.Name = cleanHeaderText(m.ToName)
	b := &built{boundary: boundary(m.MessageID), preencoded: preencoded}

	msgOpts := []gomail.MsgOption{
		gomail.WithNoDefaultUserAgent(),
		// A boundary derived from the Message-ID keeps the output byte-for-byte
		// reproducible (golden files, and the same .eml for the same message).
		gomail.WithBoundary(b.boundary),
	}
	msg := gomail.NewMsg(msgOpts...)
	b.msg = msg
	msg.FromMailAddress(from)
	msg.ToMailAddress(to)
	msg.Subject(cleanHeaderText(m.Subject))
	msg.SetMessageIDWithValue(m.MessageID)
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	ua := opts.UserAgent
	if ua == "" {
		ua = UserAgent
	}
	msg.SetUserAgent(cleanHeaderText(ua))
	// Suppress vacation auto-replies to a daily mailing.
	msg.SetBulk()

	if m.ListID != "" {
		listID, err := formatListID(m.ListID)
		if err != nil {
			return nil, err
		}
		msg.SetGenHeader(headerListID, listID)
	}
	if err := setUnsubscribe(msg, m.UnsubscribeURL, m.UnsubscribeMailto); err != nil {
		return nil, err
	}

	type part struct {
		ct   gomail.ContentType
		body string
	}
	var parts []part
	if m.Text != "" {
		parts = append(parts, part{gomail.TypeTextPlain, m.Text})
	}
	if m.HTML != "" {
		parts = append(parts, part{gomail.TypeTextHTML, m.HTML})
	}
	b.parts = len(parts)
	for i, p := range parts {
		if !preencoded {
			add := msg.AddAlternativeString
			if i == 0 {
				add = msg.SetBodyString
			}
			add(p.ct, p.body)
			continue
		}
		enc := appendQP(getBuf(), p.body)
		b.scratch = append(b.scratch, enc)
		b.size += len(enc)
		add := msg.AddAlternativeWriter
		if i == 0 {
			add = msg.SetBodyWriter
		}
		add(p.ct, emptyBody, gomail.WithPartEncoding(gomail.NoEncoding)) // render puts enc in

	}
	if opts.DKIM != nil {
		if err := sign(b, opts.DKIM, opts.Now); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// sign adds a DKIM-Signature made by go-mail's signer.
//
// go-mail v0.8.1's own WithDKIM path folds the DKIM-Signature value at 76
// columns even inside a tag value, while it signs the unfolded value. Under
// relaxed canonicalisation the fold becomes a space, so any h= list longer
// than one line (ours is, with the List-* fields) fails verification at the
// receiver. So the message is rendered once, signed with the same signer,
// and the signature is refolded only where folding is harmless (after "; "
// and inside b=) and attached as a preformatted header. The rendering is
// deterministic (fixed boundary, Date and Message-ID), so the bytes that go
// out are the bytes that were signed.
func sign(b *built, cfg *DKIMConfig, now func() time.Time) error {
	s, err := cfg.signer(now)
	if err != nil {
		return err
	}
	raw, err := b.render()
	if err != nil {
		return fmt.Errorf("dkim: render for signing: %w", err)
	}
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return errors.New("dkim: rendered message has no body separator")
	}
	header, err := s.Sign(append(head, '\r', '\n'), body)
	putBuf(raw)
	if err != nil {
		return fmt.Errorf("dkim: sign: %w", err)
	}
	value, ok := strings.CutPrefix(header, "DKIM-Signature: ")
	if !ok {
		return errors.New("dkim: unexpected signature header")
	}
	b.msg.SetGenHeaderPreformatted(headerDKIM, refoldDKIM(value))
	return nil
}

// refoldDKIM undoes go-mail's folds (pure "\r\n " insertions into the value
// it signed) and folds again between tags and inside the b= value only.
func refoldDKIM(value string) string {
	value = strings.TrimSuffix(value, "\r\n")
	value = strings.ReplaceAll(value, "\r\n ", "")
	tags := strings.Split(value, "; ")
	var b strings.Builder
	for i, tag := range tags {
		if i > 0 {
			b.WriteString(";\r\n\t")
		}
		if sig, ok := strings.CutPrefix(tag, "b="); ok {
			b.WriteString("b=")
			for len(sig) > 72 {
				b.WriteString(sig[:72])
				b.WriteString("\r\n\t")
				sig = sig[72:]
			}
			tag = sig
		}
		b.WriteString(tag)
	}
	return b.String()
}

// setUnsubscribe writes List-Unsubscribe and, for an https URL,
// List-Unsubscribe-Post. The headers are set as generic (sorted) headers
// rather than through SetListUnsubscribeOneClick, whose preformatted headers
// come out in map order: a stable header order keeps .eml files reproducible.
// A plain http URL (a local `digest serve`) is listed but is not one-click,
// as RFC 8058 requires https.
func setUnsubscribe(msg *gomail.Msg, rawURL, mailto string) error {
	var uris []string
	oneClick := false
	if rawURL != "" {
		u, err := checkURI(rawURL)
		if err != nil {
			return fmt.Errorf("unsubscribe url: %w", err)
		}
		switch {
		case u.Scheme == "https" && u.Host != "":
			oneClick = true
		case u.Scheme == "http" && u.Host != "":
		default:
			return errors.New("unsubscribe url: want an http(s) URL with a host")
		}
		uris = append(uris, "<"+u.String()+">")
	}
	if mailto != "" {
		if !strings.HasPrefix(strings.ToLower(mailto), "mailto:") {
			mailto = "mailto:" + mailto
		}
		u, err := checkURI(mailto)
		if err != nil {
			return fmt.Errorf("unsubscribe mailto: %w", err)
		}
		if _, err := netmail.ParseAddress(u.Opaque); u.Opaque == "" || err != nil {
			return errors.New("unsubscribe mailto: not a mailto:address URI")
		}
		uris = append(uris, "<"+u.String()+">")
	}
	if len(uris) == 0 {
		return nil
	}
	msg.SetGenHeader(gomail.HeaderListUnsubscribe, strings.Join(uris, ", "))
	if oneClick {
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	return nil
}

// checkURI parses a URI bound for a header: printable ASCII without spaces
// or angle brackets, and short enough to fold.
func checkURI(raw string) (*url.URL, error) {
	if len(raw) > maxURILen {
		return nil, fmt.Errorf("longer than %d bytes", maxURILen)
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return nil, fmt.Errorf("byte %#x at %d is not allowed", c, i)
		}
	}
	// RFC 2369: literal commas in a URL must be encoded.
	u, err := url.Parse(strings.ReplaceAll(raw, ",", "%2C"))
	if err != nil {
		return nil, errors.New("not a valid URI")
	}
	return u, nil
}

// formatListID validates "Name <list.id.example>" (RFC 2919) and encodes a
// non-ASCII name as an RFC 2047 word.
func formatListID(raw string) (string, error) {
	raw = cleanHeaderText(raw)
	name, id := "", raw
	if i := strings.LastIndexByte(raw, '<'); i >= 0 {
		if !strings.HasSuffix(raw, ">") {
			return "", errors.New("list-id: want \"Name <list.example.com>\"")
		}
		name, id = strings.TrimSpace(raw[:i]), raw[i+1:len(raw)-1]
	}
	if !isDotAtom(id) || !strings.Contains(id, ".") {
		return "", fmt.Errorf("list-id: %q is not a dot-atom list identifier", id)
	}
	if name == "" {
		return "<" + id + ">", nil
	}
	if strings.ContainsAny(name, "<>\"") {
		return "", errors.New("list-id: name may not contain <, > or quotes")
	}
	return mime.QEncoding.Encode("UTF-8", name) + " <" + id + ">", nil
}

// parseFrom accepts "addr" or "Name <addr>".
func parseFrom(raw string) (*netmail.Address, error) {
	if hasControl(raw) {
		return nil, errors.New("from: contains control characters")
	}
	a, err := netmail.ParseAddress(raw)
	if err != nil {
		return nil, fmt.Errorf("from: invalid address: %w", err)
	}
	a.Name = cleanHeaderText(a.Name)
	return a, nil
}

// parseAddr accepts a bare address only; the display name travels apart.
func parseAddr(field, raw string) (*netmail.Address, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%s: empty address", field)
	}
	if hasControl(raw) {
		return nil, fmt.Errorf("%s: contains control characters", field)
	}
	a, err := netmail.ParseAddress(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: invalid address: %w", field, err)
	}
	if a.Address != raw || a.Name != "" {
		return nil, fmt.Errorf("%s: want a bare address", field)
	}
	return a, nil
}

// checkMessageID requires id-left "@" id-right made of dot-atom text, so the
// id is usable unquoted inside <...>.
func checkMessageID(id string) error {
	left, right, ok := strings.Cut(id, "@")
	if !ok || !isDotAtom(left) || !isDotAtom(right) || len(id) > 250 {
		return fmt.Errorf("message-id %q: want dot-atom@dot-atom without angle brackets", safeID(id))
	}
	return nil
}

func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// cleanHeaderText makes free text safe for an unstructured header: control
// characters (CR and LF above all) become spaces, runs of spaces collapse,
// invalid UTF-8 is replaced. go-mail then encodes non-ASCII as RFC 2047.
func cleanHeaderText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// safeID makes an id printable for an error message.
func safeID(id string) string {
	if len(id) > 80 {
		id = id[:80] + "..."
	}
	return strings.ToValidUTF8(id, "?")
}

func boundary(messageID string) string {
	sum := sha256.Sum256([]byte(messageID))
	return "digest-" + hex.EncodeToString(sum[:12])
}
