package summarize

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// Errors of one chat completion.
var (
	// errUnauthorized is a 401: the key is wrong; nothing will work this run.
	errUnauthorized = errors.New("llm unauthorized (401)")
	// errPermanent is a 4xx other than 401/408/409/429: retrying the same
	// request cannot help.
	errPermanent = errors.New("llm request rejected")
)

// callInfo carries what headerDoer saw of the last response of one call.
type callInfo struct {
	header http.Header
}

type callInfoKey struct{}

// headerDoer records response headers into the request context's callInfo,
// because go-openai's errors carry the status code but not Retry-After.
type headerDoer struct{ c *http.Client }

func (d headerDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.c.Do(req)
	if resp != nil {
		if ci, ok := req.Context().Value(callInfoKey{}).(*callInfo); ok {
			ci.header = resp.Header.Clone()
		}
	}
	return resp, err
}

// complete makes one chat completion with retries and returns the reply
// text, the token usage and how many HTTP requests it took. est is the
// call's token estimate (for the tokens-per-minute limiter); jsonReply asks
// for the structured format the server supports.
func (o *OpenAI) complete(ctx context.Context, msgs []openai.ChatCompletionMessage, est int, jsonReply bool) (string, openai.Usage, int, error) {
	var used openai.Usage
	select {
	case o.sem <- struct{}{}:
	case <-ctx.Done():
		return "", used, 0, ctx.Err()
	}
	defer func() { <-o.sem }()
	calls := 0
	for retry := 0; ; {
		if err := o.wait(ctx, est); err != nil {
			return "", used, calls, err
		}
		format := o.format.Load()
		req := openai.ChatCompletionRequest{Model: o.cfg.Model, Messages: msgs}
		newLimit := o.completionLimit.Load()
		if newLimit {
			req.MaxCompletionTokens = o.cfg.MaxOutputTokens
		} else {
			// Many OpenAI-compatible servers (Ollama, vLLM, LM Studio, Azure
			// deployments of older models) know only max_tokens; the call
			// switches to max_completion_tokens when a server refuses it.
			//lint:ignore SA1019 max_tokens is the field those servers accept.
			req.MaxTokens = o.cfg.MaxOutputTokens
		}
		if jsonReply {
			req.ResponseFormat = responseFormat(format, o.cfg.Topics)
		}
		ci := &callInfo{}
		resp, err := o.client.CreateChatCompletion(context.WithValue(ctx, callInfoKey{}, ci), req)
		calls++
		if err == nil {
			used.PromptTokens += resp.Usage.PromptTokens
			used.CompletionTokens += resp.Usage.CompletionTokens
			if len(resp.Choices) == 0 {
				return "", used, calls, fmt.Errorf("%w: no choices", errInvalidReply)
			}
			content := resp.Choices[0].Message.Content
			if resp.Usage.PromptTokens == 0 && resp.Usage.CompletionTokens == 0 {
				// Some local servers report no usage; estimate it so budgets hold.
				used.PromptTokens += est - o.cfg.MaxOutputTokens
				used.CompletionTokens += o.count(content)
			}
			return content, used, calls, nil
		}
		if ctx.Err() != nil {
			return "", used, calls, ctx.Err()
		}
		status := statusOf(err)
		switch {
		case status == http.StatusBadRequest && !newLimit && strings.Contains(err.Error(), "max_completion_tokens"):
			// Newer OpenAI models refuse max_tokens; local servers may not
			// know max_completion_tokens, so it is used only when asked for.
			if o.completionLimit.CompareAndSwap(false, true) {
				o.log.Info("llm server wants max_completion_tokens; switching")
			}
			continue
		case status == http.StatusBadRequest && jsonReply && format < formatNone && aboutFormat(err):
			// The server does not know this response format: step down to
			// JSON mode, then to plain text with tolerant parsing, for good.
			if o.format.CompareAndSwap(format, format+1) {
				o.log.Info("llm server rejected the response format; stepping down",
					"from", formatName(format), "to", formatName(format+1), "error", o.redact(err.Error()))
			}
			continue
		}
		if perr := final(status, err, err.Error()); perr != nil {
			return "", used, calls, perr
		}
		// 429, 5xx, timeouts and network errors are worth another try.
		if retry >= o.cfg.MaxRetries {
			return "", used, calls, fmt.Errorf("llm gave up after %d attempts: %w", calls, err)
		}
		d, ok := o.backoff(retry, ci.header)
		if !ok {
			return "", used, calls, fmt.Errorf("llm asked to retry after more than %s: %w", o.cfg.RetryMax, err)
		}
		o.log.Debug("llm call failed; retrying", "status", status, "wait", d, "error", o.redact(err.Error()))
		if err := sleep(ctx, d); err != nil {
			return "", used, calls, err
		}
		retry++
	}
}

// final returns the error for a failed call that no retry can help (401,
// other 4xx except 408/409/429, an unreadable body) with detail as its
// text, or nil when the call is worth another try.
func final(status int, err error, detail string) error {
	switch {
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s", errUnauthorized, detail)
	case status >= 400 && status < 500 && status != http.StatusRequestTimeout &&
		status != http.StatusConflict && status != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s", errPermanent, detail)
	case status == 0 && isDecodeError(err):
		return fmt.Errorf("%w: response body: %s", errInvalidReply, detail)
	}
	return nil
}

// wait takes a request and est tokens from the rate limiters.
func (o *OpenAI) wait(ctx context.Context, est int) error {
	if o.rpm != nil {
		if err := o.rpm.Wait(ctx); err != nil {
			return fmt.Errorf("requests-per-minute limit: %w", err)
		}
	}
	if o.tpm != nil {
		if err := o.tpm.WaitN(ctx, min(est, o.tpm.Burst())); err != nil {
			return fmt.Errorf("tokens-per-minute limit: %w", err)
		}
	}
	return nil
}

// backoff returns the wait before retry number retry (0-based): the
// server's Retry-After (or retry-after-ms) when given, else exponential
// from RetryBase with full jitter in its upper half, capped at RetryMax. ok
// is false when the server asks for more than RetryMax.
func (o *OpenAI) backoff(retry int, h http.Header) (time.Duration, bool) {
	return backoff(o.cfg.RetryBase, o.cfg.RetryMax, retry, h)
}

// backoff is OpenAI.backoff with the bounds given, shared with Embedder.
func backoff(base, most time.Duration, retry int, h http.Header) (time.Duration, bool) {
	if d, ok := retryAfter(h, time.Now()); ok {
		if d > most {
			return d, false
		}
		return d, true
	}
	d := base << min(retry, 20)
	if d <= 0 || d > most {
		d = most
	}
	return d/2 + rand.N(d/2+1), true
}

// retryAfter reads retry-after-ms (OpenAI) or Retry-After in seconds or as
// an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// statusOf returns the HTTP status of a go-openai error, 0 when there was
// no response.
func statusOf(err error) int {
	var ae *openai.APIError
	if errors.As(err, &ae) {
		return ae.HTTPStatusCode
	}
	var re *openai.RequestError
	if errors.As(err, &re) {
		return re.HTTPStatusCode
	}
	return 0
}

// aboutFormat reports whether a 400 complains about the response format
// rather than about the request as a whole.
func aboutFormat(err error) bool {
	m := strings.ToLower(err.Error())
	return strings.Contains(m, "format") || strings.Contains(m, "schema")
}

func isDecodeError(err error) bool {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF)
}

func formatName(f int32) string {
	switch f {
	case formatSchema:
		return "json_schema"
	case formatJSON:
		return "json_object"
	}
	return "text"
}

func responseFormat(f int32, topics []string) *openai.ChatCompletionResponseFormat {
	switch f {
	case formatSchema:
		return &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: "story_summary", Strict: true, Schema: summarySchema(topics),
			},
		}
	case formatJSON:
		return &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	return nil
}

// summarySchema is the strict JSON schema of a reply. Strict mode allows
// no length keywords, so the limits are in the prompt and enforced by
// validate.
func summarySchema(topics []string) json.RawMessage {
	str := map[string]any{"type": "string"}
	topic := map[string]any{"type": "string"}
	if len(topics) > 0 {
		topic["enum"] = topics
	}
	arr := func(items any) map[string]any { return map[string]any{"type": "array", "items": items} }
	s := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"headline":   str,
			"summary":    str,
			"key_points": arr(str),
			"countries":  arr(str),
			"topics":     arr(topic),
			"importance": map[string]any{"type": "integer"},
		},
		"required":             []string{"headline", "summary", "key_points", "countries", "topics", "importance"},
		"additionalProperties": false,
	}
	b, _ := json.Marshal(s) // maps of strings always marshal
	return b
}

var keyLike = lazyre.New(`\b(sk-[A-Za-z0-9_\-]{2})[A-Za-z0-9_\-*]{6,}`)

// redact removes the API key, and anything shaped like one, from s: some
// servers echo the key back in their 401 message.
func (o *OpenAI) redact(s string) string { return redactKey(o.cfg.APIKey, s) }

// minKeyCheck is the shortest API key looked for in replies: a local
// server's placeholder key ("ollama", "x") is not a secret, and a short
// one would match ordinary words.
const minKeyCheck = 8

// checkNoKey refuses a reply that carries the API key, or anything shaped
// like one: an endpoint that echoes its request (or a prompt injection that
// asks for the key) must not put it in a digest. The reply is invalid,
// asked again once, then replaced by the extractive summary.
func (o *OpenAI) checkNoKey(texts ...string) error {
	for _, t := range texts {
		if len(o.cfg.APIKey) >= minKeyCheck && strings.Contains(t, o.cfg.APIKey) || keyLike.Get().MatchString(t) {
			return fmt.Errorf("%w: the reply contains the API key", errInvalidReply)
		}
	}
	return nil
}

// redactKey removes key, and anything shaped like an API key, from s.
func redactKey(k, s string) string {
	if len(k) >= 4 {
		s = strings.ReplaceAll(s, k, "[redacted]")
	}
	return keyLike.Get().ReplaceAllString(s, "$1…[redacted]")
}
