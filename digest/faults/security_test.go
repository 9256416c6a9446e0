package faults

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/token"
	"github.com/tradedigest/tradedigest/summarize/openaitest"
)

// hostileFeed is one trade story whose title and text carry markup,
// scripts, non-http links and CR/LF meant to start new mail headers.
func hostileFeed(now time.Time) []byte {
	text := `<p>Zanzibar raised import tariffs on steel and cement by ten percent on Monday, the trade ministry said, ` +
		`citing a surge of imports that undercut local producers. <script>alert(3)</script>` +
		`<img src=x onerror=alert(4)> Exporters from India and China, the largest suppliers, said they would ask ` +
		`the World Trade Organization to review the duties. <a href="javascript:alert(5)">Read the decree</a> ` +
		`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==">annex</a> ` +
		`<a href="http://ok.example/fine">Ministry statement</a>. Customs officials said the new tariff schedule ` +
		`applies to shipments arriving from next week and that importers may apply for quota exemptions. ` +
		`Trade analysts expect import volumes to fall while domestic prices rise, and port operators in Zanzibar ` +
		`warned of congestion as importers rush cargo ahead of the deadline.</p>`
	return []byte(fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>Hostile wire</title><link>http://localhost/</link>`+
		`<item><title>Zanzibar raises steel tariffs &lt;script&gt;alert(1)&lt;/script&gt;&#13;&#10;Bcc: spy@evil.example&#13;&#10;X-Injected: yes</title>`+
		`<link>javascript:alert(2)</link><guid>hostile-1</guid><pubDate>%s</pubDate>`+
		`<description><![CDATA[%s]]></description></item></channel></rss>`,
		now.Add(-20*time.Minute).UTC().Format(time.RFC1123Z), text))
}

// parts returns the decoded text/html and text/plain parts of a message.
func parts(t *testing.T, raw []byte) (hdr netmail.Header, html, text string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	var walk func(ct, cte string, body io.Reader)
	walk = func(ct, cte string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					break
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
			return
		}
		switch strings.ToLower(cte) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("read part %s: %v", mt, err)
		}
		switch mt {
		case "text/html":
			html += string(b)
		case "text/plain":
			text += string(b)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return msg.Header, html, text
}

var (
	hrefRe = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*["']?([^"'\s>]+)`)
	urlRe  = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*:(?://)?[^\s<>"')\]]+`)
)

// checkHostileMessage asserts the hostile story arrived, escaped, with
// only http(s) (or mailto) links and no injected header.
func checkHostileMessage(t *testing.T, raw []byte) {
	t.Helper()
	hdr, html, text := parts(t, raw)
	if !strings.Contains(html, "Zanzibar") || !strings.Contains(text, "Zanzibar") {
		t.Fatalf("the hostile story is not in the message; the test proves nothing")
	}
	for _, k := range []string{"Bcc", "X-Injected"} {
		if v := hdr.Get(k); v != "" {
			t.Errorf("header %s injected: %q", k, v)
		}
	}
	if subj := hdr.Get("Subject"); strings.ContainsAny(subj, "\r\n") {
		t.Errorf("subject carries a line break: %q", subj)
	}
	low := strings.ToLower(html)
	for _, bad := range []string{"<script", "onerror", "javascript:", "data:text", "<img src=x"} {
		if strings.Contains(low, bad) {
			t.Errorf("HTML part contains %q", bad)
		}
	}
	for _, m := range hrefRe.FindAllStringSubmatch(html, -1) {
		u := strings.ToLower(m[1])
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "mailto:") &&
			!strings.HasPrefix(u, "#") && !strings.HasPrefix(u, "cid:") {
			t.Errorf("HTML part links to %q", m[1])
		}
	}
	lowText := strings.ToLower(text)
	for _, bad := range []string{"javascript:", "data:text"} {
		if strings.Contains(lowText, bad) {
			t.Errorf("text part contains %q", bad)
		}
	}
	for _, u := range urlRe.FindAllString(text, -1) {
		lu := strings.ToLower(u)
		if strings.Contains(lu, "://") && !strings.HasPrefix(lu, "http://") && !strings.HasPrefix(lu, "https://") {
			t.Errorf("text part carries link %q", u)
		}
	}
}

// TestSecurity_HostileStoryToOutbox sends the hostile story through
// `digest now` to the .eml outbox and inspects the file, and checks the
// modes of the store file, the outbox and the message.
func TestSecurity_HostileStoryToOutbox(t *testing.T) {
	needBinary(t)
	t.Parallel()
	w := newWorld(t)
	feed := hostileFeed(time.Now())
	w.mux.HandleFunc("/hostile.xml", func(rw http.ResponseWriter, r *http.Request) { rw.Write(feed) })
	r := w.now("", "--source", w.base+"/hostile.xml", "--to", "victim@example.com")
	if r.Code != 0 {
		t.Fatalf("digest now exited %d\n%s\n%s", r.Code, r.Stdout, tail(r.Stderr))
	}
	outbox := filepath.Join(w.dir, "outbox")
	emls, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	if len(emls) != 1 {
		t.Fatalf("want one .eml in the outbox, got %v", emls)
	}
	raw, err := os.ReadFile(emls[0])
	if err != nil {
		t.Fatal(err)
	}
	checkHostileMessage(t, raw)
	doctor(t, w.open(), time.Now())
	for path, want := range map[string]os.FileMode{w.dbPath: 0o600, outbox: 0o700, emls[0]: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", filepath.Base(path), got, want)
		}
	}
}

// TestSecurity_HeaderInjection sends to subscribers whose name and
// address carry CR/LF and a hostile story whose title does, over SMTP, and
// checks envelopes and headers at the sink.
func TestSecurity_HeaderInjection(t *testing.T) {
	needBinary(t)
	t.Parallel()
	w := newWorld(t)
	db := w.open()
	ctx := context.Background()
	for _, s := range []digest.Subscriber{
		{Email: "eve@example.com", Name: "Eve\r\nBcc: spy@evil.example\r\nX-Injected: yes"},
		{Email: "mallory@example.com\r\nBcc: spy@evil.example", Name: "Mallory"},
		{Email: "plain@example.com", Name: "Plain \"Reader\" <x@evil.example>\nX-Injected: yes"},
	} {
		s.TimeZone, s.SendTime, s.Status = "UTC", "07:00", digest.StatusActive
		if _, err := db.AddSubscriber(ctx, s); err != nil {
			t.Logf("store refused subscriber %q: %v", s.Email, err)
		}
	}
	feed := hostileFeed(time.Now())
	w.mux.HandleFunc("/hostile.xml", func(rw http.ResponseWriter, r *http.Request) { rw.Write(feed) })
	sink, url := sinkURL(t, mailtest.SinkOptions{})
	r := w.now(url, "--source", w.base+"/hostile.xml")
	if r.Code != 0 && r.Code != 1 {
		t.Fatalf("digest now exited %d\n%s", r.Code, tail(r.Stderr))
	}
	msgs := sink.Messages()
	if len(msgs) == 0 {
		t.Fatalf("nothing was sent\n%s", tail(r.Stderr))
	}
	gotEve := false
	for _, m := range msgs {
		for _, rcpt := range m.To {
			if strings.Contains(rcpt, "evil") || strings.ContainsAny(rcpt, "\r\n") {
				t.Errorf("envelope recipient %q", rcpt)
			}
			gotEve = gotEve || rcpt == "eve@example.com"
		}
		checkHostileMessage(t, m.Data)
		hdr, _, _ := parts(t, m.Data)
		to, err := netmail.ParseAddressList(hdr.Get("To"))
		if err != nil || len(to) != 1 || strings.Contains(to[0].Address, "evil") {
			t.Errorf("To header %q parses to %v (%v), want one reader", hdr.Get("To"), to, err)
		}
	}
	for addr, d := range ledger(t, db) {
		t.Logf("ledger %q: %s %s", addr, d.Status, d.LastError)
	}
	t.Logf("%d messages at the sink", len(msgs))
	if !gotEve {
		t.Errorf("the subscriber with a hostile name got nothing (refusing is not the fix: the name must be encoded)")
	}
	doctor(t, db, time.Now())
}

// Distinctive secret values: if any of them shows up in output, it leaked.
const (
	smtpPassword = "smtp-pw-Qz7vK2xW9mLp"
	digestSecret = "digest-secret-R4nT8yU1oP6aS3dF5gH7jK9lZ2xC0vB"
	openAIKey    = "sk-faults-Jh5Gf3Dd1Ss9Aa7Pp2Oo4Ii6"
	metricsToken = "metrics-token-Wq8Er2Ty6Ui0"
)

func secretEnv(w *world, smtpUser string) {
	w.env["DIGEST_SMTP_PASSWORD"] = smtpPassword
	w.env["DIGEST_SECRET"] = digestSecret
	w.env["OPENAI_API_KEY"] = openAIKey
	w.env["DIGEST_METRICS_TOKEN"] = metricsToken
	_ = smtpUser
}

func assertNoSecrets(t *testing.T, where, s string) {
	t.Helper()
	for name, v := range map[string]string{"DIGEST_SMTP_PASSWORD": smtpPassword, "DIGEST_SECRET": digestSecret, "OPENAI_API_KEY": openAIKey,
		"DIGEST_METRICS_TOKEN": metricsToken} {
		if strings.Contains(s, v) {
			t.Errorf("%s shows %s", where, name)
		}
		// A partial leak (a prefix in a truncated message) counts too.
		if strings.Contains(s, v[:12]) {
			t.Errorf("%s shows the start of %s", where, name)
		}
	}
}

// TestSecurity_SecretsNeverLogged runs `digest now` at debug level with
// every secret set, against an SMTP server that refuses the password and
// an LLM that answers 401 echoing the key it was shown, and scans stdout,
// stderr, the stored run report and the ledger for the values.
func TestSecurity_SecretsNeverLogged(t *testing.T) {
	needBinary(t)
	t.Parallel()
	w := newWorld(t, "ana@example.com")
	secretEnv(w, "digestuser")
	fake := openaitest.New(t)
	fake.SetFault(openaitest.Unauthorized)
	w.env["OPENAI_BASE_URL"] = fake.URL
	sink := mailtest.StartSink(t, mailtest.SinkOptions{Username: "digestuser", Password: "another-password", AllowInsecureAuth: true})
	_, port := sink.HostPort()
	url := fmt.Sprintf("smtp://digestuser@localhost:%d?tls=none&auth=plain", port)
	r := w.now(url, "--source", w.base+"/healthy.xml", "--log-level", "debug")
	out := r.Stdout + r.Stderr
	if fake.Count() == 0 {
		t.Errorf("the LLM was never asked, so its error path was not exercised")
	}
	if sink.AuthFailures() == 0 {
		t.Errorf("the SMTP server saw no failed AUTH, so that error path was not exercised\n%s", tail(out))
	}
	assertNoSecrets(t, "digest now output", out)
	db := w.open()
	runs, err := db.Runs(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(runs)
	assertNoSecrets(t, "stored run reports", string(b))
	for _, d := range ledger(t, db) {
		assertNoSecrets(t, "ledger reason", d.LastError)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestSecurity_Serve runs `digest serve` at debug level with every secret
// set, checks unsubscribe tokens end to end through its HTTP handler (a
// valid one works; forged, truncated and another subscriber's are refused
// and change nothing), stops it with SIGTERM and scans its output.
func TestSecurity_Serve(t *testing.T) {
	needBinary(t)
	t.Parallel()
	w := newWorld(t, "ana@example.com", "ben@example.com")
	secretEnv(w, "digestuser")
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	w.env["DIGEST_HTTP_ADDR"] = fmt.Sprintf("127.0.0.1:%d", port)
	w.env["DIGEST_BASE_URL"] = base
	w.env["DIGEST_HTTP_TRUSTED_PROXIES"] = "127.0.0.1" // the test plays the reverse proxy
	metricsBase := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	w.env["DIGEST_HTTP_METRICS_ADDR"] = strings.TrimPrefix(metricsBase, "http://")
	fake := openaitest.New(t)
	fake.SetFault(openaitest.Unauthorized)
	w.env["OPENAI_BASE_URL"] = fake.URL
	sink := mailtest.StartSink(t, mailtest.SinkOptions{Username: "digestuser", Password: "another-password", AllowInsecureAuth: true})
	_, sport := sink.HostPort()
	cfg := w.config(fmt.Sprintf("smtp://digestuser@localhost:%d?tls=none&auth=plain", sport))

	cmd := exec.Command(binPath, "serve", "--config", cfg, "--log-level", "debug", "--shutdown-timeout", "5s")
	cmd.Env = w.environ()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-done
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	ready := false
	for i := 0; i < 150 && !ready; i++ { // 15 s at most
		if resp, err := client.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			ready = resp.StatusCode == 200
		}
		if !ready {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatalf("digest serve did not become healthy\n%s", tail(out.String()))
	}

	// The relay refuses the configured password: the replica is alive but
	// not ready, and says the mailer is why.
	if resp, err := client.Get(base + "/readyz"); err != nil {
		t.Errorf("GET /readyz: %v", err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || strings.TrimSpace(string(body)) != "not ready: mail" {
			t.Errorf("/readyz with a relay that refuses the login = %d %q, want 503 naming the mailer", resp.StatusCode, body)
		}
	}

	// /metrics: not on the public port; on http.metrics_addr only with the
	// bearer token.
	getMetrics := func(url, tok string) (int, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := getMetrics(base+"/metrics", metricsToken); code != http.StatusNotFound {
		t.Errorf("/metrics on the public port with http.metrics_addr set: %d, want 404", code)
	}
	if code, _ := getMetrics(metricsBase+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}
	if code, body := getMetrics(metricsBase+"/metrics", metricsToken); code != http.StatusOK || !strings.Contains(body, "digest_") {
		t.Errorf("/metrics with the token: %d, want 200 with digest metrics", code)
	}

	// Behind the trusted proxy each visitor has their own sign-up budget
	// (5 per 10 minutes): one exhausting it leaves the next one alone.
	signup := func(email, visitor string) int {
		req, _ := http.NewRequest("POST", base+"/subscribe", strings.NewReader(url.Values{
			"email": {email}, "send_time": {"07:00"}, "timezone": {"UTC"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", visitor)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST /subscribe: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if code := signup(fmt.Sprintf("s%d@example.com", i), "198.51.100.1"); code == http.StatusTooManyRequests {
			t.Fatalf("sign-up %d of the first visitor refused as too many", i+1)
		}
	}
	if code := signup("s5@example.com", "198.51.100.1"); code != http.StatusTooManyRequests {
		t.Errorf("6th sign-up of one visitor: %d, want 429", code)
	}
	if code := signup("other@example.com", "198.51.100.2"); code == http.StatusTooManyRequests {
		t.Errorf("another visitor behind the proxy was refused as too many: http.trusted_proxies is not applied")
	}

	db := w.open()
	ctx := context.Background()
	ana, _ := db.SubscriberByEmail(ctx, "ana@example.com")
	ben, _ := db.SubscriberByEmail(ctx, "ben@example.com")
	signer, err := token.NewSigner([]byte(digestSecret))
	if err != nil {
		t.Fatal(err)
	}
	forger, _ := token.NewSigner([]byte("an-attacker-guessed-this-secret-32b"))
	good := signer.Sign(token.PurposeUnsubscribe, ana.ID, ana.Email, time.Time{})
	post := func(tok string) int {
		resp, err := client.PostForm(base+"/unsubscribe?t="+url.QueryEscape(tok), url.Values{"List-Unsubscribe": {"One-Click"}})
		if err != nil {
			t.Fatalf("POST /unsubscribe: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for name, tok := range map[string]string{
		"forged":                   forger.Sign(token.PurposeUnsubscribe, ben.ID, ben.Email, time.Time{}),
		"truncated":                good[:len(good)-5],
		"ana's token for ben's id": signer.Sign(token.PurposeUnsubscribe, ben.ID, ana.Email, time.Time{}),
		"altered in the middle":    good[:len(good)/2] + flipChar(good[len(good)/2]) + good[len(good)/2+1:],
	} {
		if code := post(tok); code != http.StatusBadRequest {
			t.Errorf("%s token: status %d, want 400", name, code)
		}
	}
	for _, id := range []int64{ana.ID, ben.ID} {
		if s, _ := db.Subscriber(ctx, id); s.Status != digest.StatusActive {
			t.Errorf("subscriber %d is %s after refused tokens", id, s.Status)
		}
	}
	if code := post(good); code != http.StatusOK {
		t.Errorf("valid token: status %d, want 200", code)
	}
	if s, _ := db.Subscriber(ctx, ana.ID); s.Status != digest.StatusUnsubscribed {
		t.Errorf("ana is %s after her own one-click unsubscribe", s.Status)
	}
	if s, _ := db.Subscriber(ctx, ben.ID); s.Status != digest.StatusActive {
		t.Errorf("ben is %s after ana unsubscribed", s.Status)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		stopped = true
	case <-time.After(20 * time.Second):
		t.Fatalf("digest serve did not stop within 20 s of SIGTERM\n%s", tail(out.String()))
	}
	if !strings.Contains(out.String(), "level=DEBUG") {
		t.Errorf("no debug lines in the output; the scan would prove little\n%s", tail(out.String()))
	}
	assertNoSecrets(t, "digest serve output", out.String())
	doctor(t, db, time.Now())
}

// TestSecurity_AddressGuard gives `digest now` feeds at private, loopback,
// link-local and unspecified addresses, one of them the test's own feed
// server by IP (which would answer with a good feed): all must be refused
// before any byte is exchanged, since only the name localhost is allowed.
func TestSecurity_AddressGuard(t *testing.T) {
	needBinary(t)
	t.Parallel()
	w := newWorld(t)
	var hits atomic.Int32
	w.mux.HandleFunc("/counted.xml", func(rw http.ResponseWriter, r *http.Request) { hits.Add(1) })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(w.srv.URL, "http://"))
	targets := map[string]string{
		"http://127.0.0.1:" + port + "/counted.xml": "loopback",
		"http://[::1]:" + port + "/counted.xml":     "loopback",
		"http://0.0.0.0:" + port + "/counted.xml":   "unspecified",
		"http://10.0.0.1:9/feed.xml":                "private",
		"http://192.168.1.1:9/feed.xml":             "private",
		"http://169.254.169.254/latest/meta-data/":  "link-local",
		"http://[::ffff:127.0.0.1]:" + port + "/x":  "loopback",
	}
	args := []string{"--to", "victim@example.com"}
	for u := range targets {
		args = append(args, "--source", u)
	}
	r := w.now("", args...)
	if r.Code != 1 {
		t.Errorf("digest now exited %d, want 1 (every source failed)\n%s", r.Code, tail(r.Stderr))
	}
	rep := lastRun(t, w.open())
	seen := 0
	for _, s := range rep.Sources {
		why, ok := targets[s.ID]
		if !ok {
			continue
		}
		seen++
		if !strings.Contains(s.Error, "not allowed") || !strings.Contains(s.Error, why) {
			t.Errorf("%s: error %q, want it refused as %s", s.ID, s.Error, why)
		}
	}
	if seen != len(targets) {
		t.Errorf("report lists %d of the %d sources: %+v", seen, len(targets), rep.Sources)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the feed server was reached %d times through a refused address", n)
	}
}

// flipChar returns a different base64url character than c.
func flipChar(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
