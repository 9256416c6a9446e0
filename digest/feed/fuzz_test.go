package feed

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Seed corpora live in testdata/fuzz/<FuzzName>; run a target with
// go test -fuzz=FuzzParseFeed -fuzztime=30s ./digest/feed/

func FuzzParseFeed(f *testing.F) {
	f.Add([]byte(`<rss version="2.0"><channel><title>t</title><item><title>a &amp; b</title><link>https://x.example/a</link></item></channel></rss>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fd, err := ParseFeed(data, "")
		if err != nil {
			return
		}
		for _, it := range fd.Items {
			if it == nil {
				continue
			}
			// Everything an item becomes must be safe to compute.
			_ = plainTitle(it.Title)
			txt := Clean(HTMLToText(it.Content + it.Description))
			if strings.Contains(txt, "\n\n\n") {
				t.Fatalf("text has an empty paragraph: %q", txt)
			}
		}
	})
}

func FuzzParseText(f *testing.F) {
	f.Add("Title\n\nBody.")
	f.Fuzz(func(t *testing.T, s string) {
		a := ParseText(s)
		checkArticleShape(t, a.Title, a.Text)
	})
}

func FuzzParseMarkdown(f *testing.F) {
	f.Add("---\ntitle: T\n---\n# H\n\n*b* [l](u)")
	f.Fuzz(func(t *testing.T, s string) {
		a := ParseMarkdown(s)
		checkArticleShape(t, a.Title, a.Text)
	})
}

func FuzzExtractHTML(f *testing.F) {
	f.Add([]byte(articleHTML))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := extractHTML(data, "", "")
		if err != nil {
			return
		}
		if strings.Contains(p.Text, "\n\n\n") {
			t.Fatalf("text has an empty paragraph: %q", p.Text)
		}
		if p.CanonicalURL != "" && !isHTTP(p.CanonicalURL) {
			t.Fatalf("canonical URL %q is not http(s)", p.CanonicalURL)
		}
	})
}

func FuzzClean(f *testing.F) {
	f.Add("News.\n\nSubscribe to our newsletter.\n\nMore news.")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		once := Clean(s)
		if twice := Clean(once); twice != once {
			t.Fatalf("Clean is not idempotent:\n%q\n%q", once, twice)
		}
		for _, line := range strings.Split(once, "\n") {
			if line != strings.TrimSpace(line) {
				t.Fatalf("untrimmed line %q", line)
			}
		}
	})
}

func FuzzCanonicalURL(f *testing.F) {
	f.Add("https://M.Example.com:443/amp/a?utm_source=x&b=2&a=1#f")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalURL(s)
		if err != nil {
			return
		}
		again, err := CanonicalURL(c)
		if err != nil || again != c {
			t.Fatalf("not a fixed point: %q -> %q -> %q (%v)", s, c, again, err)
		}
	})
}

func checkArticleShape(t *testing.T, title, text string) {
	t.Helper()
	if strings.ContainsAny(title, "\n\r") {
		t.Fatalf("title spans lines: %q", title)
	}
	if strings.Contains(text, "\n\n\n") {
		t.Fatalf("text has an empty paragraph: %q", text)
	}
	if text != strings.TrimSpace(text) {
		t.Fatalf("text not trimmed: %q", text)
	}
}

func FuzzHTMLToText(f *testing.F) {
	f.Add("<p>One &amp; two</p><div>three<br>four</div><script>x</script>")
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLToText(s)
		if strings.Contains(out, "\n\n\n") || out != strings.TrimSpace(out) {
			t.Fatalf("badly shaped text %q", out)
		}
		if title := plainTitle(s); strings.ContainsAny(title, "\n\r") {
			t.Fatalf("title spans lines: %q", title)
		}
		checkSimpleHTML(t, s) // the tokens read as the parsed document
		checkRawTagAtom(t, s)
	})
}
