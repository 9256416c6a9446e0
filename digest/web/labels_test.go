package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest/store/storetest"
	"github.com/tradedigest/tradedigest/digest/token"
)

// TestServer_TopicLabels: forms show a topic's label but submit its name.
func TestServer_TopicLabels(t *testing.T) {
	signer, err := token.NewSigner([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{
		BaseURL: "https://digest.example.com", Signer: signer,
		Subscribers: &testStore{backend: storetest.Open(t)}, Mailer: &captureMailer{},
		Topics:      []string{"export-controls", "autos"},
		TopicLabels: map[string]string{"export-controls": "Export controls & sanctions"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://digest.example.com/subscribe", nil))
	body, _ := io.ReadAll(rec.Body)
	page := string(body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	for _, want := range []string{`value="export-controls"`, "Export controls &amp; sanctions", `value="autos"`, ">autos</label>"} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-up page lacks %s", want)
		}
	}
}
