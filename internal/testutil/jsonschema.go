package testutil

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"testing"
	"time"
)

// CheckJSONSchema fails the test when data does not follow the JSON Schema
// in the file at schemaPath. It understands the subset the project's
// documented schemas use: type (one name or a list), properties, required,
// additionalProperties false, items, enum, minimum, maximum, pattern,
// format date-time and $ref to #/$defs/NAME. Every property a document
// carries must be described, so a field added in code but not in the
// documentation fails too.
func CheckJSONSchema(tb testing.TB, schemaPath string, data []byte) {
	tb.Helper()
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		tb.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		tb.Fatalf("schema %s: %v", schemaPath, err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("document: %v", err)
	}
	for _, p := range (&schemaChecker{root: schema}).check(schema, doc, "$") {
		tb.Error(p)
	}
}

type schemaChecker struct{ root map[string]any }

func (c *schemaChecker) check(s map[string]any, v any, at string) []string {
	if ref, ok := s["$ref"].(string); ok {
		var name string
		if _, err := fmt.Sscanf(ref, "#/$defs/%s", &name); err != nil {
			return []string{fmt.Sprintf("%s: unsupported $ref %q", at, ref)}
		}
		defs, _ := c.root["$defs"].(map[string]any)
		def, ok := defs[name].(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: $ref %q names no definition", at, ref)}
		}
		return c.check(def, v, at)
	}
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, at+": "+fmt.Sprintf(format, args...)) }
	if t, ok := s["type"]; ok && !typeMatches(t, v) {
		bad("%v is not of type %v", short(v), t)
		return probs
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			bad("%v is not one of %v", short(v), enum)
		}
	}
	if n, ok := v.(float64); ok {
		if m, ok := s["minimum"].(float64); ok && n < m {
			bad("%v is below the minimum %v", n, m)
		}
		if m, ok := s["maximum"].(float64); ok && n > m {
			bad("%v is above the maximum %v", n, m)
		}
	}
	if str, ok := v.(string); ok {
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			bad("%q does not match %s", str, p)
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				bad("%q is not an RFC 3339 date-time", str)
			}
		}
	}
	switch val := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := val[r.(string)]; !ok {
					bad("required property %q is missing", r)
				}
			}
		}
		keys := make([]string, 0, len(val))
		for k := range val {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if ap, ok := s["additionalProperties"].(map[string]any); ok {
					probs = append(probs, c.check(ap, val[k], at+"."+k)...)
					continue
				}
				bad("property %q is not in the schema", k)
				continue
			}
			probs = append(probs, c.check(ps, val[k], at+"."+k)...)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range val {
				probs = append(probs, c.check(items, it, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return probs
}

func typeMatches(t, v any) bool {
	if list, ok := t.([]any); ok {
		for _, one := range list {
			if typeMatches(one, v) {
				return true
			}
		}
		return false
	}
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == float64(int64(n))
	}
	return false
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}
