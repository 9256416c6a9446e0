package digest

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// SourceSettings are what a curator sets for one source, in the config file
// or in the store (digest sources add/set). The zero value means the
// defaults everywhere.
type SourceSettings struct {
	// Kind says what the address is when it cannot tell: "opml" for a
	// subscription list served at a URL that does not end in .opml. Empty:
	// from the address (a URL is a feed, a file by its extension).
	Kind string `json:"kind,omitempty"`
	// Name replaces the outlet's display name.
	Name string `json:"name,omitempty"`
	// Weight multiplies the ranking score of the source's stories (1 when
	// 0).
	Weight float64 `json:"weight,omitempty"`
	// FullText: "on" (always) fetches every item's page for its main
	// text, "off" (never) never does, "auto" only when the item's own text
	// is short; "" takes gather.full_text.
	FullText string `json:"full_text,omitempty"`
	// Include keeps only items whose title or text mentions one of these
	// words or phrases (case-insensitive); empty keeps all.
	Include []string `json:"include,omitempty"`
	// Exclude drops items whose title or text mentions one of these.
	Exclude []string `json:"exclude,omitempty"`
	// Selector is a CSS selector for the article body on its page, for
	// sites where automatic extraction needs help.
	Selector string `json:"selector,omitempty"`
}

// Source kinds and full-text modes.
const (
	SourceKindOPML = "opml"
	SourceKindFeed = "feed"
	FullTextOn     = "on"
	FullTextOff    = "off"
	FullTextAuto   = "auto"
)

// Limits of source settings.
const (
	maxSettingName = 200
	maxKeywords    = 50
	maxKeywordLen  = 100
	maxSelectorLen = 500
	// MaxSourceWeight bounds SourceSettings.Weight.
	MaxSourceWeight = 100
)

func settingErr(format string, args ...any) error {
	return fmt.Errorf("source settings: "+format, args...)
}

// Normalise trims the settings and checks them; the error names the field.
func (s *SourceSettings) Normalise() error {
	s.Kind = strings.ToLower(strings.TrimSpace(s.Kind))
	switch s.Kind {
	case "", SourceKindOPML, SourceKindFeed:
	default:
		return settingErr("kind %q: want opml or feed", s.Kind)
	}
	s.Name = strings.Join(strings.Fields(s.Name), " ")
	if utf8.RuneCountInString(s.Name) > maxSettingName || strings.ContainsFunc(s.Name, isControl) {
		return settingErr("name: at most %d characters, no control characters", maxSettingName)
	}
	if math.IsNaN(s.Weight) || s.Weight < 0 || s.Weight > MaxSourceWeight {
		return settingErr("weight %v: want a number above 0 and at most %d (1 is neutral)", s.Weight, MaxSourceWeight)
	}
	ft, err := NormaliseFullText(s.FullText)
	if err != nil {
		return settingErr("%v", err)
	}
	s.FullText = ft
	if s.Include, err = keywords("include", s.Include); err != nil {
		return err
	}
	if s.Exclude, err = keywords("exclude", s.Exclude); err != nil {
		return err
	}
	s.Selector = strings.TrimSpace(s.Selector)
	if len(s.Selector) > maxSelectorLen || strings.ContainsFunc(s.Selector, isControl) {
		return settingErr("selector: at most %d characters, no control characters", maxSelectorLen)
	}
	return nil
}

// IsZero reports whether no setting is set.
func (s SourceSettings) IsZero() bool {
	return s.Kind == "" && s.Name == "" && s.Weight == 0 && s.FullText == "" && len(s.Include) == 0 &&
		len(s.Exclude) == 0 && s.Selector == ""
}

// Merge returns s with every unset field taken from base.
func (s SourceSettings) Merge(base SourceSettings) SourceSettings {
	if s.Kind == "" {
		s.Kind = base.Kind
	}
	if s.Name == "" {
		s.Name = base.Name
	}
	if s.Weight == 0 {
		s.Weight = base.Weight
	}
	if s.FullText == "" {
		s.FullText = base.FullText
	}
	if len(s.Include) == 0 {
		s.Include = base.Include
	}
	if len(s.Exclude) == 0 {
		s.Exclude = base.Exclude
	}
	if s.Selector == "" {
		s.Selector = base.Selector
	}
	return s
}

// keywords trims, de-duplicates and bounds a keyword list.
func keywords(field string, in []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, k := range in {
		k = strings.Join(strings.Fields(k), " ")
		if k == "" || seen[strings.ToLower(k)] {
			continue
		}
		if utf8.RuneCountInString(k) > maxKeywordLen || strings.ContainsFunc(k, isControl) {
			return nil, settingErr("%s %q: at most %d characters, no control characters", field, k, maxKeywordLen)
		}
		seen[strings.ToLower(k)] = true
		out = append(out, k)
	}
	if len(out) > maxKeywords {
		return nil, settingErr("%s: at most %d keywords", field, maxKeywords)
	}
	return out, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// NormaliseFullText reads a full-text mode: always (on, true), never (off,
// false), auto, or "" (unset); it returns FullTextOn, FullTextOff,
// FullTextAuto or "".
func NormaliseFullText(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return "", nil
	case FullTextAuto:
		return FullTextAuto, nil
	case FullTextOn, "always", "true", "yes", "1":
		return FullTextOn, nil
	case FullTextOff, "never", "false", "no", "0":
		return FullTextOff, nil
	}
	return "", fmt.Errorf("full_text %q: want auto, always or never", v)
}
