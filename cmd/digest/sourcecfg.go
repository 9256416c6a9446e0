package main

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tradedigest/tradedigest/digest"
)

// SourceConfig is one entry of the config file's sources: a plain string
// (the address), or a mapping with the address under url and the source's
// settings beside it:
//
//	sources:
//	  - examples/articles
//	  - url: https://news.example.com/trade.xml
//	    name: Example Trade Wire
//	    weight: 1.5
//	    full_text: on
//	    include: [tariff, quota]
//	    exclude: [football]
//	    selector: article .story-body
type SourceConfig struct {
	URL      string
	Settings digest.SourceSettings
}

// sourceKeys are the keys of a source mapping, for error messages.
const sourceKeys = "url, kind, name, weight, full_text, include, exclude, selector"

// UnmarshalYAML reads a string or a mapping; unknown keys are errors
// naming the key and line.
func (s *SourceConfig) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		s.URL = strings.TrimSpace(n.Value)
		return nil
	case yaml.MappingNode:
	default:
		return fmt.Errorf("line %d: a source is an address or a mapping with url and settings (%s)", n.Line, sourceKeys)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "url", "path":
			err = v.Decode(&s.URL)
		case "kind":
			err = v.Decode(&s.Settings.Kind)
		case "name":
			err = v.Decode(&s.Settings.Name)
		case "weight":
			err = v.Decode(&s.Settings.Weight)
		case "full_text":
			// true/false or on/off (YAML 1.2 reads on/off as strings).
			var b bool
			if v.Decode(&b) == nil && v.Tag == "!!bool" {
				s.Settings.FullText = map[bool]string{true: digest.FullTextOn, false: digest.FullTextOff}[b]
			} else {
				err = v.Decode(&s.Settings.FullText)
			}
		case "include":
			s.Settings.Include, err = stringOrList(v)
		case "exclude":
			s.Settings.Exclude, err = stringOrList(v)
		case "selector":
			err = v.Decode(&s.Settings.Selector)
		default:
			return fmt.Errorf("line %d: unknown source key %q (known: %s)", k.Line, k.Value, sourceKeys)
		}
		if err != nil {
			return fmt.Errorf("line %d: source %s: %v", v.Line, k.Value, err)
		}
	}
	s.URL = strings.TrimSpace(s.URL)
	if s.URL == "" {
		return fmt.Errorf("line %d: a source mapping needs url", n.Line)
	}
	if err := s.Settings.Normalise(); err != nil {
		return fmt.Errorf("line %d: source %s: %v", n.Line, s.URL, err)
	}
	return nil
}

// UnmarshalText reads one address, as DIGEST_SOURCES lists them.
func (s *SourceConfig) UnmarshalText(b []byte) error {
	s.URL = strings.TrimSpace(string(b))
	return nil
}

func stringOrList(v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		return []string{v.Value}, nil
	}
	var list []string
	err := v.Decode(&list)
	return list, err
}

// sourceAddresses returns the addresses of the configured sources.
func (c *Config) sourceAddresses() []string {
	out := make([]string, 0, len(c.Sources))
	for _, s := range c.Sources {
		out = append(out, s.URL)
	}
	return out
}
