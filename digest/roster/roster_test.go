package roster

import (
	"errors"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

func TestNormaliseEmail(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"Ana@Example.COM", "ana@example.com", false},
		{"  bo@example.org ", "bo@example.org", false},
		{"x+tag@sub.example.co.uk", "x+tag@sub.example.co.uk", false},
		{"", "", true},
		{"no-at-sign", "", true},
		{"a@localhost", "", true},
		{"Ana <ana@example.com>", "", true},
		{"ana@example.com\r\nBcc: evil@example.com", "", true},
		{"a@b@example.com", "", true},
		{"ana@.example.com", "", true},
		{strings.Repeat("a", 250) + "@example.com", "", true},
		{"José@Exämple.de", "josé@exämple.de", false},
		{"victim@[127.0.0.1]", "", true},
		{"victim@[IPv6:::1]", "", true},
		{"victim@127.0.0.1", "", true},
		{"victim@10.0.0.1", "", true},
		{"admin\u202e@example.com", "", true}, // right-to-left override
		{"moc.elpmaxe@\u202eana", "", true},
		{"ana\u2066@example.com", "", true}, // left-to-right isolate
		{"ana\u200f@example.com", "", true}, // right-to-left mark
		{"an\u200ba@example.com", "", true}, // zero-width space
		{"\ufeffana@example.com", "", true}, // byte order mark
		{"an\x7fa@example.com", "", true},
		{"ana\tx@example.com", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormaliseEmail(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalise(t *testing.T) {
	opts := Options{Topics: []string{"Tariffs", "Autos"}}
	s := digest.Subscriber{Email: "A@Example.com", Topics: []string{"tariffs", " Tariffs", "AUTOS"}, SendTime: "7:05"}
	if err := Normalise(&s, opts); err != nil {
		t.Fatal(err)
	}
	if s.Email != "a@example.com" || s.TimeZone != "UTC" || s.SendTime != "07:05" || s.Status != digest.StatusActive {
		t.Fatalf("normalised = %+v", s)
	}
	if strings.Join(s.Topics, ",") != "Tariffs,Autos" {
		t.Fatalf("topics = %v", s.Topics)
	}
	for _, tc := range []struct {
		name  string
		sub   digest.Subscriber
		field string
	}{
		{"bad topic", digest.Subscriber{Email: "a@example.com", Topics: []string{"football"}}, "topics"},
		{"bad zone", digest.Subscriber{Email: "a@example.com", TimeZone: "Mars/Olympus"}, "timezone"},
		{"bad time", digest.Subscriber{Email: "a@example.com", SendTime: "25:00"}, "send_time"},
		{"crlf name", digest.Subscriber{Email: "a@example.com", Name: "A\r\nBcc: x@example.com"}, "name"},
		{"bad status", digest.Subscriber{Email: "a@example.com", Status: "gone"}, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Normalise(&tc.sub, opts)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("err = %v, want a %s error", err, tc.field)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	in := "email,name,timezone,send_time,topics\n" +
		"ana@example.com,Ana,Europe/Berlin,06:30,Tariffs;Autos\n" +
		"not-an-email,Bo,,,\n" +
		"cy@example.com,Cy,Nowhere/Zone,,\n" +
		"\n" +
		"ANA@example.com,Ana again,,,\n" +
		"di@example.com\n" +
		"ed@example.com,Ed,UTC,07:00,Fishing\n"
	subs, bad, err := ParseCSV(strings.NewReader(in), Options{Topics: []string{"Tariffs", "Autos"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || subs[0].Email != "ana@example.com" || subs[1].Email != "di@example.com" {
		t.Fatalf("subs = %+v", subs)
	}
	if subs[0].TimeZone != "Europe/Berlin" || subs[0].SendTime != "06:30" || len(subs[0].Topics) != 2 {
		t.Fatalf("first row = %+v", subs[0])
	}
	wantLines := []int{3, 4, 6, 8}
	if len(bad) != len(wantLines) {
		t.Fatalf("bad = %v, want lines %v", bad, wantLines)
	}
	for i, le := range bad {
		if le.Line != wantLines[i] {
			t.Errorf("bad[%d] on line %d, want %d (%v)", i, le.Line, wantLines[i], le)
		}
	}
	if !strings.Contains(bad[2].Error(), "repeats line 2") {
		t.Errorf("duplicate row error = %v", bad[2])
	}
}

func TestParseCSV_Header(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"no email", "name,timezone\nAna,UTC\n", "no email column"},
		{"unknown column", "email,phone\na@example.com,123\n", `unknown column "phone"`},
		{"duplicate column", "email,email\n", "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseCSV(strings.NewReader(tc.in), Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseCSV_BOMAndQuotes(t *testing.T) {
	in := "\ufeffEmail,Name\n\"ana@example.com\",\"Ana, PhD\"\n"
	subs, bad, err := ParseCSV(strings.NewReader(in), Options{})
	if err != nil || len(bad) != 0 || len(subs) != 1 || subs[0].Name != "Ana, PhD" {
		t.Fatalf("subs=%+v bad=%v err=%v", subs, bad, err)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("email,name,timezone,send_time,topics\nana@example.com,Ana,UTC,07:00,Tariffs\n")
	f.Add("email\n\"unterminated\n")
	f.Add("email,topics\na@example.com,;;;;\n")
	f.Fuzz(func(t *testing.T, in string) {
		subs, bad, _ := ParseCSV(strings.NewReader(in), Options{Topics: []string{"Tariffs"}, MaxRows: 1000})
		seen := map[string]bool{}
		for _, s := range subs {
			if _, err := NormaliseEmail(s.Email); err != nil {
				t.Fatalf("accepted invalid email %q: %v", s.Email, err)
			}
			if seen[s.Email] {
				t.Fatalf("email %q accepted twice", s.Email)
			}
			seen[s.Email] = true
			if strings.ContainsAny(s.Name, "\r\n") {
				t.Fatalf("name with line break accepted: %q", s.Name)
			}
		}
		for _, b := range bad {
			if b.Line < 1 {
				t.Fatalf("bad line number %d", b.Line)
			}
		}
	})
}

func TestNormalise_Canonical(t *testing.T) {
	canon := func(s string) (string, bool) {
		if strings.EqualFold(strings.TrimSpace(s), "Export controls") || s == "export-controls" {
			return "export-controls", true
		}
		return "", false
	}
	s := digest.Subscriber{Email: "a@example.com", Topics: []string{"Export controls", "export-controls"}}
	if err := Normalise(&s, Options{Topics: []string{"export-controls"}, Canonical: canon}); err != nil {
		t.Fatal(err)
	}
	if len(s.Topics) != 1 || s.Topics[0] != "export-controls" {
		t.Fatalf("topics = %v", s.Topics)
	}
	bad := digest.Subscriber{Email: "a@example.com", Topics: []string{"fishing"}}
	if err := Normalise(&bad, Options{Topics: []string{"export-controls"}, Canonical: canon}); err == nil {
		t.Fatal("unknown topic accepted")
	}
}

// TestParseCSV_HostileAddresses: an imported list is checked like the
// sign-up form: IP-literal domains and invisible characters are bad rows,
// named by line.
func TestParseCSV_HostileAddresses(t *testing.T) {
	in := "email,name\n" +
		"ok@example.com,Ok\n" +
		"victim@[127.0.0.1],Literal\n" +
		"ana\u202e@example.com,Override\n" +
		"bo\u200b@example.com,Zero width\n"
	subs, bad, err := ParseCSV(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].Email != "ok@example.com" {
		t.Errorf("subs = %+v", subs)
	}
	if len(bad) != 3 || bad[0].Line != 3 || bad[1].Line != 4 || bad[2].Line != 5 {
		t.Fatalf("bad rows = %v, want lines 3, 4, 5", bad)
	}
	if !strings.Contains(bad[0].Error(), "IP address") || !strings.Contains(bad[1].Error(), "U+202E") {
		t.Errorf("errors do not say why: %v", bad)
	}
}

// TestParseCSV_Frequency: the frequency column takes daily, weekdays and
// weekly:<day> as people write them; a bad one names its line and the
// column; an empty cell stays empty (a known reader keeps theirs).
func TestParseCSV_Frequency(t *testing.T) {
	in := "email,frequency\n" +
		"ana@example.com,weekly:Monday\n" +
		"bo@example.com,Weekdays\n" +
		"cy@example.com,\n" +
		"di@example.com,fortnightly\n" +
		"ed@example.com,daily\n"
	subs, bad, err := ParseCSV(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]digest.Frequency{}
	for _, s := range subs {
		got[s.Email] = s.Frequency
	}
	want := map[string]digest.Frequency{"ana@example.com": "weekly:mon", "bo@example.com": "weekdays", "cy@example.com": "", "ed@example.com": "daily"}
	if len(got) != len(want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: frequency %q, want %q", k, got[k], v)
		}
	}
	if len(bad) != 1 || bad[0].Line != 5 || !strings.Contains(bad[0].Error(), "frequency") || !strings.Contains(bad[0].Error(), "fortnightly") {
		t.Fatalf("bad rows %v, want line 5 naming the frequency", bad)
	}
}
