package mail

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// dkimVerify is a small RFC 6376 verifier for relaxed/relaxed signatures
// (what go-mail produces), checking the body hash and the signature over the
// headers named in h=. It returns the h= list.
func dkimVerify(raw []byte, pub crypto.PublicKey) ([]string, error) {
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return nil, errors.New("no header/body separator")
	}
	fields := splitFields(string(head) + "\r\n")
	var sig string
	for _, f := range fields {
		if strings.EqualFold(fieldName(f), "DKIM-Signature") {
			sig = f
			break
		}
	}
	if sig == "" {
		return nil, errors.New("no DKIM-Signature")
	}
	tags := map[string]string{}
	_, val, _ := strings.Cut(sig, ":")
	for _, t := range strings.Split(val, ";") {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		tags[strings.TrimSpace(k)] = regexp.MustCompile(`\s+`).ReplaceAllString(v, "")
	}
	if tags["c"] != "relaxed/relaxed" {
		return nil, fmt.Errorf("verifier handles relaxed/relaxed only, got %q", tags["c"])
	}
	bh := sha256.Sum256(relaxedBody(body))
	if got := base64.StdEncoding.EncodeToString(bh[:]); got != tags["bh"] {
		return nil, fmt.Errorf("body hash mismatch: computed %s, signed %s", got, tags["bh"])
	}
	hlist := strings.Split(tags["h"], ":")
	var in bytes.Buffer
	used := map[int]bool{}
	for _, name := range hlist {
		// The last unused instance of each named field, per RFC 6376 5.4.2.
		for i := len(fields) - 1; i >= 0; i-- {
			if !used[i] && strings.EqualFold(fieldName(fields[i]), strings.TrimSpace(name)) {
				used[i] = true
				in.WriteString(relaxedHeader(fields[i]) + "\r\n")
				break
			}
		}
	}
	// Empty the b= tag (only that tag: a base64 bh= value may contain "b=").
	emptyB := regexp.MustCompile(`(;\s*b\s*=)[^;]*`).ReplaceAllString(sig, "$1")
	in.WriteString(relaxedHeader(emptyB))
	sigBytes, err := base64.StdEncoding.DecodeString(tags["b"])
	if err != nil {
		return nil, fmt.Errorf("decode b=: %w", err)
	}
	sum := sha256.Sum256(in.Bytes())
	switch k := pub.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sigBytes)
	case ed25519.PublicKey:
		if !ed25519.Verify(k, sum[:], sigBytes) {
			err = errors.New("ed25519: bad signature")
		}
	default:
		err = fmt.Errorf("unsupported key %T", pub)
	}
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return hlist, nil
}

// splitFields splits a header block into fields, keeping folded lines.
func splitFields(head string) []string {
	var out []string
	for _, line := range strings.SplitAfter(head, "\r\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += line
			continue
		}
		out = append(out, line)
	}
	for i := range out {
		out[i] = strings.TrimSuffix(out[i], "\r\n")
	}
	return out
}

func fieldName(f string) string {
	name, _, _ := strings.Cut(f, ":")
	return strings.TrimSpace(name)
}

func relaxedHeader(f string) string {
	name, val, _ := strings.Cut(f, ":")
	val = strings.NewReplacer("\r\n", "").Replace(val)
	val = regexp.MustCompile(`[ \t]+`).ReplaceAllString(val, " ")
	return strings.ToLower(strings.TrimSpace(name)) + ":" + strings.TrimSpace(val)
}

func relaxedBody(body []byte) []byte {
	lines := strings.Split(string(body), "\r\n")
	for i, l := range lines {
		l = regexp.MustCompile(`[ \t]+`).ReplaceAllString(l, " ")
		lines[i] = strings.TrimRight(l, " ")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}
