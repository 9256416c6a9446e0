package openaitest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const chatBody = `{"model":"m","messages":[{"role":"system","content":"sys"},` +
	`{"role":"user","content":"Outlets: A\nTitle: Steel deal agreed\n\n<<<ARTICLE>>>\nThe U.S. and Japan agreed a steel deal. Tariffs fall to 5%.\n<<<END ARTICLE>>>"}],` +
	`"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"properties":{"topics":{"items":{"enum":["tariffs","autos"]}}}}}}}`

func TestServer_Summary(t *testing.T) {
	s := New(t)
	for _, path := range []string{"/v1/chat/completions", "/chat/completions"} {
		resp, body := post(t, strings.TrimSuffix(s.URL, "/v1")+path, chatBody)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var out struct {
			Choices []struct{ Message struct{ Content string } }
			Usage   struct {
				PromptTokens int `json:"prompt_tokens"`
			}
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(out.Choices[0].Message.Content), &rep); err != nil {
			t.Fatal(err)
		}
		if rep["summary"] != "The U.S. and Japan agreed a steel deal." || rep["headline"] != "Steel deal agreed" || out.Usage.PromptTokens == 0 {
			t.Errorf("reply %v usage %+v", rep, out.Usage)
		}
		if got, _ := json.Marshal(rep["topics"]); string(got) != `["tariffs"]` {
			t.Errorf("topics %s", got)
		}
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Article != "The U.S. and Japan agreed a steel deal. Tariffs fall to 5%." || reqs[0].Format != "json_schema" {
		t.Errorf("recorded %+v", reqs)
	}
}

func TestServer_Faults(t *testing.T) {
	s := New(t)
	s.SetRetryAfter("7")
	s.Queue(RateLimited, ServerError, Unauthorized)
	for _, want := range []int{429, 500, 401, 200} {
		resp, body := post(t, s.URL+"/chat/completions", chatBody)
		if resp.StatusCode != want {
			t.Errorf("status %d, want %d: %s", resp.StatusCode, want, body)
		}
		if want == 429 && resp.Header.Get("Retry-After") != "7" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	s.SetFault(Hang)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Post(s.URL+"/chat/completions", "application/json", strings.NewReader(chatBody))
		if err == nil {
			resp.Body.Close()
		}
	}()
	for s.Count() < 5 {
		time.Sleep(5 * time.Millisecond)
	}
	s.Close() // must release the hung request
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release a hung request")
	}
}
