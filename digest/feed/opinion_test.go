package feed

import (
	"bytes"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

func TestSecondOpinion(t *testing.T) {
	page := shell(`<title>Rice quotas tighten</title>`, `<main><article><h1>Rice quotas tighten</h1>`+paras("rice quotas", 8)+`</article>
<div class="x"><a href="/1">Copper prices slide as demand cools in China</a><br><a href="/2">Port strike enters its second week in Antwerp</a><br><a href="/3">Shipping rates fall for a third month running</a></div></main>`)
	doc, err := xhtml.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	teasers := "Copper prices slide as demand cools in China\n\nPort strike enters its second week in Antwerp\n\nShipping rates fall for a third month running"
	for name, first := range map[string]string{
		"link-dense": teasers,
		"too short":  "Rice quotas tighten from next month.",
	} {
		got := secondOpinion(first, doc, func() string { return newReadability(doc, nil).cleaned(Clean) })
		if !strings.Contains(got, para("rice quotas", 8)) || strings.Contains(got, "Copper prices") {
			t.Errorf("%s: second opinion not taken:\n%s", name, got)
		}
	}
	good := strings.Join([]string{para("rice quotas", 1), para("rice quotas", 2), para("rice quotas", 3)}, "\n\n")
	if got := secondOpinion(good, doc, func() string { t.Fatal("a sound result needs no second opinion"); return "" }); got != good {
		t.Errorf("a sound result was replaced:\n%s", got)
	}
}
