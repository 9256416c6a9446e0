package bounce_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/bounce"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

const (
	topicARN   = "arn:aws:sns:us-east-1:123456789012:digest-bounces"
	mailgunKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
)

// env is a webhook receiver on a real store behind a loopback listener, and
// the credentials the fake providers sign with.
type env struct {
	t          *testing.T
	db         *store.DB
	ts         *httptest.Server
	sgKey      *ecdsa.PrivateKey
	snsKey     *rsa.PrivateKey
	snsCertURL string
	snsHost    *httptest.Server
	confirmed  atomic.Int32
}

func forEachStore(t *testing.T, f func(t *testing.T, e *env)) {
	for _, o := range storetest.Openers() {
		t.Run(o.Name, func(t *testing.T) {
			o.Require(t)
			t.Parallel()
			f(t, newEnv(t, o.Open(t)))
		})
	}
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{t: t, db: db}
	var err error
	if e.sgKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	sgPub, err := x509.MarshalPKIXPublicKey(&e.sgKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := e.snsSigningCert()
	// The "SNS host": a TLS server (its own test certificate, trusted by
	// its client) serving the signing certificate and the subscription
	// confirmation URL.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SimpleNotificationService-test.pem", func(w http.ResponseWriter, _ *http.Request) { w.Write(certPEM) })
	mux.HandleFunc("GET /confirm", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Token") == "tok" {
			e.confirmed.Add(1)
		}
	})
	e.snsHost = httptest.NewTLSServer(mux)
	t.Cleanup(e.snsHost.Close)
	e.snsCertURL = e.snsHost.URL + "/SimpleNotificationService-test.pem"

	rec := &bounce.Recorder{Store: db, Policy: digest.EventPolicy{BounceAfter: 2}}
	wh, err := bounce.NewWebhooks(bounce.WebhookConfig{
		SESTopicARNs:      []string{topicARN},
		SendGridPublicKey: base64.StdEncoding.EncodeToString(sgPub),
		MailgunSigningKey: mailgunKey,
		PostmarkUser:      "postmark", PostmarkPassword: "pm-secret-pm-secret",
		SNSCertHosts: regexp.MustCompile(`^127\.0\.0\.1$`),
		SNSClient:    e.snsHost.Client(),
	}, rec)
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewServer(wh.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// snsSigningCert makes a test CA and an RSA signing certificate it issued,
// and returns the latter as PEM.
func (e *env) snsSigningCert() []byte {
	t := e.t
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test SNS CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	if e.snsKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &e.snsKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func (e *env) sub(email string) digest.Subscriber {
	e.t.Helper()
	s, err := e.db.AddSubscriber(context.Background(), digest.Subscriber{Email: email, TimeZone: "UTC", SendTime: "07:00"})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) status(email string) digest.SubscriberStatus {
	e.t.Helper()
	s, err := e.db.SubscriberByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.Status
}

func (e *env) events(email string) []digest.SubscriberEvent {
	e.t.Helper()
	s, err := e.db.SubscriberByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	evs, err := e.db.SubscriberEvents(context.Background(), s.ID, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func (e *env) post(path string, body []byte, header http.Header) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func expect(t *testing.T, name string, got int, body string, want int) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d: %s", name, got, want, body)
	}
}

// --- Amazon SES through SNS ---
//
// Message shapes: https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html and
// https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html; the
// string to sign: https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html;
// the SES notifications inside: https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html
// and https://docs.aws.amazon.com/ses/latest/dg/notification-examples.html.

// signSNS fills in the signature fields of an SNS message (version 2, or
// 1) with the test signing key.
func (e *env) signSNS(m map[string]string, version string) []byte {
	e.t.Helper()
	m["SignatureVersion"] = version
	m["SigningCertURL"] = e.snsCertURL
	var keys []string
	if m["Type"] == "Notification" {
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	} else {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		if v, ok := m[k]; ok {
			b.WriteString(k + "\n" + v + "\n")
		}
	}
	var sig []byte
	var err error
	if version == "1" {
		sum := sha1.Sum([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, e.snsKey, crypto.SHA1, sum[:])
	} else {
		sum := sha256.Sum256([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, e.snsKey, crypto.SHA256, sum[:])
	}
	if err != nil {
		e.t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	out, _ := json.Marshal(m)
	return out
}

func snsNotification(id string, at time.Time, sesMessage string) map[string]string {
	return map[string]string{
		"Type": "Notification", "MessageId": id, "TopicArn": topicARN,
		"Message": sesMessage, "Timestamp": at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
	}
}

// sesBounce is a bounce notification with a DSN, as in SES's examples.
func sesBounce(email, bounceType, status string) string {
	return fmt.Sprintf(`{"notificationType":"Bounce","bounce":{"bounceType":%q,"reportingMTA":"dns; email.example.com",
"bouncedRecipients":[{"emailAddress":%q,"status":%q,"action":"failed","diagnosticCode":"smtp; 550 5.1.1 <%s>... User"}],
"bounceSubType":"General","timestamp":"2016-01-27T14:59:38.237Z","feedbackId":"00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000",
"remoteMtaIp":"127.0.2.0"},"mail":{"timestamp":"2016-01-27T14:59:38.237Z","source":"digest@example.com",
"messageId":"00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000","destination":[%q],
"commonHeaders":{"from":["Trade Digest <digest@example.com>"],"to":[%q],"messageId":"<digest.2026-03-29.0011223344556677@example.com>","subject":"Trade digest"}}}`,
		bounceType, email, status, email, email, email)
}

func sesComplaint(email string) string {
	return fmt.Sprintf(`{"notificationType":"Complaint","complaint":{"userAgent":"AnyCompany Feedback Loop (V0.01)",
"complainedRecipients":[{"emailAddress":%q}],"complaintFeedbackType":"abuse","arrivalDate":"2016-01-27T14:59:38.237Z",
"timestamp":"2016-01-27T14:59:38.237Z","feedbackId":"000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000"},
"mail":{"timestamp":"2016-01-27T14:59:38.237Z","messageId":"000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
"source":"digest@example.com","destination":[%q]}}`, email, email)
}

func TestWebhooks_SES(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		now := time.Now()
		// The subscription handshake is confirmed by visiting SubscribeURL.
		conf := map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "c1", "Token": "tok", "TopicArn": topicARN,
			"Message":      "You have chosen to subscribe to the topic " + topicARN + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
			"SubscribeURL": e.snsHost.URL + "/confirm?Action=ConfirmSubscription&Token=tok", "Timestamp": now.UTC().Format(time.RFC3339)}
		code, body := e.post("/webhooks/ses", e.signSNS(conf, "2"), nil)
		expect(t, "confirmation", code, body, http.StatusOK)
		if e.confirmed.Load() != 1 {
			t.Fatal("the SubscribeURL was not visited")
		}
		conf["SubscribeURL"] = "https://attacker.example/confirm?Token=tok"
		code, body = e.post("/webhooks/ses", e.signSNS(conf, "2"), nil)
		expect(t, "confirmation to a foreign host", code, body, http.StatusBadRequest)

		e.sub("jane@example.com")
		e.sub("kim@example.com")
		e.sub("soft@example.com")
		hard := e.signSNS(snsNotification("m-hard", now, sesBounce("jane@example.com", "Permanent", "5.1.1")), "2")
		code, body = e.post("/webhooks/ses", hard, nil)
		expect(t, "hard bounce", code, body, http.StatusOK)
		if st := e.status("jane@example.com"); st != digest.StatusBounced {
			t.Fatalf("hard bounce: status %s", st)
		}
		if evs := e.events("jane@example.com"); len(evs) != 1 || evs[0].Source != "ses" || !strings.Contains(evs[0].Detail, "5.1.1") ||
			evs[0].MessageID != "<digest.2026-03-29.0011223344556677@example.com>" {
			t.Fatalf("hard bounce event: %+v", evs)
		}
		// Replayed: refused, nothing added.
		code, body = e.post("/webhooks/ses", hard, nil)
		expect(t, "replay", code, body, http.StatusBadRequest)
		if n := len(e.events("jane@example.com")); n != 1 {
			t.Fatalf("replay added events: %d", n)
		}
		// A transient bounce is soft (signature version 1 as well).
		code, body = e.post("/webhooks/ses", e.signSNS(snsNotification("m-soft", now, sesBounce("soft@example.com", "Transient", "4.2.2")), "1"), nil)
		expect(t, "soft bounce", code, body, http.StatusOK)
		if st := e.status("soft@example.com"); st != digest.StatusActive {
			t.Fatalf("one soft bounce: status %s", st)
		}

		// Forged, unsigned, foreign certificate host, foreign topic, stale:
		// all refused, and Kim stays active.
		forged := snsNotification("m-forged", now, sesComplaint("kim@example.com"))
		signed := e.signSNS(forged, "2")
		var m map[string]string
		json.Unmarshal(signed, &m)
		m["Message"] = strings.Replace(m["Message"], "abuse", "fraud", 1)
		tampered, _ := json.Marshal(m)
		delete(m, "Signature")
		unsigned, _ := json.Marshal(m)
		other := snsNotification("m-cert", now, sesComplaint("kim@example.com"))
		otherSigned := e.signSNS(other, "2")
		json.Unmarshal(otherSigned, &m)
		m["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.attacker.example/cert.pem"
		foreignCert, _ := json.Marshal(m)
		topic := snsNotification("m-topic", now, sesComplaint("kim@example.com"))
		topic["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:someone-else"
		for _, c := range []struct {
			name string
			body []byte
			want int
		}{
			{"tampered", tampered, http.StatusUnauthorized},
			{"unsigned", unsigned, http.StatusUnauthorized},
			{"foreign certificate host", foreignCert, http.StatusUnauthorized},
			{"foreign topic", e.signSNS(topic, "2"), http.StatusUnauthorized},
			{"stale", e.signSNS(snsNotification("m-old", now.Add(-2*time.Hour), sesComplaint("kim@example.com")), "2"), http.StatusBadRequest},
			{"not json", []byte("hello"), http.StatusBadRequest},
		} {
			code, body := e.post("/webhooks/ses", c.body, nil)
			expect(t, c.name, code, body, c.want)
		}
		if st := e.status("kim@example.com"); st != digest.StatusActive || len(e.events("kim@example.com")) != 0 {
			t.Fatalf("a refused request changed Kim: %s", st)
		}
		code, body = e.post("/webhooks/ses", e.signSNS(snsNotification("m-complaint", now, sesComplaint("kim@example.com")), "2"), nil)
		expect(t, "complaint", code, body, http.StatusOK)
		if st := e.status("kim@example.com"); st != digest.StatusUnsubscribed {
			t.Fatalf("complaint: status %s", st)
		}
		if evs := e.events("kim@example.com"); len(evs) != 1 || evs[0].Kind != digest.EventComplaint || !strings.Contains(evs[0].Detail, "abuse") {
			t.Fatalf("complaint event: %+v", evs)
		}
	})
}

// --- SendGrid ---
//
// Signature: https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
// Events: https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event

func (e *env) signSendgrid(body []byte, at time.Time) http.Header {
	ts := fmt.Sprint(at.Unix())
	sum := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, e.sgKey, sum[:])
	if err != nil {
		e.t.Fatal(err)
	}
	return http.Header{
		"X-Twilio-Email-Event-Webhook-Signature": {base64.StdEncoding.EncodeToString(sig)},
		"X-Twilio-Email-Event-Webhook-Timestamp": {ts},
	}
}

func TestWebhooks_SendGrid(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		for _, a := range []string{"hard@example.com", "blocked@example.com", "spam@example.com", "unsub@example.com"} {
			e.sub(a)
		}
		body := []byte(`[
{"email":"hard@example.com","timestamp":1513299569,"smtp-id":"<digest.2026-03-29.aa@example.com>","event":"bounce","category":"cat facts","sg_event_id":"6g4ZI7SA-xmRDv57GoPIPw==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","reason":"500 unknown recipient","status":"5.0.0","type":"bounce"},
{"email":"blocked@example.com","timestamp":1513299569,"event":"bounce","sg_event_id":"b2","reason":"550 blocked by policy","status":"5.7.1","type":"blocked"},
{"email":"spam@example.com","timestamp":1513299569,"event":"spamreport","sg_event_id":"s3"},
{"email":"unsub@example.com","timestamp":1513299569,"event":"unsubscribe","sg_event_id":"u4"},
{"email":"hard@example.com","timestamp":1513299569,"event":"delivered","sg_event_id":"d5"}
]`)
		now := time.Now()
		for _, c := range []struct {
			name string
			h    http.Header
			body []byte
			want int
		}{
			{"unsigned", nil, body, http.StatusUnauthorized},
			{"altered body", e.signSendgrid(body, now), bytes.Replace(body, []byte("spamreport"), []byte("delivered"), 1), http.StatusUnauthorized},
			{"stale", e.signSendgrid(body, now.Add(-time.Hour)), body, http.StatusBadRequest},
		} {
			code, out := e.post("/webhooks/sendgrid", c.body, c.h)
			expect(t, c.name, code, out, c.want)
		}
		if st := e.status("spam@example.com"); st != digest.StatusActive {
			t.Fatal("a refused request changed a subscriber")
		}
		h := e.signSendgrid(body, now)
		code, out := e.post("/webhooks/sendgrid", body, h)
		expect(t, "signed batch", code, out, http.StatusOK)
		for email, want := range map[string]digest.SubscriberStatus{
			"hard@example.com": digest.StatusBounced, "blocked@example.com": digest.StatusActive,
			"spam@example.com": digest.StatusUnsubscribed, "unsub@example.com": digest.StatusUnsubscribed,
		} {
			if st := e.status(email); st != want {
				t.Errorf("%s: status %s, want %s", email, st, want)
			}
		}
		if evs := e.events("blocked@example.com"); len(evs) != 1 || evs[0].Kind != digest.EventSoftBounce {
			t.Errorf("blocked: %+v", evs)
		}
		code, out = e.post("/webhooks/sendgrid", body, h)
		expect(t, "replay", code, out, http.StatusBadRequest)
		if n := len(e.events("blocked@example.com")); n != 1 {
			t.Fatalf("replay added events: %d", n)
		}
	})
}

// --- Mailgun ---
//
// Signature: https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
// Payloads: https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-payloads
// and event types: https://documentation.mailgun.com/docs/mailgun/user-manual/events/event-types

func mailgunBody(token string, at time.Time, key, eventData string) []byte {
	ts := fmt.Sprint(at.Unix())
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + token))
	return []byte(fmt.Sprintf(`{"signature":{"token":%q,"timestamp":%q,"signature":%q},"event-data":%s}`,
		token, ts, hex.EncodeToString(mac.Sum(nil)), eventData))
}

const mailgunFailed = `{"event":"failed","id":"G9Bn5sl1TC6nu79C8C0bwg","timestamp":1521233123.501324,"log-level":"error",
"severity":"permanent","reason":"suppress-bounce","recipient":"alice@example.com","recipient-domain":"example.com",
"delivery-status":{"attempt-no":1,"message":"","code":605,"description":"Not delivering to previously bounced address","session-seconds":0},
"message":{"headers":{"to":"Alice <alice@example.com>","message-id":"digest.2026-03-29.bb@example.com","from":"Trade Digest <digest@example.com>","subject":"Trade digest"}}}`

func TestWebhooks_Mailgun(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.sub("alice@example.com")
		e.sub("bob@example.com")
		now := time.Now()
		tempFailure := strings.Replace(strings.Replace(mailgunFailed, `"permanent"`, `"temporary"`, 1), "alice@", "bob@", 2)
		for _, c := range []struct {
			name string
			body []byte
			want int
		}{
			{"unsigned", []byte(`{"event-data":` + mailgunFailed + `}`), http.StatusUnauthorized},
			{"wrong key", mailgunBody("t1", now, "key-not-ours", mailgunFailed), http.StatusUnauthorized},
			{"stale", mailgunBody("t2", now.Add(-time.Hour), mailgunKey, mailgunFailed), http.StatusBadRequest},
		} {
			code, out := e.post("/webhooks/mailgun", c.body, nil)
			expect(t, c.name, code, out, c.want)
		}
		if st := e.status("alice@example.com"); st != digest.StatusActive {
			t.Fatal("a refused request changed a subscriber")
		}
		ok := mailgunBody("t3", now, mailgunKey, mailgunFailed)
		code, out := e.post("/webhooks/mailgun", ok, nil)
		expect(t, "permanent failure", code, out, http.StatusOK)
		if st := e.status("alice@example.com"); st != digest.StatusBounced {
			t.Fatalf("permanent failure: status %s", st)
		}
		code, out = e.post("/webhooks/mailgun", ok, nil)
		expect(t, "replayed token", code, out, http.StatusBadRequest)
		// A temporary failure is Mailgun's to retry: no event.
		code, out = e.post("/webhooks/mailgun", mailgunBody("t4", now, mailgunKey, tempFailure), nil)
		expect(t, "temporary failure", code, out, http.StatusOK)
		if n := len(e.events("bob@example.com")); n != 0 {
			t.Fatalf("temporary failure recorded %d events", n)
		}
		complained := `{"event":"complained","id":"-Agny091SquKnsrW2NEKUA","timestamp":1521233123.501324,"recipient":"bob@example.com","message":{"headers":{"message-id":"digest.2026-03-29.cc@example.com"}}}`
		code, out = e.post("/webhooks/mailgun", mailgunBody("t5", now, mailgunKey, complained), nil)
		expect(t, "complaint", code, out, http.StatusOK)
		if st := e.status("bob@example.com"); st != digest.StatusUnsubscribed {
			t.Fatalf("complaint: status %s", st)
		}
	})
}

// --- Postmark ---
//
// Authentication: https://postmarkapp.com/developer/webhooks/webhooks-overview (basic auth in the URL)
// Bounce: https://postmarkapp.com/developer/webhooks/bounce-webhook
// Spam complaint: https://postmarkapp.com/developer/webhooks/spam-complaint-webhook
// Subscription change: https://postmarkapp.com/developer/webhooks/subscription-change-webhook

func TestWebhooks_Postmark(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.sub("john@example.com")
		e.sub("mary@example.com")
		e.sub("li@example.com")
		auth := func(user, pass string) http.Header {
			return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
		}
		good := auth("postmark", "pm-secret-pm-secret")
		bounceBody := []byte(`{"RecordType":"Bounce","MessageStream":"outbound","ID":4323372036854775807,"Type":"HardBounce","TypeCode":1,
"Name":"Hard bounce","Tag":"Test","MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","ServerID":23,
"Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).","Details":"Test bounce details",
"Email":"john@example.com","From":"digest@example.com","BouncedAt":"2019-11-05T16:33:54.9070259Z","DumpAvailable":true,
"Inactive":true,"CanActivate":true,"Subject":"Trade digest","Content":"Return-Path:...","Metadata":{}}`)
		for _, c := range []struct {
			name string
			h    http.Header
			want int
		}{
			{"no auth", nil, http.StatusUnauthorized},
			{"wrong password", auth("postmark", "guess"), http.StatusUnauthorized},
			{"wrong user", auth("admin", "pm-secret-pm-secret"), http.StatusUnauthorized},
		} {
			code, out := e.post("/webhooks/postmark", bounceBody, c.h)
			expect(t, c.name, code, out, c.want)
		}
		if st := e.status("john@example.com"); st != digest.StatusActive {
			t.Fatal("a refused request changed a subscriber")
		}
		code, out := e.post("/webhooks/postmark", bounceBody, good)
		expect(t, "hard bounce", code, out, http.StatusOK)
		if st := e.status("john@example.com"); st != digest.StatusBounced {
			t.Fatalf("hard bounce: status %s", st)
		}
		code, out = e.post("/webhooks/postmark", bounceBody, good)
		expect(t, "replay", code, out, http.StatusBadRequest)
		complaint := []byte(`{"RecordType":"SpamComplaint","MessageStream":"outbound","ID":42,"Type":"SpamComplaint","TypeCode":512,
"Name":"Spam complaint","Tag":"Test","MessageID":"00000000-0000-0000-0000-000000000000","ServerID":1234,"Description":"",
"Details":"Test spam complaint details","Email":"mary@example.com","From":"digest@example.com","BouncedAt":"2019-11-05T16:33:54.9070259Z",
"DumpAvailable":true,"Inactive":true,"CanActivate":false,"Subject":"Trade digest","Content":"","Metadata":{}}`)
		code, out = e.post("/webhooks/postmark", complaint, good)
		expect(t, "complaint", code, out, http.StatusOK)
		if st := e.status("mary@example.com"); st != digest.StatusUnsubscribed {
			t.Fatalf("complaint: status %s", st)
		}
		change := []byte(`{"RecordType":"SubscriptionChange","MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","ServerID":123456,
"MessageStream":"broadcast","ChangedAt":"2020-02-01T10:53:34.416071Z","Recipient":"li@example.com","Origin":"Recipient",
"SuppressSending":true,"SuppressionReason":"ManualSuppression","Tag":"digest","Metadata":{}}`)
		code, out = e.post("/webhooks/postmark", change, good)
		expect(t, "subscription change", code, out, http.StatusOK)
		if st := e.status("li@example.com"); st != digest.StatusUnsubscribed {
			t.Fatalf("manual suppression: status %s", st)
		}
	})
}

// TestSendgridVerifier_PublishedVector checks the signature scheme against
// the key, signature, timestamp and payload published in SendGrid's Go
// helper tests (github.com/sendgrid/sendgrid-go, helpers/eventwebhook), so
// the verifier agrees with what SendGrid itself produces.
func TestSendgridVerifier_PublishedVector(t *testing.T) {
	const (
		pub = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
		sig = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0="
		ts  = "1588788367"
	)
	payload := []byte(`{"category":"example_payload","event":"test_event","message_id":"message_id"}`)
	fake := func(at time.Time) (int, string) {
		wh, err := bounce.NewWebhooks(bounce.WebhookConfig{SendGridPublicKey: pub, Now: func() time.Time { return at }},
			&bounce.Recorder{Store: storetest.Open(t)})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", bytes.NewReader(payload))
		req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", sig)
		req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", ts)
		w := httptest.NewRecorder()
		wh.Handler().ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	// At the vector's own time the signature verifies; the payload is an
	// object, not the event array, so it is then refused as malformed (400),
	// not as forged (401).
	if code, body := fake(time.Unix(1588788367, 0)); code != http.StatusBadRequest || !strings.Contains(body, "array") {
		t.Fatalf("published vector: %d %s", code, body)
	}
	// Today the same request is stale.
	if code, body := fake(time.Now()); code != http.StatusBadRequest || !strings.Contains(body, "window") {
		t.Fatalf("published vector today: %d %s", code, body)
	}
}

func TestWebhooks_NotConfigured(t *testing.T) {
	wh, err := bounce.NewWebhooks(bounce.WebhookConfig{MailgunSigningKey: "k"}, &bounce.Recorder{Store: storetest.Open(t)})
	if err != nil {
		t.Fatal(err)
	}
	if p := wh.Providers(); len(p) != 1 || p[0] != "mailgun" {
		t.Fatalf("providers %v", p)
	}
	ts := httptest.NewServer(wh.Handler())
	defer ts.Close()
	resp, err := http.Post(ts.URL+"/webhooks/ses", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unconfigured provider: %d", resp.StatusCode)
	}
}
