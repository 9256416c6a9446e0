package summarize

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/tradedigest/tradedigest/internal/lazyre"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// Limits of an LLM summary, enforced on every reply whatever the prompt
// asked for.
const (
	MaxHeadlineWords = 12
	MaxSummaryWords  = 60
	MinKeyPoints     = 2
	MaxKeyPoints     = 4
	maxKeyPointWords = 25
	maxCountries     = 8
	maxCountryLen    = 60
)

// reply is the JSON object the summary prompt asks for.
type reply struct {
	Headline   string          `json:"headline"`
	Summary    string          `json:"summary"`
	KeyPoints  []string        `json:"key_points"`
	Countries  []string        `json:"countries"`
	Topics     []string        `json:"topics"`
	Importance json.RawMessage `json:"importance"`
}

// fields returns every text the reply carries.
func (r reply) fields() []string {
	out := append([]string{r.Headline, r.Summary}, r.KeyPoints...)
	out = append(out, r.Countries...)
	return append(out, r.Topics...)
}

// errInvalidReply marks a reply that parsed or validated badly; it is
// retried once, then the story falls back to the extractive summary.
var errInvalidReply = errors.New("invalid reply")

var fenced = lazyre.New("(?s)```[a-zA-Z]*\\s*(.*?)```")

// parseReply reads the JSON object out of content: the whole content, a
// fenced ```json block, or the outermost braces, in that order, because
// servers without a JSON mode wrap their answers in prose and fences.
func parseReply(content string) (reply, error) {
	content = strings.TrimSpace(content)
	cands := []string{content}
	if m := fenced.Get().FindStringSubmatch(content); m != nil {
		cands = append(cands, m[1])
	}
	if i, j := strings.IndexByte(content, '{'), strings.LastIndexByte(content, '}'); i >= 0 && j > i {
		cands = append(cands, content[i:j+1])
	}
	var firstErr error
	for _, c := range cands {
		var r reply
		err := json.Unmarshal([]byte(c), &r)
		if err == nil {
			return r, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return reply{}, fmt.Errorf("%w: not a JSON object: %v", errInvalidReply, firstErr)
}

// markup matches what must never come from the model into a digest: HTML
// tags, script URLs and links (the prompt asks for none; a reply with them
// has likely followed instructions planted in the article).
var markup = lazyre.New(`(?i)<\s*/?\s*[a-z!?]|javascript:|data:text|vbscript:|https?://|\x60\x60\x60`)

// llmSummary is a validated reply.
type llmSummary struct {
	Headline   string
	Text       string
	KeyPoints  []string
	Countries  []string
	Topics     []string
	Importance int
}

// validate checks r against the limits and returns it cleaned: whitespace
// collapsed, over-long fields cut at word or sentence boundaries, topics
// kept only when configured. It returns an errInvalidReply for what cannot
// be repaired: a missing field, too few key points, importance outside
// 1–5, or markup and links anywhere.
func validate(r reply, topics []string) (llmSummary, error) {
	bad := func(format string, args ...any) (llmSummary, error) {
		return llmSummary{}, fmt.Errorf("%w: %s", errInvalidReply, fmt.Sprintf(format, args...))
	}
	var out llmSummary
	for _, f := range r.fields() {
		if markup.Get().MatchString(f) {
			return bad("markup or link in reply: %q", clip(f, 80))
		}
	}
	if out.Headline = limitWords(clean(r.Headline), MaxHeadlineWords, false); out.Headline == "" {
		return bad("empty headline")
	}
	if out.Text = limitWords(distinctSentences(clean(r.Summary)), MaxSummaryWords, true); out.Text == "" {
		return bad("empty summary")
	}
	seen := map[string]bool{}
	for _, k := range r.KeyPoints {
		k = limitWords(clean(k), maxKeyPointWords, true)
		if k == "" || seen[strings.ToLower(k)] {
			continue
		}
		seen[strings.ToLower(k)] = true
		out.KeyPoints = append(out.KeyPoints, k)
	}
	if len(out.KeyPoints) < MinKeyPoints {
		return bad("%d key points, want %d–%d", len(out.KeyPoints), MinKeyPoints, MaxKeyPoints)
	}
	out.KeyPoints = out.KeyPoints[:min(len(out.KeyPoints), MaxKeyPoints)]
	seen = map[string]bool{}
	for _, c := range r.Countries {
		c = clean(c)
		if c == "" || len(c) > maxCountryLen || seen[strings.ToLower(c)] || len(out.Countries) == maxCountries {
			continue
		}
		seen[strings.ToLower(c)] = true
		out.Countries = append(out.Countries, c)
	}
	canon := map[string]string{}
	for _, t := range topics {
		canon[strings.ToLower(strings.TrimSpace(t))] = t
	}
	seen = map[string]bool{}
	for _, t := range r.Topics {
		if c, ok := canon[strings.ToLower(clean(t))]; ok && !seen[c] {
			seen[c] = true
			out.Topics = append(out.Topics, c)
		}
	}
	imp, err := importance(r.Importance)
	if err != nil {
		return bad("%v", err)
	}
	out.Importance = imp
	return out, nil
}

// distinctSentences drops sentences that repeat an earlier one word for
// word, as an over-long reply may; what remains is checked for repetition
// by the faithfulness guard.
func distinctSentences(s string) string {
	sents := nlp.Sentences(s)
	if len(sents) < 2 {
		return s
	}
	seen := map[string]bool{}
	kept := sents[:0]
	for _, x := range sents {
		k := strings.ToLower(x)
		if !seen[k] {
			seen[k] = true
			kept = append(kept, x)
		}
	}
	return strings.Join(kept, " ")
}

// importance accepts 3, 3.0 and "3", which models produce alike.
func importance(raw json.RawMessage) (int, error) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int(f)) || f < 1 || f > 5 {
		return 0, fmt.Errorf("importance %s, want an integer 1–5", clip(string(raw), 20))
	}
	return int(f), nil
}

// clean drops control characters and collapses whitespace.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) || r == '\uFFFD' {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// limitWords cuts s to at most n words. With sentences set it prefers to
// end on a whole sentence; otherwise, or when the first sentence is already
// too long, it cuts at a word and adds an ellipsis.
func limitWords(s string, n int, sentences bool) string {
	words := strings.Fields(s)
	if len(words) <= n {
		return s
	}
	if sentences {
		var kept []string
		count := 0
		for _, sent := range nlp.Sentences(s) {
			w := len(strings.Fields(sent))
			if count+w > n {
				break
			}
			kept = append(kept, sent)
			count += w
		}
		if len(kept) > 0 {
			return strings.Join(kept, " ")
		}
	}
	return strings.TrimRight(strings.Join(words[:n], " "), ",;:-–—") + "…"
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
