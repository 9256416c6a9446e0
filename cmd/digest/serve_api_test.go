package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/internal/testutil"
)

// TestServe_APIAndComplaint is the flow a new operator follows: start
// `digest serve` with an admin token, add a reader with one request, and
// see the relay's spam complaint (a signed Mailgun webhook) unsubscribe
// them, with the reason in their event log, the CLI's `subscribers show`
// and the metrics.
func TestServe_APIAndComplaint(t *testing.T) {
	const (
		token = "e2e-admin-token-0123456789abcdef0123"
		key   = "key-e2e-mailgun-signing"
	)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"DIGEST_DB":                         filepath.Join(dir, "digest.db"),
		"DIGEST_SECRET":                     "e2e-secret-0123456789abcdef0123456789",
		"DIGEST_ADMIN_TOKEN":                token,
		"DIGEST_BOUNCE_MAILGUN_SIGNING_KEY": key,
		"DIGEST_HTTP_ADDR":                  addr,
		"DIGEST_BASE_URL":                   "http://" + addr,
		"DIGEST_OUTBOX":                     filepath.Join(dir, "outbox"),
		"DIGEST_SOURCES":                    filepath.Join(testutil.Root(t), "examples", "articles"),
		"DIGEST_SCHEDULE_GATHER":            "off",
		"DIGEST_SCHEDULE_PLAN":              "off",
		"DIGEST_LOG_LEVEL":                  "debug",
	}
	logs := &testutil.SyncBuffer{}
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs,
		env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- c.run(ctx, []string{"serve", "--shutdown-timeout", "2s"}) }()
	defer func() {
		cancel()
		if code := <-exited; code != 0 {
			t.Errorf("serve exited %d\n%s", code, logs.String())
		}
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case code := <-exited:
			exited <- code
			t.Fatalf("serve exited %d before listening\n%s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	do := func(method, path, body string, header map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	auth := map[string]string{"Authorization": "Bearer " + token}

	// One request adds a reader.
	code, body := do("POST", "/api/v1/subscribers", `{"email":"reader@example.com","topics":["tariffs"]}`, auth)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, _ := do("GET", "/api/v1/subscribers", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}

	// The relay reports their complaint.
	ts := fmt.Sprint(time.Now().Unix())
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + "tok-e2e-1"))
	complaint := fmt.Sprintf(`{"signature":{"timestamp":%q,"token":"tok-e2e-1","signature":%q},
"event-data":{"event":"complained","recipient":"reader@example.com","timestamp":%s}}`, ts, hex.EncodeToString(mac.Sum(nil)), ts)
	if code, body := do("POST", "/webhooks/mailgun", complaint, nil); code != http.StatusOK {
		t.Fatalf("complaint webhook: %d %s", code, body)
	}
	if code, _ := do("POST", "/webhooks/mailgun", complaint, nil); code != http.StatusBadRequest {
		t.Fatalf("replayed complaint: %d", code)
	}
	code, body = do("GET", "/api/v1/subscribers/reader@example.com", "", auth)
	var got struct {
		Status string
		Events []struct{ Kind, Source, Status string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || code != http.StatusOK {
		t.Fatalf("get: %d %s", code, body)
	}
	if got.Status != "unsubscribed" || len(got.Events) != 2 || got.Events[0].Kind != "complaint" || got.Events[0].Source != "mailgun" {
		t.Fatalf("after the complaint: %s", body)
	}
	_, metrics := do("GET", "/metrics", "", nil)
	if !strings.Contains(metrics, "digest_complaints_total 1") {
		t.Errorf("metrics lack the complaint:\n%s", grepLines(metrics, "digest_complaints"))
	}
	// The CLI shows the same log.
	if code, out, errOut := runCLI(t, env, "subscribers", "show", "reader@example.com"); code != 0 ||
		!strings.Contains(out, "status:    unsubscribed") || !strings.Contains(out, "complaint") || !strings.Contains(out, "mailgun") {
		t.Fatalf("subscribers show: %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), key) {
		t.Fatal("a secret reached the log")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
