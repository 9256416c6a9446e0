package summarize

import (
	"strings"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// The English and German machinery of compress reads the words of those
// languages; a text in French, Spanish, Italian, Portuguese or Dutch gets
// the same cuts from these tables, by the language the caller detected
// (HeadlineIn): phrase boundaries to cut at and trailing attributions to
// drop. A text whose language is not known ("") gets none of them.

// langPrepositions open a phrase a headline may be cut before, by
// language; the words for "of" ("de", "di", "van") are left out, as a cut
// there leaves a noun without what it is of, and so is the Romance "a",
// which is also an article.
var langPrepositions = lazy.Value[map[string]map[string]bool]{Build: func() map[string]map[string]bool {
	return map[string]map[string]bool{
		"pt": setOf("em", "no", "na", "nos", "nas", "num", "numa", "com", "sem", "para", "por", "pelo", "pela", "pelos", "pelas",
			"ao", "aos", "à", "às", "após", "até", "desde", "durante", "contra", "entre", "sobre", "perante"),
		"es": setOf("en", "con", "sin", "para", "por", "sobre", "tras", "desde", "hasta", "durante", "contra", "entre", "hacia",
			"ante", "bajo", "al"),
		"fr": setOf("dans", "par", "pour", "sur", "sous", "avec", "sans", "chez", "entre", "vers", "en", "après", "avant",
			"depuis", "pendant", "contre", "au", "aux"),
		"it": setOf("in", "nel", "nella", "nei", "nelle", "con", "senza", "per", "su", "sul", "sulla", "tra", "fra", "da", "dal",
			"dalla", "dopo", "durante", "contro", "verso", "al", "alla", "ai"),
		"nl": setOf("in", "op", "met", "voor", "bij", "naar", "uit", "over", "tegen", "zonder", "door", "tijdens", "na", "sinds",
			"tot", "onder"),
	}
}}

// langCoordinators join two clauses or phrases, by language.
var langCoordinators = lazy.Value[map[string]map[string]bool]{Build: func() map[string]map[string]bool {
	return map[string]map[string]bool{
		"pt": setOf("e", "ou", "mas"),
		"es": setOf("y", "e", "o", "pero"),
		"fr": setOf("et", "ou", "mais"),
		"it": setOf("e", "ed", "o", "ma"),
		"nl": setOf("en", "maar"),
	}
}}

// langTrailingAttribution matches who said it at the end of a sentence, by
// language: "…, disse o ministro", "…, segundo dados da corporação",
// "…, selon l'AFP", "…, ha detto il premier", "…, zei de minister".
var (
	ptTrailingAttribution = lazyre.New(`,\s*(?:(?:segundo|de acordo com|conforme)\s[^,]{1,60}|(?:disse|afirmou|anunciou|declarou|revelou|adiantou|explicou|referiu|acrescentou|informou|indicou|sublinhou|garantiu)\b[^,]{0,60})$`)
	esTrailingAttribution = lazyre.New(`,\s*(?:(?:según|de acuerdo con)\s[^,]{1,60}|(?:dijo|afirmó|anunció|declaró|aseguró|explicó|señaló|indicó|informó|añadió|agregó)\b[^,]{0,60})$`)
	frTrailingAttribution = lazyre.New(`,\s*(?:(?:selon|d'après|d’après)\s[^,]{1,60}|(?:a|ont)\s(?:déclaré|indiqué|annoncé|affirmé|expliqué|précisé|ajouté|estimé|assuré)\b[^,]{0,60}|(?:déclare|indique|annonce|affirme|explique|précise|ajoute|estime|assure)\b[^,]{0,60})$`)
	itTrailingAttribution = lazyre.New(`,\s*(?:(?:secondo|stando a)\s[^,]{1,60}|(?:ha|hanno)\s(?:detto|dichiarato|annunciato|affermato|spiegato|precisato|aggiunto|sottolineato)\b[^,]{0,60})$`)
	nlTrailingAttribution = lazyre.New(`,\s*(?:volgens\s[^,]{1,60}|(?:zegt|zei|meldt|meldde|verklaarde|stelt|stelde|aldus)\b[^,]{0,60})$`)
)

// langTrailingAttribution returns lang's pattern of a trailing
// attribution, or nil (a switch, not a map: a package-level map would be
// built by an initialiser at start-up).
func langTrailingAttribution(lang string) *lazyre.Regexp {
	switch lang {
	case "pt":
		return ptTrailingAttribution
	case "es":
		return esTrailingAttribution
	case "fr":
		return frTrailingAttribution
	case "it":
		return itTrailingAttribution
	case "nl":
		return nlTrailingAttribution
	}
	return nil
}

// dropLangAttribution removes a trailing attribution of lang's (see
// langTrailingAttribution), keeping the sentence when too little would be
// left.
func dropLangAttribution(s, lang string) string {
	re := langTrailingAttribution(lang)
	if re == nil {
		return s
	}
	if out := re.Get().ReplaceAllString(s, ""); len(strings.Fields(out)) >= minHeadlineWords {
		return out
	}
	return s
}

// langBoundary reports a coordinating conjunction or a preposition of
// lang at words[i], where a phrase ends; not a conjunction between two
// names ("França e Alemanha") nor in "entre X e Y".
func langBoundary(words []string, i int, lang string) bool {
	w := bare(words[i])
	if !isLowerWord(words[i]) {
		return false
	}
	if langCoordinators.Get()[lang][w] {
		if i+1 < len(words) && startsUpper(words[i-1]) && startsUpper(words[i+1]) && !strings.HasSuffix(words[i-1], ",") {
			return false
		}
		for _, p := range words[max(0, i-4):i] {
			if b := bare(p); b == "entre" || b == "tra" || b == "fra" || b == "tussen" {
				return false
			}
		}
		return true
	}
	return langPrepositions.Get()[lang][w]
}
