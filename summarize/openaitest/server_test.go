package openaitest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
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

func TestServer_Embeddings(t *testing.T) {
	s := New(t)
	s.Synonyms(map[string]string{"levies": "tariffs"})
	base := strings.TrimSuffix(s.URL, "/v1")
	for _, path := range []string{"/v1/embeddings", "/embeddings"} {
		resp, body := post(t, base+path, `{"model":"e","input":["Steel tariffs rise in Vietnam","Steel levies rise in Vietnam","Coffee harvest hits record"]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var out struct {
			Data []struct {
				Index     int
				Embedding []float32
			}
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Data) != 3 {
			t.Fatalf("%s: %v %s", path, err, body)
		}
		dot := func(a, b []float32) (d float32) {
			for i := range a {
				d += a[i] * b[i]
			}
			return d
		}
		v := out.Data
		if len(v[0].Embedding) != Dims || v[2].Index != 2 {
			t.Fatalf("dims %d, index %d", len(v[0].Embedding), v[2].Index)
		}
		if n := dot(v[0].Embedding, v[0].Embedding); n < 0.999 || n > 1.001 {
			t.Errorf("norm² %v, want 1", n)
		}
		if same, other := dot(v[0].Embedding, v[1].Embedding), dot(v[0].Embedding, v[2].Embedding); same < 0.999 || other > 0.5 {
			t.Errorf("cosine with synonym text %v (want 1), with unrelated text %v", same, other)
		}
	}
	resp, body := post(t, s.URL+"/embeddings", `{"model":"e","input":"one text"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"index":0`) {
		t.Errorf("string input: %d %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, s.URL+"/embeddings", `{"model":"e","input":[""]}`); resp.StatusCode != 400 {
		t.Errorf("empty input: %d, want 400", resp.StatusCode)
	}
	s.Queue(RateLimited)
	if resp, _ := post(t, s.URL+"/embeddings", `{"model":"e","input":["x"]}`); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("queued fault: %d", resp.StatusCode)
	}
	if r := s.Requests(); len(r) != 5 || !slices.Equal(r[0].Inputs, []string{"Steel tariffs rise in Vietnam", "Steel levies rise in Vietnam", "Coffee harvest hits record"}) {
		t.Errorf("recorded %d requests: %+v", len(r), r)
	}
}
