package faults

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
)

// TestSMTPFaults runs `digest now` to two healthy recipients and one whose
// transactions meet a scripted SMTP failure. The faulty one must end as
// failed (permanent) or pending for a retry (temporary) with the server's
// reason in the ledger; the healthy ones get exactly one copy each.
func TestSMTPFaults(t *testing.T) {
	needBinary(t)
	const bad = "bad@example.com"
	cases := []struct {
		name      string
		rule      mailtest.Rule
		permanent bool
		reason    string // substring of the ledger's last error
	}{
		{"drop-mid-DATA", mailtest.Rule{Stage: mailtest.MidData}, false, ""},
		{"421-at-RCPT", mailtest.Rule{Stage: mailtest.AtRcpt, Reply: "421 4.3.2 service shutting down"}, false, "421"},
		{"451-at-RCPT", mailtest.Rule{Stage: mailtest.AtRcpt, Reply: "451 4.7.1 greylisted, try later"}, false, "451"},
		{"452-at-RCPT", mailtest.Rule{Stage: mailtest.AtRcpt, Reply: "452 4.2.2 mailbox full"}, false, "452"},
		{"550-at-RCPT", mailtest.Rule{Stage: mailtest.AtRcpt, Reply: "550 5.1.1 no such user"}, true, "550"},
		{"554-at-dot", mailtest.Rule{Stage: mailtest.AtDot, Reply: "554 5.7.1 message refused as spam"}, true, "554"},
		{"DATA-then-silence", mailtest.Rule{Stage: mailtest.AtDot, Hang: true}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			healthy := []string{"ana@example.com", "ben@example.com"}
			w := newWorld(t, append(healthy, bad)...)
			fs := mailtest.StartFaultServer(t, mailtest.FaultOptions{Rules: map[string]mailtest.Rule{bad: c.rule}})
			r := w.now("smtp://"+fs.Addr+"?tls=none", "--source", w.base+"/healthy.xml")
			if r.Code != 0 && r.Code != 1 {
				t.Fatalf("digest now exited %d\nstderr:\n%s", r.Code, tail(r.Stderr))
			}
			db := w.open()
			ids := fs.Delivered()
			delivered, _ := checkDelivered(t, db, ids, healthy)
			d, ok := ledger(t, db)[bad]
			switch {
			case !ok:
				t.Fatalf("no ledger row for the faulty recipient")
			case c.permanent && d.Status != "failed":
				t.Errorf("status %s, want failed (permanent)", d.Status)
			case !c.permanent && d.Status != "pending":
				t.Errorf("status %s, want pending (temporary, retried later)", d.Status)
			}
			if d.LastError == "" || !strings.Contains(d.LastError, c.reason) {
				t.Errorf("ledger reason %q, want it to mention %q", d.LastError, c.reason)
			}
			if !c.permanent && !d.NextAttempt.After(time.Now()) {
				t.Errorf("temporary failure not scheduled for a later retry (next attempt %s)", d.NextAttempt)
			}
			if n := ids[d.MessageID]; n != 0 {
				t.Errorf("the refused message was accepted %d times", n)
			}
			rep := lastRun(t, db)
			if rep.Failed+rep.Deferred != 1 {
				t.Errorf("report: failed %d + deferred %d, want 1", rep.Failed, rep.Deferred)
			}
			doctor(t, db, time.Now())
			record(figure{Scenario: "smtp/" + c.name, Time: r.Took, PeakMB: r.PeakRSSMB, Memory: "rss",
				Delivered: delivered, Failed: rep.Failed + rep.Deferred, Dups: dups(ids),
				Note: fmt.Sprintf("%s, reason %s", d.Status, reasonCode(d.LastError))})
			t.Logf("ledger reason: %s", d.LastError)
		})
	}
}

var replyCode = regexp.MustCompile(`\b[45]\d\d "?[45]\.\d{1,3}\.\d{1,3}\b|\btimeout\b|\bEOF\b|connection reset|broken pipe|closed`)

// reasonCode picks the SMTP reply or network error out of a ledger reason.
func reasonCode(s string) string {
	if m := replyCode.FindString(s); m != "" {
		return strings.ReplaceAll(m, `"`, "")
	}
	return short(s)
}
