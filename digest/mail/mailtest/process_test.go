package mailtest

import (
	"net/smtp"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	ServeSinkProcessIfAsked()
	os.Exit(m.Run())
}

func TestSinkProcess_CountsAndCPU(t *testing.T) {
	p := StartSinkProcess(t)
	if err := smtp.SendMail(p.Addr, nil, "a@example.com", []string{"b@example.com"}, []byte(rawMsg)); err != nil {
		t.Fatal(err)
	}
	other := "Message-ID: <id-2@example.com>\r\n\r\nbody\r\n"
	for range 2 {
		if err := smtp.SendMail(p.Addr, nil, "a@example.com", []string{"b@example.com"}, []byte(other)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// The sink counts the message as received, after un-stuffing the dot.
	want := int64(len(rawMsg) + 2*len(other))
	if st.Total != 3 || st.Distinct != 2 || st.Bytes != want || st.CPUNanos <= 0 {
		t.Errorf("stats = %+v, want 3 messages, 2 distinct, %d bytes, some CPU", st, want)
	}
	final, err := p.Close()
	if err != nil {
		t.Fatal(err)
	}
	if final.Total != 3 || final.CPU() < st.CPU() {
		t.Errorf("final stats = %+v after %+v", final, st)
	}
	if _, err := p.Stats(); err == nil {
		t.Error("Stats after Close: no error")
	}
}
