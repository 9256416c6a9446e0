package feed

import (
	"fmt"
	"strings"

	"github.com/andybalholm/cascadia"
	xhtml "golang.org/x/net/html"
)

// CompileSelector checks a CSS selector for the article body (a per-source
// setting, as Miniflux's scraper rules): a group of selectors separated by
// commas, without pseudo-elements.
func CompileSelector(sel string) (cascadia.SelectorGroup, error) {
	g, err := cascadia.ParseGroup(sel)
	if err != nil {
		return nil, fmt.Errorf("selector %q: %w", sel, err)
	}
	return g, nil
}

// selectText returns the clean text of the elements of body that match
// sel, in document order, an element inside another match counted once;
// "" when nothing matches or the selector does not compile.
func selectText(body []byte, contentType, sel string) string {
	g, err := CompileSelector(sel)
	if err != nil {
		return ""
	}
	doc, err := xhtml.Parse(decodeHTML(body, contentType))
	if err != nil {
		return ""
	}
	var parts []string
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && g.Match(n) {
			if t := nodeText(n); t != "" {
				parts = append(parts, t)
			}
			return // its descendants are in its text already
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return Clean(strings.Join(parts, "\n\n"))
}
