package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/mail"
	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/digest/token"
	"github.com/tradedigest/tradedigest/templates"
)

// chromiumPath returns the browser for browser tests: $DIGEST_TEST_CHROMIUM,
// else /usr/bin/chromium when present, else "".
func chromiumPath() string {
	if p := os.Getenv("DIGEST_TEST_CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// artifactDir is where screenshots go: $DIGEST_ARTIFACTS/web, else a
// temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv("DIGEST_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "web")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBrowser starts headless Chromium with a fresh profile and returns a
// tab context. It skips the test when no browser is found.
func startBrowser(t *testing.T, env ...string) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	bin := chromiumPath()
	if bin == "" {
		t.Skip("no Chromium: set DIGEST_TEST_CHROMIUM to a Chromium binary (Debian: apt-get install chromium chromium-driver)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
		chromedp.Env(env...),
	)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx)
	t.Cleanup(tcancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	return tab
}

// mailbox is where the browser test's mail goes: mailpit when installed,
// else an in-process SMTP server; either way over a real SMTP socket.
type mailbox struct {
	smtpAddr string
	apiURL   string         // mailpit
	sink     *mailtest.Sink // fallback
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	if mailtest.MailpitPath() != "" {
		smtpAddr, apiURL := mailtest.StartMailpit(t)
		return &mailbox{smtpAddr: smtpAddr, apiURL: apiURL}
	}
	t.Log("mailpit not installed; using the in-process SMTP sink")
	s := mailtest.StartSink(t, mailtest.SinkOptions{})
	return &mailbox{smtpAddr: s.Addr, sink: s}
}

// waitText waits for a mail to addr whose plain-text part contains want
// and returns that part.
func (m *mailbox) waitText(t *testing.T, ctx context.Context, addr, want string) string {
	t.Helper()
	for ctx.Err() == nil {
		var raws [][]byte
		if m.sink != nil {
			for _, msg := range m.sink.Messages() {
				if slices.Contains(msg.To, addr) {
					raws = append(raws, msg.Data)
				}
			}
		} else {
			list, err := mailtest.MailpitMessages(ctx, m.apiURL, 50)
			if err != nil {
				t.Fatalf("list mailpit messages: %v", err)
			}
			for _, msg := range list {
				for _, to := range msg.To {
					if to.Address == addr {
						raw, err := mailtest.MailpitRaw(ctx, m.apiURL, msg.ID)
						if err != nil {
							t.Fatalf("read mailpit message: %v", err)
						}
						raws = append(raws, raw)
					}
				}
			}
		}
		for _, raw := range raws {
			if text := textPart(t, raw); strings.Contains(text, want) {
				return text
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no mail to %s containing %q arrived", addr, want)
	return ""
}

// textPart returns the decoded text/plain part of a raw MIME message.
func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	var walk func(h map[string][]string, body io.Reader) string
	walk = func(h map[string][]string, body io.Reader) string {
		ct, params, _ := mime.ParseMediaType(netmail.Header(h).Get("Content-Type"))
		switch {
		case strings.HasPrefix(ct, "multipart/"):
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart() // decodes quoted-printable itself
				if err != nil {
					return ""
				}
				if s := walk(p.Header, p); s != "" {
					return s
				}
			}
		case ct == "text/plain" || ct == "":
			if strings.EqualFold(netmail.Header(h).Get("Content-Transfer-Encoding"), "base64") {
				body = base64.NewDecoder(base64.StdEncoding, body)
			}
			b, _ := io.ReadAll(body)
			return string(b)
		}
		return ""
	}
	text := walk(msg.Header, msg.Body)
	if text == "" {
		t.Fatalf("mail has no text part:\n%s", raw)
	}
	return text
}

// TestBrowser_SignupToUnsubscribe walks a reader through the pages in
// headless Chromium: sign up → confirmation mail over SMTP → the
// confirmation page and its button →
// unsubscribe from a digest link → preferences. It saves a screenshot of
// each page at phone width, and of the sign-up page at desktop width.
func TestBrowser_SignupToUnsubscribe(t *testing.T) {
	// The browser's zone differs from the form's UTC default, so the
	// pre-filled field proves the inline script ran under the CSP.
	tab := startBrowser(t, "TZ=Asia/Tokyo")
	box := startMailbox(t)
	sender := startSender(t, box.smtpAddr)

	db := storetest.Open(t)
	store := &testStore{backend: db}
	signer, err := token.NewSigner([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	var handler = new(swapHandler)
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	srv, err := New(Config{
		BaseURL: ts.URL, Signer: signer, Subscribers: store, Editions: store, Mailer: sender,
		Topics: testTopics, From: "Trade Digest <digest@example.com>",
	})
	if err != nil {
		t.Fatal(err)
	}
	handler.set(srv.Handler())
	if err := store.SaveEdition(t.Context(), digest.ArchivedEdition{Date: "2026-03-09", Subject: "Trade digest, 9 March", Stories: 5}); err != nil {
		t.Fatal(err)
	}

	// Collect console messages: a CSP violation or a script error fails the test.
	var (
		mu      sync.Mutex
		console []chromedp.ConsoleMessage
	)
	msgs := chromedp.Console(tab)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m)
			mu.Unlock()
		}
	}()

	dir := artifactDir(t)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	// submit clicks sel and waits until the next page has loaded: the old
	// document carries a mark the new one lacks.
	submit := func(step, sel string) {
		t.Helper()
		run(step+": mark page", chromedp.Evaluate[chromedp.Void]("window.__stale = true; undefined"))
		run(step, chromedp.Click(chromedp.CSS(sel)))
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			done, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__stale === undefined && document.readyState === "complete"`))
			if err == nil && done {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s: no new page after clicking %s", step, sel)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// 1. Sign up.
	// Headless windows are at least 500 px wide; emulate a phone's 390.
	run("open sign-up", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ts.URL+"/subscribe"), chromedp.WaitVisible(chromedp.CSS("#email")))
	tz, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS("#timezone")))
	if err != nil || tz != "Asia/Tokyo" {
		t.Errorf("time zone field = %q, %v; want the browser's Asia/Tokyo", tz, err)
	}
	// Keyboard: the first Tab lands on the skip link.
	run("tab", chromedp.KeyEvent("\t"))
	if cls, _ := chromedp.Run(tab, chromedp.Evaluate[string]("document.activeElement.className")); cls != "skip" {
		t.Errorf("first Tab focused %q, want the skip link", cls)
	}
	// A form with mistakes comes back with an error summary and the
	// fields marked; nothing is stored.
	run("bad sign-up", chromedp.SetValue(chromedp.CSS("#timezone"), "Mars/Olympus"))
	submit("submit bad sign-up", `button[type="submit"]`)
	if a := text(".alert"); !strings.Contains(a, "email address") || !strings.Contains(a, "time zone") {
		t.Errorf("error summary = %q", a)
	}
	if inv, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("[aria-invalid=true]").length`)); inv != 2 {
		t.Errorf("%d fields marked invalid, want 2", inv)
	}
	if n := store.writeCount(); n != 0 {
		t.Errorf("a refused sign-up made %d store writes", n)
	}
	shot("01-subscribe-errors-phone")
	run("fill sign-up",
		chromedp.SetValue(chromedp.CSS("#timezone"), "Asia/Tokyo"),
		chromedp.SendKeys(chromedp.CSS("#email"), "browser.reader@example.com"),
		chromedp.Click(chromedp.CSS(`input[value="shipping"]`)),
		chromedp.SetValue(chromedp.CSS("#send_time"), "06:30"),
	)
	shot("02-subscribe-filled-phone")
	submit("submit sign-up", `button[type="submit"]`)
	if h := text("h1"); h != "Check your inbox" {
		t.Fatalf("after sign-up: %q", h)
	}
	shot("03-check-inbox-phone")
	sub, err := store.SubscriberByEmail(t.Context(), "browser.reader@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Status != digest.StatusPending || sub.TimeZone != "Asia/Tokyo" || sub.SendTime != "06:30" || !slices.Equal(sub.Topics, []string{"shipping"}) {
		t.Errorf("after sign-up: %+v", sub)
	}

	// 2. The confirmation mail arrives over SMTP; open its link.
	mailText := box.waitText(t, tab, sub.Email, "/confirm?t=")
	confirm := ""
	for _, f := range strings.Fields(mailText) {
		if strings.HasPrefix(f, ts.URL+"/confirm?t=") {
			confirm = f
		}
	}
	if confirm == "" {
		t.Fatalf("no confirmation link in the mail:\n%s", mailText)
	}
	// Opening the link shows a button and confirms nothing (mail scanners
	// open links too); pressing it confirms.
	run("open confirmation", chromedp.Navigate(confirm), chromedp.WaitVisible(chromedp.CSS("button")))
	if h := text("h1"); h != "Confirm your subscription" {
		t.Fatalf("confirmation link opened: %q", h)
	}
	if got, _ := store.Subscriber(t.Context(), sub.ID); got.Status != digest.StatusPending {
		t.Fatalf("opening the confirmation link changed the status to %q", got.Status)
	}
	shot("04-confirm-phone")
	submit("confirm", `button[type="submit"]`)
	if h := text("h1"); h != "You are subscribed" {
		t.Fatalf("after confirming: %q", h)
	}
	shot("05-confirmed-phone")
	if got, _ := store.Subscriber(t.Context(), sub.ID); got.Status != digest.StatusActive {
		t.Fatalf("status after confirming = %q", got.Status)
	}

	// 3. A digest is sent to the now active reader, through the engine,
	// the email templates and the same SMTP server; unsubscribe from the
	// link it carries.
	links := Links{BaseURL: ts.URL, Signer: signer}
	active, _ := store.Subscriber(t.Context(), sub.ID)
	unsubscribe := sendDigest(t, db, sender, links, active)
	digestText := box.waitText(t, tab, sub.Email, "Rotterdam")
	if !strings.Contains(digestText, unsubscribe) {
		t.Fatalf("the digest's text part lacks its unsubscribe link %s:\n%s", unsubscribe, digestText)
	}
	run("open unsubscribe", chromedp.Navigate(unsubscribe), chromedp.WaitVisible(chromedp.CSS("button")))
	shot("06-unsubscribe-phone")
	submit("unsubscribe", `button[type="submit"]`)
	if h := text("h1"); h != "You are unsubscribed" {
		t.Fatalf("after unsubscribing: %q", h)
	}
	shot("07-unsubscribed-phone")
	if got, _ := store.Subscriber(t.Context(), sub.ID); got.Status != digest.StatusUnsubscribed {
		t.Fatalf("status after unsubscribing = %q", got.Status)
	}

	// 4. Preferences: change topics and come back.
	run("open preferences", chromedp.Navigate(links.PreferencesURL(sub)), chromedp.WaitVisible(chromedp.CSS("form")))
	run("change preferences",
		chromedp.Click(chromedp.CSS(`input[value="shipping"]`)),
		chromedp.Click(chromedp.CSS(`input[value="tariffs"]`)),
		chromedp.Click(chromedp.CSS(`input[value="sanctions"]`)),
		chromedp.Click(chromedp.CSS("#status-active")),
	)
	shot("08-preferences-phone")
	submit("save preferences", `button[type="submit"]`)
	if n := text(".notice"); !strings.Contains(n, "saved") {
		t.Errorf("after saving: %q", n)
	}
	shot("09-preferences-saved-phone")
	got, _ := store.Subscriber(t.Context(), sub.ID)
	if !slices.Equal(got.Topics, []string{"tariffs", "sanctions"}) || got.Status != digest.StatusActive {
		t.Errorf("after preferences: topics %q status %q", got.Topics, got.Status)
	}

	// 5. Desktop width.
	run("desktop", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ts.URL+"/subscribe"), chromedp.WaitVisible(chromedp.CSS("#email")))
	shot("10-subscribe-desktop")
	run("archive", chromedp.Navigate(ts.URL+"/archive"), chromedp.WaitVisible(chromedp.CSS("h1")))
	shot("11-archive-desktop")

	mu.Lock()
	defer mu.Unlock()
	for _, m := range console {
		// The form with mistakes is answered 400 on purpose.
		if m.Source == "network" && strings.Contains(m.Text, "status of 400") && strings.HasSuffix(m.URL, "/subscribe") {
			continue
		}
		if m.IsException() || m.Type == "error" || m.Source == "security" {
			t.Errorf("browser console: %s (%s)", m, m.URL)
		}
	}
	t.Logf("screenshots in %s", dir)
}

// startSender starts a one-connection mail.Sender to a plain-text SMTP
// server at addr and closes it when t ends.
func startSender(t *testing.T, addr string) *mail.Sender {
	t.Helper()
	cfg, err := mail.ParseURL("smtp://" + addr + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mail.NewSender(cfg, mail.SenderOptions{Connections: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	return sender
}

// swapHandler lets a test start the listener before the handler that needs
// its URL exists.
type swapHandler struct {
	mu sync.RWMutex
	h  http.Handler
}

func (s *swapHandler) set(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
}

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

// TestBrowser_ArchiveCSP serves a stored edition whose HTML carries a
// script (as if a hostile article had slipped through the templates) and
// checks in Chromium that the archive's policy blocks it while the
// edition's inline styles still apply.
func TestBrowser_ArchiveCSP(t *testing.T) {
	tab := startBrowser(t)
	store := &testStore{backend: storetest.Open(t)}
	signer, err := token.NewSigner([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	handler := new(swapHandler)
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	srv, err := New(Config{BaseURL: ts.URL, Signer: signer, Subscribers: store, Editions: store})
	if err != nil {
		t.Fatal(err)
	}
	handler.set(srv.Handler())
	edition := digest.ArchivedEdition{
		Date: "2026-03-09", Subject: "Trade digest, 9 March", Stories: 1,
		HTML: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trade digest, 9 March</title></head>` +
			`<body><h1 id="h" style="color: rgb(11, 79, 138)">Tariffs rise</h1>` +
			`<script>document.title = "script ran"</script></body></html>`,
	}
	if err := store.SaveEdition(t.Context(), edition); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844), chromedp.Navigate(ts.URL+"/archive/2026-03-09"), chromedp.WaitVisible(chromedp.CSS("#h"))); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(tab, chromedp.Evaluate[string]("document.title"))
	if err != nil || title != "Trade digest, 9 March" {
		t.Errorf("title = %q, %v: the edition's script ran", title, err)
	}
	color, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.getElementById("h")).color`))
	if err != nil || color != "rgb(11, 79, 138)" {
		t.Errorf("inline style not applied: color %q, %v", color, err)
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "12-archive-edition-phone.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	// Control: the same HTML served without the policy runs its script, so
	// the check above can fail.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, edition.HTML)
	}))
	t.Cleanup(plain.Close)
	if err := chromedp.Do(tab, chromedp.Navigate(plain.URL), chromedp.WaitVisible(chromedp.CSS("#h"))); err != nil {
		t.Fatal(err)
	}
	if title, _ := chromedp.Run(tab, chromedp.Evaluate[string]("document.title")); title != "script ran" {
		t.Errorf("control page title = %q: the check cannot tell a blocked script", title)
	}
}

// sendDigest sends sub a one-story digest through digest.Engine with the
// real email templates, and returns the unsubscribe URL the message carries.
func sendDigest(t *testing.T, st digest.Store, sender *mail.Sender, links Links, sub digest.Subscriber) string {
	t.Helper()
	r, err := templates.New(templates.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := digest.DefaultConfig()
	cfg.From = "Trade Digest <digest@example.com>"
	eng := &digest.Engine{Store: st, Renderer: r, Mailer: sender, Links: links, Config: cfg}
	now := time.Now()
	text := "The Port of Rotterdam cleared its backlog of waiting container ships on Monday, the port authority said."
	stories := []digest.Story{{
		Key:    digest.ContentHash(text),
		Topics: []string{"shipping"},
		Articles: []digest.Article{{
			Title: "Rotterdam clears container ship backlog", URL: "https://news.example.com/rotterdam",
			Text: text, Published: now.Add(-time.Hour), SourceName: "Example Wire", ContentHash: digest.ContentHash(text),
		}},
		Summary: digest.Summary{Backend: "extractive", Text: text},
	}}
	out, err := eng.Deliver(t.Context(), sub, digest.LocalDate(now, sub.Location()), stories, digest.DeliverOptions{})
	if err != nil || out != digest.OutcomeSent {
		t.Fatalf("deliver digest: %s, %v", out, err)
	}
	return links.UnsubscribeURL(sub)
}
