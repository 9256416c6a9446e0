package feed

import "testing"

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"http://example.com:8080/a", "http://example.com:8080/a"},
		{"https://example.com/a#comments", "https://example.com/a"},
		{"https://example.com", "https://example.com/"},
		{"https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://example.com/a"},
		{"https://example.com/a?id=7&fbclid=abc&gclid=def&dclid=1&msclkid=2", "https://example.com/a?id=7"},
		{"https://example.com/a?mc_cid=1&mc_eid=2&igshid=3&yclid=4&_hsenc=5&_hsmi=6", "https://example.com/a"},
		{"https://example.com/a?ref=twitter&ref_src=twsrc&cmpid=rss&ocid=msn", "https://example.com/a"},
		{"https://example.com/a?UTM_Source=x&page=2", "https://example.com/a?page=2"},
		{"https://example.com/a?b=2&a=1&c=3", "https://example.com/a?a=1&b=2&c=3"},
		{"https://example.com/a?b=2&a=1&b=1", "https://example.com/a?a=1&b=1&b=2"},
		{"https://example.com/a?", "https://example.com/a"},
		// AMP variants.
		{"https://example.com/amp/news/story", "https://example.com/news/story"},
		{"https://example.com/news/story/amp", "https://example.com/news/story"},
		{"https://example.com/news/story/amp/", "https://example.com/news/story/"},
		{"https://example.com/news/story.amp.html", "https://example.com/news/story.html"},
		{"https://example.com/news/story?amp=1", "https://example.com/news/story"},
		{"https://example.com/news/story?amp", "https://example.com/news/story"},
		{"https://example.com/news/story?outputType=amp", "https://example.com/news/story"},
		{"https://example.com/news/story?outputType=print", "https://example.com/news/story?outputType=print"},
		{"https://amp.example.com/news/story", "https://example.com/news/story"},
		{"https://www.example.com/news/ampere-batteries", "https://www.example.com/news/ampere-batteries"},
		// Mobile hosts.
		{"https://m.example.com/news/story", "https://example.com/news/story"},
		{"https://mobile.example.co.uk/news", "https://example.co.uk/news"},
		{"https://m.co/x", "https://m.co/x"},
		{"https://www.m.example.com/x", "https://www.example.com/x"},
		// Odd but valid.
		{"  https://example.com/a b  ", "https://example.com/a%20b"},
		{"https://user:pw@example.com/a", "https://example.com/a"},
		{"https://example.com./a", "https://example.com/a"},
		{"http://[2001:db8::1]:80/a", "http://[2001:db8::1]/a"},
		{"https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"},
	}
	for _, tt := range tests {
		got, err := CanonicalURL(tt.in)
		if err != nil {
			t.Errorf("CanonicalURL(%q) error %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Canonical form is a fixed point.
		if again, err := CanonicalURL(got); err != nil || again != got {
			t.Errorf("CanonicalURL(%q) = %q, not a fixed point (%v)", got, again, err)
		}
	}
}

func TestCanonicalURL_Rejects(t *testing.T) {
	for _, in := range []string{"", "ftp://example.com/a", "javascript:alert(1)", "mailto:a@b.c", "file:///etc/passwd", "https://", "/relative/path", "http://%zz"} {
		if got, err := CanonicalURL(in); err == nil {
			t.Errorf("CanonicalURL(%q) = %q, want an error", in, got)
		}
	}
}

func TestCanonicalURL_SameArticle(t *testing.T) {
	variants := []string{
		"https://www.example.com/2026/trade/tariffs-rise?utm_source=rss",
		"https://WWW.EXAMPLE.COM:443/2026/trade/tariffs-rise#top",
		"https://www.example.com/2026/trade/tariffs-rise/amp",
		"https://www.example.com/amp/2026/trade/tariffs-rise?fbclid=XYZ",
		"https://www.example.com/2026/trade/tariffs-rise?outputType=amp&gclid=1",
	}
	first, _ := CanonicalURL(variants[0])
	for _, v := range variants[1:] {
		if got, _ := CanonicalURL(v); got != first {
			t.Errorf("CanonicalURL(%q) = %q, want %q", v, got, first)
		}
	}
}
