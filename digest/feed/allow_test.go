package feed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestCheckAllowHost(t *testing.T) {
	good := []string{
		"intranet.example", "Intranet.Example.", "intranet.example:8080", "intranet.example:*", "feeds_1.corp",
		"10.1.2.3", "10.1.2.3:8443", "10.0.0.0/8", "10.0.0.0/8:8080", "[fd00::/8]:8443", "fd00::/8", "[fd00::/8]",
		"::1", "[::1]", "[::1]:8080", "localhost:*",
	}
	for _, e := range good {
		if err := CheckAllowHost(e); err != nil {
			t.Errorf("CheckAllowHost(%q) = %v", e, err)
		}
	}
	bad := []string{
		"", "intranet.example:", "intranet.example:0", "intranet.example:65536", "intranet.example:http",
		"intranet.example:80:80", "http://intranet.example", "intra net", "-bad.example", "a..example",
		"10.0.0.0/33", "intranet.example/feed", "[fd00::1", "*",
	}
	for _, e := range bad {
		err := CheckAllowHost(e)
		if err == nil {
			t.Errorf("CheckAllowHost(%q) accepted a malformed entry", e)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("allow_hosts entry %q", e)) {
			t.Errorf("CheckAllowHost(%q) = %q, want it to name the entry", e, err)
		}
	}
}

// TestFetcher_AllowHostPorts: an entry with a port opens that port only, a
// bare entry opens 80 and 443 only (not, say, the host's SSH or database
// port), ":*" opens every port; names and addresses alike.
func TestFetcher_AllowHostPorts(t *testing.T) {
	srv := serveOn(t, "127.0.0.2", okHandler("ok"))
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	byIP := srv.URL // http://127.0.0.2:PORT

	// A second server on 127.0.0.1 for name entries ("localhost").
	local := serveOn(t, "127.0.0.1", okHandler("local"))
	_, lport, _ := net.SplitHostPort(local.Listener.Addr().String())
	named := "http://localhost:" + lport + "/"

	tests := []struct {
		allow  []string
		url    string
		ok     bool
		reason string // in the refusal
	}{
		{[]string{"127.0.0.2:" + port}, byIP, true, ""},
		{[]string{"127.0.0.0/8:" + port}, byIP, true, ""},
		{[]string{"127.0.0.2:*"}, byIP, true, ""},
		{[]string{"127.0.0.2"}, byIP, false, `"127.0.0.2" opens port 80 and 443 only, not ` + port + ` (add 127.0.0.2:` + port + `)`},
		{[]string{"127.0.0.0/8"}, byIP, false, `(add 127.0.0.0/8:` + port + `)`},
		{[]string{"127.0.0.2:1"}, byIP, false, "opens port 1 only"},
		{[]string{"localhost:" + lport}, named, true, ""},
		{[]string{"localhost:*"}, named, true, ""},
		{[]string{"localhost"}, named, false, `(add localhost:` + lport + `)`},
		{[]string{"localhost:" + port}, named, false, "loopback"},
		{[]string{"intranet.example:" + lport}, named, false, "loopback"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.allow, ",")+" "+tt.url, func(t *testing.T) {
			f := NewFetcher(FetcherConfig{AllowHosts: tt.allow, Retries: -1})
			defer f.Close()
			resp, err := f.Get(context.Background(), Request{URL: tt.url})
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(resp.Body) == 0 {
					t.Fatal("empty body")
				}
				return
			}
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("error = %v, want ErrBlockedAddress", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q lacks %q", err, tt.reason)
			}
		})
	}
}

// TestFetcher_MalformedAllowHost: a fetcher given a malformed entry fetches
// nothing and says which entry is wrong, rather than ignoring it.
func TestFetcher_MalformedAllowHost(t *testing.T) {
	srv := serveOn(t, "127.0.0.1", okHandler("ok"))
	f := NewFetcher(FetcherConfig{AllowHosts: []string{"127.0.0.1:*", "intranet:8080x"}})
	_, err := f.Get(context.Background(), Request{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), `gather.allow_hosts entry "intranet:8080x"`) {
		t.Fatalf("Get with a malformed allow_hosts entry: %v", err)
	}
}
