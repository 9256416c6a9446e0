package templates

import (
	"fmt"
	"strings"

	"github.com/tradedigest/tradedigest/internal/lazyre"
)

var (
	cssComment = lazyre.New(`(?s)/\*.*?\*/`)
	className  = lazyre.New(`^\.[A-Za-z][A-Za-z0-9_-]*$`)
	classAttr  = lazyre.New(`\sclass="([^"]*)"`)
)

// parseStyles reads a style sheet of class rules (".name { decl; decl }")
// into a map from class name to its declarations. Anything a plain inliner
// cannot honour (element selectors, @media, nesting) is an error, so a style
// never silently goes missing.
func parseStyles(file, src string) (map[string]string, error) {
	styles := map[string]string{}
	rest := cssComment.Get().ReplaceAllString(src, "")
	for {
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return styles, nil
		}
		open := strings.IndexByte(rest, '{')
		end := strings.IndexByte(rest, '}')
		if open < 0 || end < open {
			return nil, fmt.Errorf("%s: expected \".class { ... }\" near %q", file, snippet(rest))
		}
		selectors, body := rest[:open], rest[open+1:end]
		rest = rest[end+1:]
		if strings.ContainsAny(body, "{\"<>") {
			return nil, fmt.Errorf("%s: rule %q: declarations may not contain { \" < >", file, snippet(selectors))
		}
		var decls []string
		for d := range strings.SplitSeq(body, ";") {
			if d = strings.Join(strings.Fields(d), " "); d != "" {
				decls = append(decls, d)
			}
		}
		for sel := range strings.SplitSeq(selectors, ",") {
			sel = strings.TrimSpace(sel)
			if !className.Get().MatchString(sel) {
				return nil, fmt.Errorf("%s: selector %q is not a plain class (only .name rules can be inlined)", file, snippet(sel))
			}
			name := sel[1:]
			styles[name] = joinDecls(styles[name], strings.Join(decls, "; "))
		}
	}
}

func joinDecls(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// inlineClasses replaces every static class attribute of an HTML template
// with the style attribute its classes stand for. It runs once, before the
// template is parsed, so messages carry inline CSS at no cost per message.
// Class attributes built by template actions are left alone. An unknown
// class is an error naming the template file and line.
func inlineClasses(file, src string, styles map[string]string) (string, error) {
	var firstErr error
	out := classAttr.Get().ReplaceAllStringFunc(src, func(m string) string {
		value := classAttr.Get().FindStringSubmatch(m)[1]
		if strings.Contains(value, "{{") {
			return m
		}
		var style string
		for c := range strings.FieldsSeq(value) {
			decls, ok := styles[c]
			if !ok {
				if firstErr == nil {
					line := 1 + strings.Count(src[:strings.Index(src, m)], "\n")
					firstErr = fmt.Errorf("%s:%d: class %q is not defined in %s", file, line, c, stylesFile)
				}
				return m
			}
			style = joinDecls(style, decls)
		}
		return m[:1] + `style="` + style + `"`
	})
	if firstErr != nil {
		return "", firstErr
	}
	return out, nil
}

func snippet(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
