package whatlanggo

import "testing"

// TestIndexDistances checks that countRunes finds the trigrams count
// finds, and that the index gives every language of every script the
// distance and trigram count that calculateDistance gives, on texts in
// several languages and scripts, short and malformed ones.
func TestIndexDistances(t *testing.T) {
	texts := []string{
		"The trade ministry will publish a consultation next month, and industry groups have asked for safeguard measures.",
		"Le ministère du commerce publiera une consultation le mois prochain; les industriels demandent des mesures de sauvegarde.",
		"Das Handelsministerium wird im nächsten Monat eine Konsultation veröffentlichen, die Industrie fordert Schutzmaßnahmen.",
		"El ministerio de comercio publicará una consulta el próximo mes y la industria pide medidas de salvaguardia.",
		"Министерство торговли опубликует консультацию в следующем месяце, промышленность просит защитных мер.",
		"ستنشر وزارة التجارة مشاورة الشهر المقبل وطلبت مجموعات الصناعة تدابير وقائية",
		"व्यापार मंत्रालय अगले महीने परामर्श प्रकाशित करेगा और उद्योग समूहों ने सुरक्षा उपायों की मांग की है",
		"משרד הסחר יפרסם התייעצות בחודש הבא וקבוצות התעשייה ביקשו אמצעי הגנה",
		"የንግድ ሚኒስቴር በሚቀጥለው ወር ምክክር ያትማል",
		"", "a", "  x  y ", "Bad \xff utf-8 \xe2\x82 bytes, 12.5% more",
		"Tokyo の東京都 Shibuya 区で trade fair", "Mixed Ελληνικά and English words, mostly English words here",
		"Ελληνικά κείμενα με λίγα Latin", "中文 text 中文 中文", "ab Жж ab Жж Жж",
	}
	indexes := map[string]func() *profileIndex{"latin": latinLangsIndex, "cyrillic": cyrillicLangsIndex,
		"devanagari": devanagariLangsIndex, "hebrew": hebrewLangsIndex, "ethiopic": ethiopicLangsIndex, "arabic": arabicLangsIndex}
	found := 0
	for name, index := range indexes {
		x := index()
		for _, text := range texts {
			w := count(text)
			rw := countRunes(text)
			if len(rw) != len(w) {
				t.Fatalf("%.30q: %d trigrams, count gives %d", text, len(rw), len(w))
			}
			for k, n := range rw {
				if w[k.String()] != n {
					t.Fatalf("%.30q: %q %d times, count gives %d", text, k.String(), n, w[k.String()])
				}
			}
			if got, want := detectScript(text), DetectScript(text); got != want {
				t.Fatalf("%.30q: detectScript %v, DetectScript %v", text, Scripts[got], Scripts[want])
			}
			dist, hits := x.distances(rw)
			for lang, trigrams := range x.list {
				d, n := calculateDistance(trigrams, w)
				if dist[x.slot[lang]] != d || hits[x.slot[lang]] != n {
					t.Fatalf("%s, %s, %.30q: index %d/%d, calculateDistance %d/%d", name, lang, text,
						dist[x.slot[lang]], hits[x.slot[lang]], d, n)
				}
				found += n
			}
		}
	}
	if found == 0 {
		t.Fatal("no trigram found in any profile")
	}
}
