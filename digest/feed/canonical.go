package feed

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/tradedigest/tradedigest/internal/lazy"
)

// trackingParams are query parameters that identify a campaign or a click,
// not a page; dropping them makes one article one URL.
var trackingParams = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "msclkid": true,
		"mc_cid": true, "mc_eid": true, "igshid": true, "yclid": true, "twclid": true,
		"_hsenc": true, "_hsmi": true, "__hstc": true, "__hssc": true, "__hsfp": true,
		"hsctatracking": true, "ref": true, "ref_src": true, "ref_url": true, "referrer": true,
		"cmpid": true, "ocid": true, "icid": true, "smid": true, "smtyp": true,
		"sr_share": true, "share": true, "s_cid": true, "wt.mc_id": true, "wt_mc_id": true,
		"mkt_tok": true, "vero_id": true, "vero_conv": true, "oly_enc_id": true, "oly_anon_id": true,
		"rss": true, "feedtype": true, "feedname": true, "cmp": true, "campaign": true,
		"ncid": true, "soc_src": true, "soc_trk": true, "spm": true, "at_medium": true,
		"at_campaign": true, "at_custom1": true, "at_custom2": true, "at_custom3": true,
		"at_custom4": true, "guccounter": true, "guce_referrer": true, "guce_referrer_sig": true,
		"amp": true, "_ga": true, "_gl": true, "srsltid": true,
	}
}}

// CanonicalURL returns the canonical form of an http(s) article URL: scheme
// and host lower-cased, default port, fragment and tracking parameters
// dropped, the remaining query sorted, AMP and mobile variants mapped to
// the main page. Two links to one article give one string.
func CanonicalURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("canonical url %q: %w", raw, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("canonical url %q: %w", raw, ErrScheme)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return "", fmt.Errorf("canonical url %q: missing host", raw)
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if net.ParseIP(host) == nil {
		for _, p := range []string{"amp.", "m.", "mobile.", "www.m."} {
			// Keep at least a registrable name: "m.co" stays as it is.
			if rest, ok := strings.CutPrefix(host, p); ok && strings.Contains(rest, ".") {
				host = rest
				if p == "www.m." {
					host = "www." + rest
				}
				break
			}
		}
	}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	u.Fragment, u.RawFragment = "", ""
	u.User = nil

	u.Path = canonicalPath(u.Path)
	u.RawPath = ""

	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || trackingParams.Get()[lk] {
			delete(q, k)
		}
		if lk == "outputtype" && strings.EqualFold(q.Get(k), "amp") {
			delete(q, k)
		}
	}
	u.RawQuery = encodeSorted(q)
	u.ForceQuery = false
	return u.String(), nil
}

// canonicalPath removes AMP markers from a path: an "/amp/" segment, a
// trailing "/amp" and the ".amp.html" suffix.
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	switch {
	case strings.HasSuffix(p, ".amp.html"):
		p = strings.TrimSuffix(p, ".amp.html") + ".html"
	case strings.HasSuffix(p, ".amp"):
		p = strings.TrimSuffix(p, ".amp")
	}
	segs := strings.Split(p, "/")
	kept := segs[:0]
	for i, s := range segs {
		if strings.EqualFold(s, "amp") && i > 0 {
			continue
		}
		kept = append(kept, s)
	}
	p = strings.Join(kept, "/")
	if p == "" {
		p = "/"
	}
	return p
}

// encodeSorted encodes q with keys and values in order, so the same set of
// parameters always gives the same string.
func encodeSorted(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}
