package bounce

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// Report kinds found in a mailbox message.
const (
	KindDSN         = "dsn"         // RFC 3464 delivery status notification
	KindARF         = "arf"         // RFC 5965 feedback (complaint) report
	KindUnsubscribe = "unsubscribe" // a reader's mail to the List-Unsubscribe address
)

// Bounds of the MIME walk: hostile mail must not make it expensive.
const (
	maxParts     = 50
	maxDepth     = 4
	maxPartBytes = 2 << 20
	maxGroups    = 500
)

// Report is what one mailbox message reports.
type Report struct {
	Kind   string // "" when the message is none of the kinds above
	Events []digest.SubscriberEvent
}

// report is what the walk collects.
type report struct {
	parts      int
	dsn        []textproto.MIMEHeader // per-recipient groups of message/delivery-status
	dsnSeen    bool
	feedback   textproto.MIMEHeader // message/feedback-report fields
	origHeader mail.Header          // headers of the returned or reported message
}

// verpAddress matches a VERP return path, bounces+jane=example.com@host:
// the recipient is encoded in the local part.
var verpAddress = lazyre.New(`^[^+@]+\+([^=@]+)=([^=@]+)@`)

// ParseReport reads a raw message from the bounce mailbox. A message that
// is not a report returns an empty Kind and no error; only a message that
// cannot be read as mail at all is an error.
func ParseReport(raw []byte) (Report, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Report{}, fmt.Errorf("read message: %w", err)
	}
	var rp report
	if err := rp.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return Report{}, err
	}
	origID := strings.TrimSpace(rp.origHeader.Get("Message-Id"))
	switch {
	case rp.feedback != nil:
		return Report{Kind: KindARF, Events: rp.arfEvents(origID)}, nil
	case rp.dsnSeen:
		return Report{Kind: KindDSN, Events: rp.dsnEvents(msg.Header, origID)}, nil
	}
	if ev, ok := unsubscribeRequest(msg.Header); ok {
		return Report{Kind: KindUnsubscribe, Events: []digest.SubscriberEvent{ev}}, nil
	}
	return Report{}, nil
}

// walk visits the MIME tree, collecting the parts a report consists of.
func (rp *report) walk(h textproto.MIMEHeader, body io.Reader, depth int) error {
	rp.parts++
	if rp.parts > maxParts || depth > maxDepth {
		return nil
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ct = "text/plain"
	}
	if strings.HasPrefix(ct, "multipart/") {
		if params["boundary"] == "" {
			return nil
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return nil // a broken tail: keep what was read
			}
			if err := rp.walk(p.Header, p, depth+1); err != nil {
				return err
			}
			if rp.parts > maxParts {
				return nil
			}
		}
	}
	body = decodeBody(h.Get("Content-Transfer-Encoding"), io.LimitReader(body, maxPartBytes))
	switch ct {
	case "message/delivery-status", "message/global-delivery-status":
		rp.dsnSeen = true
		groups := readGroups(body)
		if len(groups) > 1 {
			rp.dsn = append(rp.dsn, groups[1:]...) // the first group is per message
		}
	case "message/feedback-report":
		if groups := readGroups(body); len(groups) > 0 {
			rp.feedback = groups[0]
			for _, g := range groups[1:] {
				for k, v := range g {
					rp.feedback[k] = append(rp.feedback[k], v...)
				}
			}
		}
	case "message/rfc822", "message/global", "text/rfc822-headers":
		if rp.origHeader == nil {
			data, _ := io.ReadAll(io.LimitReader(body, 256<<10))
			if !bytes.Contains(data, []byte("\n\n")) && !bytes.Contains(data, []byte("\r\n\r\n")) {
				data = append(data, "\r\n\r\n"...) // headers alone
			}
			if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
				rp.origHeader = m.Header
			}
		}
	}
	return nil
}

// decodeBody undoes a part's transfer encoding.
func decodeBody(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, newlineSkipper{r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// newlineSkipper drops CR and LF, which base64.NewDecoder does not accept
// from every writer.
type newlineSkipper struct{ r io.Reader }

func (n newlineSkipper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// readGroups reads blocks of header fields separated by blank lines, as
// message/delivery-status and message/feedback-report are written.
func readGroups(r io.Reader) []textproto.MIMEHeader {
	tp := textproto.NewReader(bufio.NewReader(r))
	var out []textproto.MIMEHeader
	for len(out) < maxGroups {
		h, err := tp.ReadMIMEHeader()
		if len(h) > 0 {
			out = append(out, h)
		}
		if err != nil {
			return out
		}
	}
	return out
}

// typedAddress reads "rfc822; jane@example.com" (RFC 3464 address-type;
// address).
func typedAddress(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t\r\n") {
		return ""
	}
	return strings.ToLower(v)
}

// verpRecipient decodes a VERP address the bounce was sent back to.
func verpRecipient(h mail.Header) string {
	for _, k := range []string{"X-Original-To", "Delivered-To", "To"} {
		for _, v := range h[textproto.CanonicalMIMEHeaderKey(k)] {
			addr := v
			if a, err := mail.ParseAddress(v); err == nil {
				addr = a.Address
			}
			if m := verpAddress.Get().FindStringSubmatch(addr); m != nil {
				return strings.ToLower(m[1] + "@" + m[2])
			}
		}
	}
	return ""
}

// dsnEvents: Action failed with a 5.x.x status is a hard bounce, except a
// full mailbox (5.2.2); 4.x.x (given up after retrying) is soft. Delayed,
// delivered, relayed and expanded recipients are no bounce.
func (rp *report) dsnEvents(top mail.Header, origID string) []digest.SubscriberEvent {
	verp := verpRecipient(top)
	var out []digest.SubscriberEvent
	for _, g := range rp.dsn {
		if !strings.EqualFold(strings.TrimSpace(g.Get("Action")), "failed") {
			continue
		}
		status := strings.TrimSpace(g.Get("Status"))
		if i := strings.IndexAny(status, " \t("); i > 0 {
			status = status[:i]
		}
		k := digest.EventSoftBounce
		if strings.HasPrefix(status, "5.") && status != "5.2.2" {
			k = digest.EventHardBounce
		}
		email := verp
		if email == "" {
			email = typedAddress(g.Get("Original-Recipient"))
		}
		if email == "" {
			email = typedAddress(g.Get("Final-Recipient"))
		}
		if email == "" && origID == "" {
			continue
		}
		detail := strings.TrimSpace(status + " " + oneLine(g.Get("Diagnostic-Code")))
		out = append(out, digest.SubscriberEvent{Email: email, Kind: k, Detail: detail, MessageID: origID})
	}
	return out
}

// arfEvents: abuse, fraud, virus and other reports are complaints;
// auth-failure reports (RFC 6591) and not-spam are not.
func (rp *report) arfEvents(origID string) []digest.SubscriberEvent {
	ft := strings.ToLower(strings.TrimSpace(rp.feedback.Get("Feedback-Type")))
	switch ft {
	case "abuse", "fraud", "virus", "other":
	default:
		return nil
	}
	email := typedAddress(rp.feedback.Get("Original-Rcpt-To"))
	if email == "" && rp.origHeader != nil {
		if addrs, err := rp.origHeader.AddressList("To"); err == nil && len(addrs) == 1 {
			email = strings.ToLower(addrs[0].Address)
		}
	}
	if email == "" && origID == "" {
		return nil
	}
	detail := "feedback-type " + ft
	if ua := rp.feedback.Get("User-Agent"); ua != "" {
		detail += "; " + oneLine(ua)
	}
	return []digest.SubscriberEvent{{Email: email, Kind: digest.EventComplaint, Detail: detail, MessageID: origID}}
}

// unsubscribeRequest recognises a reader's mail to the List-Unsubscribe
// mailto: address, whose subject is "unsubscribe". Automatic mail
// (Auto-Submitted, RFC 3834) never unsubscribes anyone.
func unsubscribeRequest(h mail.Header) (digest.SubscriberEvent, bool) {
	if as := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); as != "" && as != "no" {
		return digest.SubscriberEvent{}, false
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		subj = h.Get("Subject")
	}
	s := strings.ToLower(strings.TrimSpace(subj))
	for {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "re:"), "fwd:"), "fw:"))
		if t == s {
			break
		}
		s = t
	}
	if s != "unsubscribe" && !strings.HasPrefix(s, "unsubscribe ") {
		return digest.SubscriberEvent{}, false
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil {
		return digest.SubscriberEvent{}, false
	}
	return digest.SubscriberEvent{Email: strings.ToLower(from.Address), Kind: digest.EventUnsubscribe,
		Detail: "mail to the List-Unsubscribe address"}, true
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
