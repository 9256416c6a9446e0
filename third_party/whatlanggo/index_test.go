package whatlanggo

import "testing"

// TestIndexDistances checks that countRunes finds the trigrams count
// finds, and that the index gives every language of every script the
// distance and trigram count that calculateDistance gives, on texts in
// several languages and scripts, short and malformed ones; so do the
// index's table (lookup) and the counts made in a table used before
// (countTable).
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
	var dirty []trigramCount
	for name, index := range indexes {
		x := index()
		for k, r := range x.ranks {
			if got := x.lookup(k); len(got) != len(r) || &got[0] != &r[0] {
				t.Fatalf("%s: lookup(%q) is not ranks[%q]", name, k.String(), k.String())
			}
		}
		if x.lookup(pack('\x00', '\x00', '\x00')) != nil || x.lookup(pack('q', 'q', 'q')) != nil {
			t.Fatalf("%s: lookup finds a trigram no profile has", name)
		}
		for _, text := range texts {
			w := count(text)
			rw := countRunes(text)
			if len(rw) != len(w) {
				t.Fatalf("%.30q: %d trigrams, count gives %d", text, len(rw), len(w))
			}
			seen := map[packedTrigram]bool{}
			for _, c := range rw {
				if w[c.t.String()] != c.n {
					t.Fatalf("%.30q: %q %d times, count gives %d", text, c.t.String(), c.n, w[c.t.String()])
				}
				if seen[c.t] {
					t.Fatalf("%.30q: %q twice", text, c.t.String())
				}
				seen[c.t] = true
			}
			if got, want := detectScript(text), DetectScript(text); got != want {
				t.Fatalf("%.30q: detectScript %v, DetectScript %v", text, Scripts[got], Scripts[want])
			}
			dist, hits := x.distances(rw)
			// The table of counts as detection reads it: made in a
			// table another text was counted in.
			dirty = countTable(text, dirty)
			if d2, h2 := x.distances(dirty); !equalInts(d2, dist) || !equalInts(h2, hits) {
				t.Fatalf("%s, %.30q: distances from the table %v/%v, from the counts %v/%v", name, text, d2, h2, dist, hits)
			}
			dirty = countTable(texts[0], dirty)
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

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDetectLangInIndex checks that detectLangInIndex returns the language
// and confidence that detectLangInProfiles returns, on every text above
// and on windows of all of them joined, with and without a whitelist.
// Where two languages tie for the greatest distance, both pick the first
// in the profile map's order, which differs between two walks of the map:
// there either tied language will do.
func TestDetectLangInIndex(t *testing.T) {
	texts := []string{
		"The trade ministry will publish a consultation next month, and industry groups have asked for safeguard measures.",
		"Le ministère du commerce publiera une consultation le mois prochain; les industriels demandent des mesures de sauvegarde.",
		"Das Handelsministerium wird im nächsten Monat eine Konsultation veröffentlichen, die Industrie fordert Schutzmaßnahmen.",
		"El ministerio de comercio publicará una consulta el próximo mes y la industria pide medidas de salvaguardia.",
		"O ministério do comércio publicará uma consulta no próximo mês e a indústria pede medidas de salvaguarda.",
		"Министерство торговли опубликует консультацию в следующем месяце, промышленность просит защитных мер.",
		"ستنشر وزارة التجارة مشاورة الشهر المقبل وطلبت مجموعات الصناعة تدابير وقائية",
		"", "a", "  x  y ", "Bad \xff utf-8 \xe2\x82 bytes, 12.5% more", "nul \x00\x00\x00 runes",
	}
	joined := ""
	for _, s := range texts {
		joined += s + " "
	}
	for n := 1; n < len(joined); n += 7 {
		from, to := n-90, n+600
		if from < 0 {
			from = 0
		}
		if to > len(joined) {
			to = len(joined)
		}
		texts = append(texts, joined[from:n], joined[n:to])
	}
	indexes := []*profileIndex{latinLangsIndex(), cyrillicLangsIndex(), arabicLangsIndex()}
	options := []Options{{}, {Whitelist: map[Lang]bool{Eng: true, Fra: true, Rus: true}}, {Whitelist: map[Lang]bool{Deu: true}}}
	checked := 0
	for _, x := range indexes {
		for _, o := range options {
			for _, text := range texts {
				lang, conf := detectLangInIndex(text, o, x)
				want, wantConf := detectLangInProfiles(text, o, x.list)
				if lang == want && conf == wantConf {
					checked++
					continue
				}
				// A tie: lang must have want's distance.
				w := count(text)
				d1, _ := calculateDistance(x.list[lang], w)
				d2, _ := calculateDistance(x.list[want], w)
				if lang < 0 || want < 0 || d1 != d2 {
					t.Fatalf("%.40q: %v (%v), detectLangInProfiles %v (%v)", text, lang, conf, want, wantConf)
				}
			}
		}
	}
	if checked < len(texts) {
		t.Fatalf("only %d of %d detections compared exactly", checked, len(texts)*len(indexes)*len(options))
	}
}
