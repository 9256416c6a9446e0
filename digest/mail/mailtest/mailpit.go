package mailtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MailpitInstall is the command that installs the pinned mailpit.
const MailpitInstall = "go install github.com/axllent/mailpit@v1.27.11"

// MailpitPath finds the mailpit binary: $MAILPIT, then PATH, then
// $(go env GOPATH)/bin. It returns "" when there is none.
func MailpitPath() string {
	if p := os.Getenv("MAILPIT"); p != "" {
		return p
	}
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "mailpit")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// StartMailpit runs mailpit on free loopback ports with a throw-away
// database, accepting any SMTP credentials, and stops it when tb ends. It
// skips the test when mailpit is not installed.
func StartMailpit(tb testing.TB) (smtpAddr, apiURL string) {
	tb.Helper()
	m := StartMailpitWith(tb, MailpitOptions{})
	return m.SMTPAddr, m.APIURL
}

// MailpitOptions add mailpit's POP3 server.
type MailpitOptions struct {
	// POP3User and POP3Password enable the POP3 server with one account.
	POP3User, POP3Password string
	// POP3CertFile and POP3KeyFile (PEM) make it serve TLS.
	POP3CertFile, POP3KeyFile string
}

// Mailpit is a running mailpit.
type Mailpit struct {
	SMTPAddr string
	APIURL   string
	POP3Addr string // empty without a POP3 account
}

// StartMailpitWith is StartMailpit with options.
func StartMailpitWith(tb testing.TB, opts MailpitOptions) Mailpit {
	tb.Helper()
	bin := MailpitPath()
	if bin == "" {
		tb.Skipf("mailpit not found (set MAILPIT, or put it on PATH or in $(go env GOPATH)/bin): install it with %q", MailpitInstall)
	}
	m := Mailpit{SMTPAddr: freeAddr(tb)}
	httpAddr := freeAddr(tb)
	dir := tb.TempDir()
	args := []string{
		"--smtp", m.SMTPAddr, "--listen", httpAddr,
		"--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		"--smtp-disable-rdns", "--disable-version-check", "--quiet",
	}
	if opts.POP3User != "" {
		m.POP3Addr = freeAddr(tb)
		auth := filepath.Join(dir, "pop3-users")
		if err := os.WriteFile(auth, []byte(opts.POP3User+":"+opts.POP3Password+"\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
		args = append(args, "--pop3", m.POP3Addr, "--pop3-auth-file", auth)
		if opts.POP3CertFile != "" {
			args = append(args, "--pop3-tls-cert", opts.POP3CertFile, "--pop3-tls-key", opts.POP3KeyFile)
		}
	}
	cmd := exec.Command(bin, args...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	m.APIURL = "http://" + httpAddr
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			tb.Fatalf("mailpit exited early: %v\n%s", err, logs.String())
		default:
		}
		if mailpitUp(m) {
			return m
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailpit not ready after 20s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailpitUp reports whether the API answers and the SMTP (and POP3) ports
// take connections.
func mailpitUp(m Mailpit) bool {
	resp, err := http.Get(m.APIURL + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	for _, addr := range []string{m.SMTPAddr, m.POP3Addr} {
		if addr == "" {
			continue
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		_ = c.Close()
	}
	return true
}

// freeAddr picks a free loopback port. The port is released before mailpit
// binds it; a clash is unlikely and fails loudly.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// MailpitMessage is one message summary from mailpit's API.
type MailpitMessage struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	To        []struct {
		Name    string `json:"Name"`
		Address string `json:"Address"`
	} `json:"To"`
	Size int `json:"Size"`
}

// MailpitMessages lists up to limit messages, newest first.
func MailpitMessages(ctx context.Context, apiURL string, limit int) ([]MailpitMessage, error) {
	var out struct {
		Total    int              `json:"total"`
		Messages []MailpitMessage `json:"messages"`
	}
	body, err := mailpitGet(ctx, fmt.Sprintf("%s/api/v1/messages?limit=%d", apiURL, limit))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("decode mailpit messages: %w", err)
	}
	return out.Messages, nil
}

// MailpitRaw returns the raw source of a message by mailpit's database ID.
func MailpitRaw(ctx context.Context, apiURL, id string) ([]byte, error) {
	return mailpitGet(ctx, apiURL+"/api/v1/message/"+id+"/raw")
}

func mailpitGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mailpit api: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("mailpit api: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailpit api %s: %s", url, resp.Status)
	}
	return body, nil
}
