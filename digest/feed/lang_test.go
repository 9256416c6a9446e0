package feed

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/RadhiFadlillah/whatlanggo"
	"github.com/tradedigest/tradedigest/digest"
	xhtml "golang.org/x/net/html"
)

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name, text, declared, want string
	}{
		{"english", "The European Union agreed on Tuesday to raise duties on steel imports from three countries, officials said.", "", "en"},
		{"german", "Die Europäische Union hat am Dienstag beschlossen, die Zölle auf Stahlimporte aus drei Ländern zu erhöhen.", "", "de"},
		{"french", "L'Union européenne a décidé mardi de relever les droits de douane sur les importations d'acier de trois pays.", "", "fr"},
		{"spanish", "La Unión Europea acordó el martes elevar los aranceles a las importaciones de acero de tres países.", "", "es"},
		{"chinese", "欧盟周二同意提高对来自三个国家的钢铁进口的关税，官员们表示。", "", "zh"},
		{"declared agrees", "Die Europäische Union hat am Dienstag beschlossen, die Zölle auf Stahlimporte zu erhöhen.", "de-DE", "de"},
		{"text outweighs a wrong declaration", "Die Europäische Union hat am Dienstag beschlossen, die Zölle auf Stahlimporte aus drei Ländern zu erhöhen, und die Industrie begrüßte den Schritt.", "en", "de"},
		{"too short: the declaration", "Zölle steigen", "de_AT", "de"},
		{"too short, nothing declared", "Zölle", "", ""},
		{"empty", "", "", ""},
		{"a bad declaration is ignored", "", "deutsch", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := detectLanguage(tt.text, tt.declared); got != tt.want {
				t.Errorf("detectLanguage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeclaredLanguage(t *testing.T) {
	tests := []struct{ html, want string }{
		{`<html lang="de-DE"><head><title>x</title></head><body></body></html>`, "de"},
		{`<html><head><meta http-equiv="Content-Language" content="fr"></head><body></body></html>`, "fr"},
		{`<html><head><meta property="og:locale" content="es_ES"></head><body></body></html>`, "es"},
		{`<html><head></head><body><p lang="de">Hallo</p></body></html>`, ""},
	}
	for _, tt := range tests {
		doc, err := xhtml.Parse(strings.NewReader(tt.html))
		if err != nil {
			t.Fatal(err)
		}
		if got := declaredLanguage(doc); got != tt.want {
			t.Errorf("declaredLanguage(%s) = %q, want %q", tt.html, got, tt.want)
		}
	}
}

// TestLanguage_EverySource: feed items, local files and extracted pages
// all carry the language of their text.
func TestLanguage_EverySource(t *testing.T) {
	german := "Die Bundesregierung hat neue Exportkontrollen für Halbleiter beschlossen. Betroffen sind vor allem Maschinen zur Chipfertigung, teilte das Wirtschaftsministerium am Mittwoch in Berlin mit."
	dir := t.TempDir()
	rss := `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><language>en-us</language>
<item><title>Exportkontrollen verschärft</title><link>https://example.com/a</link><description>` + german + `</description></item>
<item><title>Duties rise</title><link>https://example.com/b</link><description>The European Union raised duties on steel imports from three countries on Tuesday, officials said.</description></item>
</channel></rss>`
	files := map[string]string{
		"feed.xml":    rss,
		"article.txt": "Exportkontrollen verschärft\n\n" + german,
		"article.md":  "---\ntitle: Exportkontrollen\nlang: de\n---\n\n" + german,
		"page.html":   `<html lang="de"><head><title>Exportkontrollen verschärft</title></head><body><article><h1>Exportkontrollen verschärft</h1><p>` + german + `</p><p>` + german + `</p></article></body></html>`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := NewFeed(filepath.Join(dir, "feed.xml"), Options{ShortText: -1}).Fetch(context.Background(), digest.SourceState{})
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string]string{}
	for _, a := range res.Articles {
		langs[a.Title] = a.Language
	}
	if langs["Exportkontrollen verschärft"] != "de" || langs["Duties rise"] != "en" {
		t.Errorf("feed item languages %v, want the German item de despite the feed's en-us", langs)
	}
	for _, name := range []string{"article.txt", "article.md", "page.html"} {
		p, err := Extract(context.Background(), filepath.Join(dir, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Language != "de" {
			t.Errorf("%s: Language %q, want de", name, p.Language)
		}
	}
}

// BenchmarkDetectLanguage detects the language of a wire text of the
// feed farm's length, as gathering does for every article
// (go test -run - -bench DetectLanguage ./digest/feed).
func BenchmarkDetectLanguage(b *testing.B) {
	text := "Japan weighs new duties on steel imports\n\nOfficials in Japan said on Monday that they were considering new duties on imports of steel after a surge in shipments over the past quarter. " +
		"The trade ministry will publish a consultation next month. Industry groups have asked for safeguard measures, while importers warned that higher tariffs on steel would raise costs for manufacturers and consumers alike. " +
		"Analysts said the move could prompt retaliation from trading partners and complicate talks on a wider agreement."
	for b.Loop() {
		if got := detectLanguage(text, "en"); got != "en" {
			b.Fatalf("detected %q", got)
		}
	}
}

// TestISO6391: the codes read from langCodes are whatlanggo's, for every
// language it names and for one it does not.
func TestISO6391(t *testing.T) {
	for l := range whatlanggo.Langs {
		if got, want := iso6391(l), l.Iso6391(); got != want {
			t.Errorf("iso6391(%v) = %q, want %q", l, got, want)
		}
	}
	if got := iso6391(whatlanggo.Lang(-1)); got != "" {
		t.Errorf("iso6391(-1) = %q, want none", got)
	}
}

// TestDetectTitledLanguage: detectTitledLanguage gives what detectLanguage
// gives on the title and the whole text joined, for texts of one- to
// four-byte runes, words and spaces around the langSample+1 runes that
// langPrefix looks at.
func TestDetectTitledLanguage(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 2))
	mixed := []string{"a", "word", " ", ". ", "é", "Straße", "日本", "😀", "\n\n", "дом", "x"}
	wide := []string{"𝔸𝔹", "𝔸", " ", "😀"} // four bytes a rune
	for i := range 3000 {
		pieces := mixed
		if i%2 == 0 {
			pieces = wide
		}
		var title, text strings.Builder
		for range r.IntN(4) * r.IntN(3) {
			title.WriteString(pieces[r.IntN(len(pieces))])
		}
		for text.Len() < utf8.UTFMax*(langSample+1)-200+r.IntN(400) {
			text.WriteString(pieces[r.IntN(len(pieces))])
		}
		joined := title.String() + "\n\n" + text.String()
		if a, b := titledSample(title.String(), text.String()), langPrefix(joined, langSample); a != b {
			t.Fatalf("titledSample %q, langPrefix of the whole %q", a, b)
		}
		if a, b := detectTitledLanguage(title.String(), text.String(), "de"), detectLanguage(joined, "de"); a != b {
			t.Fatalf("detectTitledLanguage %q, detectLanguage %q on %q", a, b, joined)
		}
	}
}
