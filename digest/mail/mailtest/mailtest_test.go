package mailtest

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
)

const rawMsg = "Message-ID: <id-1@example.com>\r\nSubject: hi\r\n\r\nbody line\r\n.leading dot\r\n"

func TestReply(t *testing.T) {
	e := Reply(451, "4.7.1 try later")
	if e.Code != 451 || e.EnhancedCode != [3]int{4, 7, 1} || e.Message != "try later" {
		t.Errorf("Reply = %+v", e)
	}
	if e := Reply(550, "no such user"); e.Message != "no such user" {
		t.Errorf("Reply without enhanced code = %+v", e)
	}
}

func TestSink_RecordsByMessageID(t *testing.T) {
	for _, discard := range []bool{false, true} {
		sink := StartSink(t, SinkOptions{
			DiscardBodies: discard,
			Rcpt: func(to string) error {
				if strings.HasPrefix(to, "bad") {
					return Reply(550, "5.1.1 no such user")
				}
				return nil
			},
		})
		if err := smtp.SendMail(sink.Addr, nil, "a@example.com", []string{"b@example.com"}, []byte(rawMsg)); err != nil {
			t.Fatal(err)
		}
		err := smtp.SendMail(sink.Addr, nil, "a@example.com", []string{"bad@example.com"}, []byte(rawMsg))
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code != 550 {
			t.Errorf("rejected recipient: %v", err)
		}
		if sink.Count("id-1@example.com") != 1 || sink.Total() != 1 || sink.Connections() != 2 {
			t.Errorf("count=%d total=%d conns=%d", sink.Count("id-1@example.com"), sink.Total(), sink.Connections())
		}
		m := sink.Messages()[0]
		if m.Size != len(rawMsg) || m.From != "a@example.com" || (m.Data == nil) != discard {
			t.Errorf("message = %+v (size want %d)", m, len(rawMsg))
		}
		if !discard && !strings.Contains(string(m.Data), "\r\n.leading dot") {
			t.Errorf("dot-stuffing not undone: %q", m.Data)
		}
	}
}

func TestFaultServer_Rules(t *testing.T) {
	f := StartFaultServer(t, FaultOptions{
		Greetings: []string{"421 4.3.2 busy"},
		Rules:     map[string]Rule{"grey@example.com": {Stage: AtRcpt, Reply: "451 4.7.1 later", Times: 1}},
	})
	send := func(to string) error {
		return smtp.SendMail(f.Addr, nil, "a@example.com", []string{to}, []byte(rawMsg))
	}
	var te *textproto.Error
	if err := send("ok@example.com"); !errors.As(err, &te) || te.Code != 421 {
		t.Errorf("first connection: %v, want the 421 greeting", err)
	}
	if err := send("grey@example.com"); !errors.As(err, &te) || te.Code != 451 {
		t.Errorf("first try for grey: %v, want 451", err)
	}
	if err := send("grey@example.com"); err != nil {
		t.Errorf("second try for grey: %v", err)
	}
	if d := f.Delivered()["id-1@example.com"]; d != 1 || f.Attempts("grey@example.com") != 2 || f.Connections() != 3 {
		t.Errorf("delivered=%d attempts=%d conns=%d", d, f.Attempts("grey@example.com"), f.Connections())
	}
}
