package feed

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// DefaultAllowPorts are the ports an allow-list entry without a port opens:
// the default ports of http and https, where feeds and pages live. Other
// services on an allowed host (SSH, databases, admin consoles) stay out of
// reach unless an entry names their port.
var DefaultAllowPorts = []int{80, 443}

// allowRule is one parsed entry of FetcherConfig.AllowHosts.
type allowRule struct {
	entry string     // as written, for messages
	name  string     // a host name, lower case; "" for address rules
	nets  *net.IPNet // an address or prefix; nil for name rules
	ports []int      // allowed ports; nil means every port
}

// CheckAllowHost checks one gather.allow_hosts entry: HOST, HOST:PORT or
// HOST:*, where HOST is a host name ("intranet.example"), an IP address
// (IPv6 in brackets when a port follows: "[fd00::1]:8080") or a CIDR prefix
// ("10.1.0.0/16", "[fd00::/8]:8443"). Without a port the entry allows
// DefaultAllowPorts; ":*" allows every port. The error names the entry.
func CheckAllowHost(entry string) error {
	_, err := parseAllowHost(entry)
	return err
}

func parseAllowHost(entry string) (allowRule, error) {
	r := allowRule{entry: entry, ports: DefaultAllowPorts}
	e := strings.ToLower(strings.TrimSpace(entry))
	if strings.Contains(e, "://") {
		return r, fmt.Errorf("allow_hosts entry %q: want a host (and port), not a URL", entry)
	}
	if err := r.setHost(e); err == nil {
		return r, nil
	}
	host, port, err := net.SplitHostPort(e)
	if err != nil {
		return r, fmt.Errorf("allow_hosts entry %q: want host, host:port or host:* (a name, an IP address or a CIDR prefix; IPv6 with a port in brackets)", entry)
	}
	if err := r.setHost(host); err != nil {
		return r, fmt.Errorf("allow_hosts entry %q: %w", entry, err)
	}
	if port == "*" {
		r.ports = nil
		return r, nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return r, fmt.Errorf("allow_hosts entry %q: port %q is not a number from 1 to 65535 or *", entry, port)
	}
	r.ports = []int{p}
	return r, nil
}

// setHost sets the rule's host part from h: a prefix, an address or a name.
func (r *allowRule) setHost(h string) error {
	bare := h
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		bare = h[1 : len(h)-1]
	}
	if _, n, err := net.ParseCIDR(bare); err == nil {
		r.nets = n
		return nil
	}
	if ip := net.ParseIP(bare); ip != nil {
		bits := 128
		if v4 := ip.To4(); v4 != nil {
			ip, bits = v4, 32
		}
		r.nets = &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
		return nil
	}
	name := strings.TrimSuffix(h, ".")
	if !validHostName(name) {
		return fmt.Errorf("%q is neither a host name, an IP address nor a CIDR prefix", h)
	}
	r.name = name
	return nil
}

// validHostName reports whether s is a DNS name: dot-separated labels of
// letters, digits, '-' and '_' (seen in the wild), none empty or longer
// than 63 bytes, 253 bytes in all.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// allowsPort reports whether the rule lets port through.
func (r allowRule) allowsPort(port int) bool {
	return r.ports == nil || slices.Contains(r.ports, port)
}

// portsText says which ports the rule opens, for messages.
func (r allowRule) portsText() string {
	if r.ports == nil {
		return "every port"
	}
	s := make([]string, len(r.ports))
	for i, p := range r.ports {
		s[i] = strconv.Itoa(p)
	}
	return "port " + strings.Join(s, " and ")
}

// withPort spells the entry that would allow port too, for a hint.
func (r allowRule) withPort(port int) string {
	host := r.name
	if r.nets != nil {
		host = r.nets.String()
		if ones, bits := r.nets.Mask.Size(); ones == bits {
			host = r.nets.IP.String()
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	}
	return host + ":" + strconv.Itoa(port)
}

// allowList is the parsed AllowHosts.
type allowList struct {
	rules []allowRule
	err   error // the first malformed entry; every fetch fails with it
}

func parseAllowList(entries []string) allowList {
	var l allowList
	var errs []error
	for _, e := range entries {
		r, err := parseAllowHost(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.rules = append(l.rules, r)
	}
	l.err = errors.Join(errs...)
	return l
}

// name looks up a host name as written in the URL. It returns whether the
// name and port are allowed, and otherwise the rule that matched the name
// on another port (for the refusal's message), or nil.
func (l allowList) name(host string, port int) (bool, *allowRule) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	var near *allowRule
	for i, r := range l.rules {
		if r.name == "" || r.name != host {
			continue
		}
		if r.allowsPort(port) {
			return true, nil
		}
		near = &l.rules[i]
	}
	return false, near
}

// addr looks up the address actually dialled, as name does.
func (l allowList) addr(ip net.IP, port int) (bool, *allowRule) {
	var near *allowRule
	for i, r := range l.rules {
		if r.nets == nil || !r.nets.Contains(ip) {
			continue
		}
		if r.allowsPort(port) {
			return true, nil
		}
		near = &l.rules[i]
	}
	return false, near
}
