package faults

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/digest/mail/mailtest"
	"github.com/tradedigest/tradedigest/digest/store"
)

// bombOnce builds the gzip bomb once: 256 MiB of zeros in about 250 KB.
var (
	bombOnce sync.Once
	bomb     []byte
)

func gzipBomb() []byte {
	bombOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zeros := make([]byte, 1<<20)
		for range 256 {
			zw.Write(zeros)
		}
		zw.Close()
		bomb = buf.Bytes()
	})
	return bomb
}

// latin1Feed is an RSS document in ISO-8859-1: "Genève" is 0xE8 there.
func latin1Feed(decl string) []byte {
	s := decl + `<rss version="2.0"><channel><title>Latin wire</title><link>http://localhost/</link>` +
		`<item><title>WTO talks in Gen` + "\xe8" + `ve on tariffs</title><link>http://localhost/x</link>` +
		`<guid>latin-1</guid><description>Tariff talks resumed in Gen` + "\xe8" + `ve.</description></item></channel></rss>`
	return []byte(s)
}

// sinkURL starts a sink and returns its plain-text SMTP URL.
func sinkURL(t testing.TB, opts mailtest.SinkOptions) (*mailtest.Sink, string) {
	t.Helper()
	s := mailtest.StartSink(t, opts)
	host, port := s.HostPort()
	return s, fmt.Sprintf("smtp://%s:%d?tls=none", host, port)
}

// TestFeedFaults runs `digest now` with the healthy example feed beside one
// hostile feed server per scenario. The hostile source must fail alone
// (with an error naming it) or be read safely; the healthy one and every
// subscriber must be unaffected.
func TestFeedFaults(t *testing.T) {
	needBinary(t)
	type tc struct {
		name    string
		handler func(w *world) http.HandlerFunc
		// wantErr is a substring of the source's error; "" means it must
		// be read without error; "*" means either (gofeed is lenient with
		// some broken XML and reads what it can).
		wantErr string
		check   func(t *testing.T, w *world)
	}
	cases := []tc{
		{name: "malformed-xml", wantErr: "*", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/rss+xml")
				rw.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><item><title>Tariffs &amp rise<</description></rss`))
			}
		}},
		{name: "50MB-body", wantErr: "", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/rss+xml")
				rw.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>`))
				chunk := bytes.Repeat([]byte(`<item><title>Tariff item</title><description>padding padding padding</description></item>`), 700)
				for sent := 0; sent < 50<<20 && r.Context().Err() == nil; sent += len(chunk) {
					if _, err := rw.Write(chunk); err != nil {
						return
					}
				}
			}
		}},
		{name: "gzip-bomb", handler: func(*world) http.HandlerFunc {
			b := gzipBomb()
			return func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/rss+xml")
				rw.Header().Set("Content-Encoding", "gzip")
				rw.Write(b)
			}
		}},
		{name: "trickle-1B/s", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/rss+xml")
				rw.WriteHeader(200)
				body := `<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title>`
				for i := 0; i < 120 && i < len(body); i++ { // bounded: 2 minutes at most
					if _, err := rw.Write([]byte{body[i]}); err != nil {
						return
					}
					rw.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(time.Second):
					}
				}
			}
		}},
		{name: "redirect-loop", wantErr: "redirect", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				http.Redirect(rw, r, r.URL.Path, http.StatusFound)
			}
		}},
		{name: "redirect-to-127.0.0.1", wantErr: "loopback", handler: func(w *world) http.HandlerFunc {
			// The target is this very server, which would answer with a
			// good feed: only the address guard stands in the way.
			target := w.srv.URL + "/healthy.xml"
			return func(rw http.ResponseWriter, r *http.Request) { http.Redirect(rw, r, target, http.StatusFound) }
		}},
		{name: "redirect-to-169.254.169.254", wantErr: "link-local", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				http.Redirect(rw, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			}
		}},
		{name: "charset-missing", wantErr: "", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/rss+xml")
				rw.Write(latin1Feed(`<?xml version="1.0" encoding="ISO-8859-1"?>`))
			}
		}, check: checkGeneva},
		{name: "charset-wrong", wantErr: "", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
				rw.Write(latin1Feed(`<?xml version="1.0"?>`))
			}
		}, check: checkGeneva},
		{name: "html-as-feed", wantErr: "", handler: func(*world) http.HandlerFunc {
			return func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "application/rss+xml")
				rw.Write([]byte(`<!DOCTYPE html><html><head><title>Not a feed</title></head><body><h1>Welcome</h1><p>Cookies.</p></body></html>`))
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			subs := []string{"ana@example.com", "ben@example.com"}
			w := newWorld(t, subs...)
			w.mux.HandleFunc("/hostile", c.handler(w))
			sink, url := sinkURL(t, mailtest.SinkOptions{})
			r := w.now(url, "--source", w.base+"/healthy.xml", "--source", w.base+"/hostile")
			if r.Code != 0 {
				t.Fatalf("digest now exited %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, tail(r.Stderr))
			}
			db := w.open()
			rep := lastRun(t, db)
			var hostileErr string
			for _, s := range rep.Sources {
				switch {
				case strings.HasSuffix(s.ID, "/healthy.xml"):
					if s.Error != "" || s.Articles == 0 {
						t.Errorf("healthy source affected: error %q, %d articles", s.Error, s.Articles)
					}
				case strings.HasSuffix(s.ID, "/hostile"):
					hostileErr = s.Error
				}
			}
			switch {
			case c.wantErr == "" && c.name == "html-as-feed":
				// Either refused as not a feed or read as zero items; never items
				// made of the page chrome.
				for _, s := range rep.Sources {
					if strings.HasSuffix(s.ID, "/hostile") && s.Error == "" && s.Articles > 0 {
						t.Errorf("an HTML page served as a feed gave %d articles", s.Articles)
					}
				}
			case c.name == "50MB-body" || c.name == "gzip-bomb" || c.name == "trickle-1B/s":
				if hostileErr == "" {
					t.Errorf("the hostile source was read without error")
				}
			case c.wantErr == "*":
			case c.wantErr != "" && !strings.Contains(strings.ToLower(hostileErr), c.wantErr):
				t.Errorf("hostile source error %q, want it to mention %q", hostileErr, c.wantErr)
			case c.wantErr == "" && hostileErr != "":
				t.Errorf("source should have been read, got error %q", hostileErr)
			}
			if hostileErr != "" && !strings.Contains(hostileErr, "hostile") && !strings.Contains(hostileErr, "localhost") &&
				!strings.Contains(hostileErr, "127.0.0.1") && !strings.Contains(hostileErr, "169.254") {
				t.Errorf("source error %q does not name the source", hostileErr)
			}
			delivered, _ := checkDelivered(t, db, sink.IDs(), subs)
			if c.check != nil {
				c.check(t, w)
			}
			doctor(t, db, time.Now())
			record(figure{Scenario: "feed/" + c.name, Time: r.Took, PeakMB: r.PeakRSSMB, Memory: "rss",
				Delivered: delivered, Dups: dups(sink.IDs()), Note: orOK(hostileErr)})
		})
	}
}

// checkGeneva asserts the Latin-1 title was stored as valid UTF-8.
func checkGeneva(t *testing.T, w *world) {
	db := w.open()
	arts, err := db.ArticlesSince(context.Background(), time.Now().Add(-72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if strings.Contains(a.Title, "WTO talks in Gen") {
			if !utf8.ValidString(a.Title) {
				t.Errorf("title stored as invalid UTF-8: %q", a.Title)
			}
			t.Logf("stored title: %q", a.Title)
			return
		}
	}
	t.Errorf("the Latin-1 item was not stored")
}

// checkDelivered asserts each address in want has a sent ledger row and
// arrived exactly once at the sink; it returns how many did.
func checkDelivered(t testing.TB, db *store.DB, ids map[string]int, want []string) (delivered int, rows map[string]string) {
	t.Helper()
	led := ledger(t, db)
	rows = map[string]string{}
	for _, addr := range want {
		d, ok := led[addr]
		if !ok {
			t.Errorf("%s: no ledger row", addr)
			continue
		}
		rows[addr] = string(d.Status)
		if d.Status != "sent" {
			t.Errorf("%s: ledger status %s (%s), want sent", addr, d.Status, d.LastError)
		}
		switch n := ids[d.MessageID]; n {
		case 1:
			delivered++
		default:
			t.Errorf("%s: message %s arrived %d times, want 1", addr, d.MessageID, n)
		}
	}
	return delivered, rows
}

// dups counts extra copies of any Message-ID.
func dups(ids map[string]int) int {
	n := 0
	for _, c := range ids {
		if c > 1 {
			n += c - 1
		}
	}
	return n
}

func short(s string) string {
	if len(s) > 70 {
		return s[:70] + "…"
	}
	return s
}

var hostilePrefix = regexp.MustCompile(`^.*?/hostile": `)

// orOK shortens a source error for the table: the part after the URL, and
// of a long one its end, where the cause is.
func orOK(err string) string {
	if err == "" {
		return "read without error"
	}
	err = hostilePrefix.ReplaceAllString(err, "")
	if r := []rune(err); len(r) > 60 {
		err = "…" + string(r[len(r)-60:])
	}
	return err
}
