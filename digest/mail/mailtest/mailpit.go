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
	bin := MailpitPath()
	if bin == "" {
		tb.Skipf("mailpit not found (set MAILPIT, or put it on PATH or in $(go env GOPATH)/bin): install it with %q", MailpitInstall)
	}
	smtpAddr, httpAddr := freeAddr(tb), freeAddr(tb)
	dir := tb.TempDir()
	cmd := exec.Command(bin,
		"--smtp", smtpAddr, "--listen", httpAddr,
		"--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		"--smtp-disable-rdns", "--disable-version-check", "--quiet",
	)
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
	apiURL = "http://" + httpAddr
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			tb.Fatalf("mailpit exited early: %v\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get(apiURL + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if c, err := net.DialTimeout("tcp", smtpAddr, time.Second); err == nil {
					_ = c.Close()
					return smtpAddr, apiURL
				}
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailpit not ready after 20s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
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
