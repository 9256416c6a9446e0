package feed

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/tradedigest/tradedigest/digest"
)

// ErrHostFailed matches every HostError: the request failed because of its
// host, now or earlier in the run.
var ErrHostFailed = errors.New("host failed")

// HostError is a request that failed because of its host: the name did not
// resolve, the connection was refused, timed out or found no route, or the
// TLS handshake failed. Such a failure is not retried, and a Fetcher from
// ForRun remembers it: later requests of the run to the same host (to the
// same host and port, for all but DNS failures) fail at once with a
// HostError whose Skipped is set.
type HostError struct {
	// Host is the name (DNS failures) or host:port that failed.
	Host string
	// Skipped: the request was not sent; the host failed earlier in the
	// run, with Err.
	Skipped bool
	Err     error
}

func (e *HostError) Error() string {
	if e.Skipped {
		return fmt.Sprintf("not tried: %s failed earlier in this run: %v", e.Host, e.Err)
	}
	return e.Err.Error()
}

func (e *HostError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrHostFailed) true for every HostError.
func (e *HostError) Is(target error) bool { return target == ErrHostFailed }

// FailedHost returns the host named by a HostError in err's chain, and
// whether the request was skipped because of an earlier failure.
func FailedHost(err error) (host string, skipped, ok bool) {
	var he *HostError
	if !errors.As(err, &he) {
		return "", false, false
	}
	return he.Host, he.Skipped, true
}

// hostMemory is one run's record of failed hosts. A nil *hostMemory
// remembers nothing.
type hostMemory struct {
	mu    sync.Mutex
	hosts map[string]error // "name" (DNS) or "name:port" → the failure
}

// memoryKey carries a run's *hostMemory in a request's context to the
// dialer.
type memoryKey struct{}

// check returns the remembered failure of addr ("host:port") as a skipped
// HostError, or nil.
func (m *hostMemory) check(addr string) *HostError {
	if m == nil {
		return nil
	}
	addr = strings.ToLower(addr)
	name, _, err := net.SplitHostPort(addr)
	if err != nil {
		name = addr
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cause, ok := m.hosts[name]; ok {
		return &HostError{Host: name, Skipped: true, Err: cause}
	}
	if cause, ok := m.hosts[addr]; ok {
		return &HostError{Host: addr, Skipped: true, Err: cause}
	}
	return nil
}

// record remembers err for addr when it is the host's fault, and returns
// it as a HostError; it returns nil for other errors. A nil memory
// remembers nothing but still classifies.
func (m *hostMemory) record(addr string, err error) *HostError {
	var he *HostError
	if errors.As(err, &he) {
		return he // classified (and remembered) where it happened
	}
	key, ok := failureKey(addr, err)
	if !ok {
		return nil
	}
	if m != nil {
		m.mu.Lock()
		if _, seen := m.hosts[key]; !seen {
			m.hosts[key] = err
		}
		m.mu.Unlock()
	}
	return &HostError{Host: key, Err: err}
}

// failureKey says whether err is the fault of the host at addr, and under
// which key to remember it: the name alone for a DNS failure (every port
// fails), host:port for the others.
func failureKey(addr string, err error) (string, bool) {
	addr = strings.ToLower(addr)
	if errors.Is(err, ErrBlockedAddress) {
		return "", false // the guard's verdict, not the host's fault
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		name, _, serr := net.SplitHostPort(addr)
		if serr != nil {
			name = addr
		}
		return name, true
	}
	if connectFailure(err) || tlsFailure(err) {
		return addr, true
	}
	return "", false
}

// connectFailure: the TCP connection could not be made (refused,
// unreachable, or no answer within the connect timeout).
func connectFailure(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && op.Timeout()
}

// tlsFailure: the TLS handshake failed or the certificate was refused.
func tlsFailure(err error) bool {
	var (
		rec     tls.RecordHeaderError
		alert   tls.AlertError
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		name    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	return errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &verify) ||
		errors.As(err, &unknown) || errors.As(err, &name) || errors.As(err, &invalid)
}

// hostFailure reports whether err is the host's fault (see HostError).
func hostFailure(err error) bool {
	if errors.Is(err, ErrHostFailed) {
		return true
	}
	_, ok := failureKey("", err)
	return ok
}

// hostPort is u's host and port, the port filled in from the scheme.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// hostTally counts what failed hosts cost one source's fetches.
type hostTally struct {
	mu      sync.Mutex
	hosts   map[string]bool
	skipped int
}

// add counts err when it is a HostError.
func (t *hostTally) add(err error) {
	host, skipped, ok := FailedHost(err)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hosts == nil {
		t.hosts = map[string]bool{}
	}
	t.hosts[host] = true
	if skipped {
		t.skipped++
	}
}

// apply puts the counts into res.
func (t *hostTally) apply(res *digest.FetchResult) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for h := range t.hosts {
		res.HostsFailed = append(res.HostsFailed, h)
	}
	sort.Strings(res.HostsFailed)
	res.Skipped += t.skipped
}
