package digest_test

import (
	"strings"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

func TestIdentityKey(t *testing.T) {
	body := strings.Repeat("Peru set a 12% anti-dumping duty on rice from Chile for five years. ", 3)
	base := digest.Article{SourceID: "f", URL: "https://a.example/1", Title: "Peru sets 12% duty on Chilean rice", Text: body}
	with := func(f func(a *digest.Article)) digest.Article {
		a := base
		f(&a)
		return a
	}
	key := digest.IdentityKey(base)
	if key == "" {
		t.Fatal("a long text has no identity key")
	}
	tests := []struct {
		name string
		a    digest.Article
		same bool
	}{
		{"another link and source", with(func(a *digest.Article) { a.URL, a.SourceID = "https://b.example/2", "g" }), true},
		{"spacing, punctuation and case", with(func(a *digest.Article) {
			a.Title = "PERU sets 12 % duty on Chilean rice!"
			a.Text = "  " + strings.ReplaceAll(body, " ", "  ") + "\n"
		}), true},
		{"another title", with(func(a *digest.Article) { a.Title = "Peru sets 12% duty on Japanese rice" }), false},
		{"another text", with(func(a *digest.Article) { a.Text = strings.ReplaceAll(body, "Chile", "Japan") }), false},
	}
	for _, tt := range tests {
		if got := digest.IdentityKey(tt.a) == key; got != tt.same {
			t.Errorf("%s: same identity = %v, want %v", tt.name, got, tt.same)
		}
	}
	// Placeholder bodies identify nothing when a link or GUID does.
	short := digest.Article{SourceID: "f", URL: "https://a.example/1", Title: "A", Text: "Something new here"}
	if k := digest.IdentityKey(short); k != "" {
		t.Errorf("short text with a link has identity key %q", k)
	}
	if k := digest.IdentityKey(digest.Article{SourceID: "f", GUID: "tag:1", Text: "Something new here"}); k != "" {
		t.Errorf("short text with a GUID has identity key %q", k)
	}
	// Without link or GUID, a short item is identified within its source.
	a := digest.Article{SourceID: "f", Title: "A", Text: "Something new here"}
	b := a
	b.SourceID = "g"
	if ka, kb := digest.IdentityKey(a), digest.IdentityKey(b); ka == "" || ka == kb {
		t.Errorf("keyless short items: %q in one source, %q in another", ka, kb)
	}
	if k := digest.IdentityKey(digest.Article{SourceID: "f"}); k != "" {
		t.Errorf("an empty article has identity key %q", k)
	}
}

// TestContentHash_Normalisation pins the normalisation that content hashes
// (and so cached summaries) depend on, ASCII fast path and Unicode alike.
func TestContentHash_Normalisation(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"Tariffs RISE, on steel!", "tariffs rise on steel"},
		{"  ÇELİK — 25%\n\nArtık", "çelik 25 artık"},
		{"Straße über-Zoll", "straße über zoll"},
		{"東京で関税", "東京で関税"},
	} {
		if digest.ContentHash(tt.a) != digest.ContentHash(tt.b) {
			t.Errorf("ContentHash(%q) != ContentHash(%q)", tt.a, tt.b)
		}
	}
	if digest.ContentHash("steel tariffs") == digest.ContentHash("steeltariffs") {
		t.Error("word boundaries are lost")
	}
	// Known values (computed before the ASCII fast path): a change here
	// would re-summarise every cached story.
	for in, want := range map[string]string{
		"Tariffs rise.":                    "d1d511c904ab45762d5ad2e44df7d43bd7c62e21a70bc0b586851774dceb6b3e",
		"  Çelik  TARİFESİ — 25%\n\nArtık": "7dc2e658a2d8e05c8768c6fd6caa3ab03c610df3f0ee0a6a4004d5f850e5c21c",
		"東京で関税":                            "a66ee15f760b6574805e36a909829b3f7f1e16f6bab79d792020ce18285c00c4",
	} {
		if got := digest.ContentHash(in); got != want {
			t.Errorf("ContentHash(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestIdentityKey_Pinned pins keys and content hashes as the build before
// IdentityKey and ContentHash normalised into a reused buffer computed
// them: the store finds articles by them, so they must not change.
func TestIdentityKey_Pinned(t *testing.T) {
	long := "Officials in Japan said on Tuesday that they were considering new duties on imports of steel after a surge in shipments over the past quarter, in story 3 of wire 7."
	for _, tt := range []struct {
		a          digest.Article
		key, chash string
	}{
		{digest.Article{Title: "Japan weighs new duties on steel imports", Text: long, URL: "http://x"},
			"c:985c16878cd9d4f5646a3212aa72158c01fef1ce42f5c523ae46fe582794b675", "598ae5598865f14d506e7d7bb4ffc8b2e065dc938a6129f2cad46e62c869ebef"},
		{digest.Article{Title: "  Ünïcode: TITLE ", Text: "Ça   va\n\nbien. " + long},
			"c:2fbf54d2197410e7cc82338e29869499edb23701a999986d28cbf2e0d921a59d", "9a118c24b798621f9177f1a8fcf0a9af3deda764b5964a200ad1def235408249"},
		{digest.Article{SourceID: "feed-1", Title: "Something new", Text: "Something new here"},
			"s:5bad9ebbae12acd11bf16d162e9260f9d3e170b9e26e1ab528d90d7392e6dbfd", "2aa78c42569590a41f23eafb97622d173b0d346f82ac6f171359fe15e3768132"},
		{digest.Article{SourceID: "feed-1", Title: "Only a title"},
			"s:b87044dda137fdc08237ca172c4cbb8b418117fc672ee031a79b2e6aaf9e4cd8", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	} {
		if got := digest.IdentityKey(tt.a); got != tt.key {
			t.Errorf("IdentityKey(%q, %q) = %q, want %q", tt.a.Title, tt.a.Text, got, tt.key)
		}
		if got := digest.ContentHash(tt.a.Text); got != tt.chash {
			t.Errorf("ContentHash(%q) = %q, want %q", tt.a.Text, got, tt.chash)
		}
	}
}
