package summarize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// Limits of the digest lead.
const (
	maxLeadSentences = 3
	maxLeadWords     = 90
	maxLeadStories   = 12
)

// LeadKey returns the cache key of a lead for stories: a hash of the set of
// story keys (order does not matter) and version.
func LeadKey(stories []digest.Story, version string) string {
	keys := make([]string, 0, len(stories))
	for _, s := range stories {
		k := s.Key
		if k == "" {
			k = s.Lead().ContentHash
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	h.Write([]byte(version))
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// LeadVersion is the version under which leads are cached.
func (o *OpenAI) LeadVersion() string { return "openai-lead/" + o.cfg.Model + "/" + o.lead.version }

// WriteLead writes a 2–3 sentence opening from the stories' summaries,
// once per set of stories: leads are cached in memory and, after
// SetLeadCache, in the summary store. It returns "" when Lead is off, and
// an error when the LLM cannot write one (the digest goes out without).
func (r *Run) WriteLead(ctx context.Context, stories []digest.Story) (string, error) {
	o := r.o
	if !o.cfg.Lead || len(stories) == 0 {
		return "", nil
	}
	stories = stories[:min(len(stories), maxLeadStories)]
	version := o.LeadVersion()
	key := LeadKey(stories, version)
	if s, ok := o.cachedLead(ctx, key, version); ok {
		return s, nil
	}
	if r.unauthorized.Load() {
		return "", errors.New("digest lead: llm disabled for this run after 401 unauthorized")
	}
	type item struct{ Headline, Text string }
	data := struct {
		Begin, End string
		MaxWords   int
		Stories    []item
		Language   string
	}{Begin: beginStories, End: endStories, MaxWords: maxLeadWords, Language: digest.LanguageName(o.cfg.Language)}
	for _, s := range stories {
		h := s.Summary.Headline
		if h == "" {
			h = s.Lead().Title
		}
		data.Stories = append(data.Stories, item{fence(clean(h)), fence(clean(s.Summary.Text))})
	}
	sys, user, err := o.lead.render(data)
	if err != nil {
		return "", err
	}
	est := o.countSystem(sys) + o.count(user) + o.cfg.MaxOutputTokens
	if !r.reserve(est) {
		return "", errors.New("digest lead: run token budget exhausted")
	}
	content, usage, calls, err := o.complete(ctx, messages(sys, user), est, false)
	r.settle(est, usage, calls)
	if err != nil {
		return "", fmt.Errorf("digest lead: %s", r.failed(err))
	}
	if err := o.checkNoKey(content); err != nil {
		return "", fmt.Errorf("digest lead: %w", err)
	}
	lead, err := validLead(content)
	if err != nil {
		return "", fmt.Errorf("digest lead: %w", err)
	}
	o.saveLead(ctx, key, version, lead)
	return lead, nil
}

// validLead cleans a lead reply and cuts it to the limits; markup or links
// reject it.
func validLead(content string) (string, error) {
	s := clean(strings.Trim(strings.TrimSpace(content), `"`))
	if markup.Get().MatchString(s) {
		return "", fmt.Errorf("%w: markup or link in lead", errInvalidReply)
	}
	sents := nlp.Sentences(s)
	s = limitWords(strings.Join(sents[:min(len(sents), maxLeadSentences)], " "), maxLeadWords, true)
	if s == "" {
		return "", fmt.Errorf("%w: empty lead", errInvalidReply)
	}
	return s, nil
}

func (o *OpenAI) cachedLead(ctx context.Context, key, version string) (string, bool) {
	o.leadMu.Lock()
	s, ok := o.leadCache[key]
	store := o.leadStore
	o.leadMu.Unlock()
	if ok || store == nil {
		return s, ok
	}
	sum, err := store.Summary(ctx, key, version)
	if err != nil {
		if !errors.Is(err, digest.ErrNotFound) {
			o.log.Warn("read cached digest lead", "error", err)
		}
		return "", false
	}
	o.leadMu.Lock()
	o.leadCache[key] = sum.Text
	o.leadMu.Unlock()
	return sum.Text, true
}

func (o *OpenAI) saveLead(ctx context.Context, key, version, lead string) {
	o.leadMu.Lock()
	if len(o.leadCache) >= 64 {
		clear(o.leadCache) // a day has one lead; keep the map small
	}
	o.leadCache[key] = lead
	store := o.leadStore
	o.leadMu.Unlock()
	if store == nil {
		return
	}
	err := store.SaveSummary(ctx, digest.Summary{ContentHash: key, Version: version, Backend: "openai-lead", Text: lead})
	if err != nil {
		o.log.Warn("cache digest lead", "error", err)
	}
}
