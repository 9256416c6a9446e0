package summarize

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// Unsupported returns the figures and names in texts (an LLM's headline,
// summary and key points) that source, the article they summarise, does
// not support, each once and in order of appearance, as the reader would
// see them ("23%", "Joe Schmidt"). Nil means every figure and name was
// found in the source.
//
// A figure is a number with its unit (%, a currency, tonnes, a multiplier
// such as "bn"), a year or a day of a month; it is supported when the
// source states the same value in a compatible unit, allowing the rounding
// the summary's own precision implies ("1,234m" supports "$1.2bn"). A name
// is a run of capitalised words not opening a sentence, or, in lower-case
// or title-case text where capitals say nothing, a place the source does
// not name or a word that takes the place of part of one of the source's
// names ("ken schmidt" where the source has "Eric Schmidt"). A quotation
// must be in the source word for word; an ordinal ("second-largest", "for
// the first time") and a formal title ("president") must be words the
// source uses; a currency sign needs an amount ("£ both" is a figure whose
// number went missing). Every
// comparison is over folded text: case, diacritics, "U.S." = "United
// States", "Chinese" = "China", "25 per cent" = "25%", "$1.2bn" = "1.2
// billion dollars".
//
// The rules read only the source's own tokens: no entity model, so a
// check costs a few milliseconds of CPU (BenchmarkUnsupported), next to
// the seconds an LLM call takes.
func Unsupported(source string, texts ...string) []string {
	return unsupported(source, "", "", texts)
}

// UnsupportedIn is Unsupported for a source written in the language
// sourceLang and texts written in textLang (ISO 639-1 codes; empty means
// English). Numbers are read in each language's conventions ("1,2 Mrd.
// Euro" in German is "1.2bn euros"). When the languages differ, the texts
// are a translation: names may rightly differ from the source's
// ("Germany" for "Deutschland"), so only figures are checked, and small
// counts (up to 20) without a unit are left alone, since the source may
// spell them out in its own language.
func UnsupportedIn(source, sourceLang string, textLang string, texts ...string) []string {
	return unsupported(source, sourceLang, textLang, texts)
}

func unsupported(source, sourceLang, textLang string, texts []string) []string {
	translated := sourceLang != "" && baseLang(sourceLang) != baseLang(textLang)
	src := readSource(localNumbers(source, sourceLang))
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if k := fold(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	for _, t := range texts {
		t = localNumbers(clean(t), textLang)
		for _, f := range figuresIn(t) {
			if translated && (f.unit == "" && f.value <= 20 && f.value == math.Trunc(f.value) || f.words) {
				continue
			}
			if !src.supportsFigure(f, translated) {
				add(f.text)
			}
		}
		if translated {
			continue
		}
		for _, c := range bareCurrency.Get().FindAllString(t, -1) {
			if !currencyWords.Get()[fold(strings.TrimLeft(c, "$£€¥ "))] {
				add(c)
			}
		}
		for _, q := range src.unsupportedQuotes(t) {
			add(q)
		}
		for _, n := range src.unsupportedNames(blankFigures(t)) {
			add(n)
		}
		for _, c := range src.unsupportedClaims(t) {
			add(c)
		}
	}
	return out
}

// bareCurrency is a currency sign with a word instead of an amount after
// it ("£ both", "$exchange"): a figure whose number went missing, which
// nothing supports.
var bareCurrency = lazyre.New(`[$£€¥]\s?\p{L}[\p{L}-]*`)

// currencyWords may follow a currency sign without an amount ("$US", "£m"
// in a table heading).
var currencyWords = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("us", "usd", "m", "bn", "k", "mn", "mln", "million", "billion")
}}

// quoteRE matches a quotation: straight or curly double quotes around at
// most 30 words.
var quoteRE = lazyre.New(`["“]\s*([^"“”]{1,240}?)\s*["”]`)

// unsupportedQuotes returns the quotations of text that the source does
// not contain word for word (folded): a quotation claims what someone said,
// so a paraphrase in quotation marks is a misquote.
func (s *source) unsupportedQuotes(text string) []string {
	var out []string
	for _, m := range quoteRE.Get().FindAllStringSubmatch(text, -1) {
		var ws []string
		for _, t := range rawTokens(m[1]) {
			ws = append(ws, fold(t.word))
		}
		if len(ws) == 0 || len(ws) > 30 || s.contains(ws) {
			continue
		}
		out = append(out, strings.TrimSpace(m[0]))
	}
	return out
}

// contains reports whether ws occur one after the other in the source.
func (s *source) contains(ws []string) bool {
	for _, i := range s.at[ws[0]] {
		ok := true
		for k, w := range ws[1:] {
			if j := i + 1 + k; j >= len(s.seq) || s.seq[j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// baseLang is the language of an ISO 639-1 code, English when empty.
func baseLang(code string) string {
	if code == "" {
		return "en"
	}
	return strings.ToLower(code)
}

// commaDecimal lists the languages that write 1.234,5 for 1,234.5.
var commaDecimal = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("de", "fr", "es", "it", "pt", "nl", "pl", "ru", "tr", "sv", "da", "nb", "nn", "no",
		"fi", "cs", "sk", "sl", "hr", "ro", "hu", "el", "id", "vi", "uk", "bg", "ca", "sr", "lt", "lv", "et")
}}

var (
	localNumberRE = lazyre.New(`\b\d{1,3}(?:[. \x{00A0}\x{202F}]\d{3})+\b(?:,\d+)?|\b\d+,\d+`)
	localBillion  = lazyre.New(`(?i)\b(?:milliarden|milliarde|mrd\.?|milliards?|mil millones|miliardi|miliardo|bilhões|bilhoes|miljard)`)
	localMillion  = lazyre.New(`(?i)\b(?:millionen|million|mio\.?|millions|millones|milioni|milione|milhões|milhoes|miljoen)`)
	localPercent  = lazyre.New(`(?i)\b(?:prozent|pour cent|por ciento|por cento|per cento|procent)\b`)
	localTonnes   = lazyre.New(`(?i)\btonnen\b`)
)

// localNumbers rewrites the numbers of text written in lang into English
// conventions: decimal comma, point or space between thousands, and the
// language's words for billion, million and per cent.
func localNumbers(text, lang string) string {
	if !commaDecimal.Get()[baseLang(lang)] {
		return text
	}
	text = localNumberRE.Get().ReplaceAllStringFunc(text, func(n string) string {
		n = strings.NewReplacer(".", "", " ", "", "\u00a0", "", "\u202f", "").Replace(n)
		return strings.Replace(n, ",", ".", 1)
	})
	text = localBillion.Get().ReplaceAllString(text, "billion")
	text = localMillion.Get().ReplaceAllString(text, "million")
	text = localPercent.Get().ReplaceAllString(text, "%")
	return localTonnes.Get().ReplaceAllString(text, "tonnes")
}

// Unfaithful returns what texts state that source does not support (see
// Unsupported and UnsupportedIn, for texts in textLang about a source in
// sourceLang) and where they repeat themselves (see Repetitions, each
// given as "repeats …"). It is the guard every validated LLM reply passes.
func Unfaithful(source, sourceLang, textLang string, texts ...string) []string {
	bad := UnsupportedIn(source, sourceLang, textLang, texts...)
	for _, r := range Repetitions(texts...) {
		bad = append(bad, "repeats "+r)
	}
	return bad
}

// supportText is what a summary of req may draw on: the title, the
// outlets' names (the model sees both) and the text.
func supportText(req digest.SummaryRequest) string {
	return req.Title + "\n" + strings.Join(req.Sources, "\n") + "\n" + req.Text
}

// quoteAll lists items quoted, comma-separated.
func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = strconv.Quote(it)
	}
	return strings.Join(q, ", ")
}

// figure is a number as a text states it.
type figure struct {
	text  string
	value float64
	// step is the rounding the text's precision implies: 0.1e9 for
	// "1.2bn", 1 for "23%".
	step  float64
	unit  string // "%", "usd", "gbp", "eur", "jpy", "t", "date", "year" or ""
	words bool   // spelled out ("three")
}

var (
	// figureRE matches an amount: an optional currency, a number (with
	// thousands separators and decimals, tolerating the spaces of
	// tokenised text), an optional multiplier and an optional unit.
	figureRE = lazyre.New(`(?i)(?:(us\$|a\$|c\$|\$|£|€|¥|\busd\b|\beur\b|\bgbp\b)\s?)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s?(trillion|tn|billion|bn|million|mln|mn|m|thousand|k)\b)?(?:\s?(%|per\s?cent\b|percent\b|pc\b|tonnes?\b|tons?\b|metric tons?\b|dollars?\b|pounds?\b|sterling\b|euros?\b|yen\b|barrels?\b))?`)
	// dateRE matches a day and month in either order.
	dateRE = lazyre.New(`(?i)\b(\d{1,2})(?:st|nd|rd|th|\.)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b`)
)

var monthNumber = lazy.Value[map[string]int]{Build: func() map[string]int {
	return map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7,
		"aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
}}

// numberWords are spelled-out amounts. "one" is left out: it is more often
// a pronoun than a count.
var numberWords = lazy.Value[map[string]float64]{Build: func() map[string]float64 {
	return map[string]float64{"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
		"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
		"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12}
}}

var multipliers = lazy.Value[map[string]float64]{Build: func() map[string]float64 {
	return map[string]float64{"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9,
		"million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}
}}

// figuresIn returns the figures of s: dates, then amounts, then spelled-out
// numbers.
func figuresIn(s string) []figure {
	var out []figure
	for _, m := range dateRE.Get().FindAllStringSubmatch(s, -1) {
		day, mon := m[1], m[2]
		if day == "" {
			day, mon = m[4], m[3]
		}
		d, _ := strconv.Atoi(day)
		mn := monthNumber.Get()[strings.ToLower(mon)]
		if d < 1 || d > 31 || mn == 0 {
			continue
		}
		out = append(out, figure{text: strings.TrimSpace(m[0]), value: float64(mn*100 + d), step: 1, unit: "date"})
	}
	s = dateRE.Get().ReplaceAllString(s, " ")
	for _, m := range figureRE.Get().FindAllStringSubmatchIndex(s, -1) {
		get := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		// A digit glued to letters before it ("G20", "A380") is a name.
		if m[0] > 0 {
			if r := rune(s[m[0]-1]); unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' {
				continue
			}
		}
		intPart, frac := strings.ReplaceAll(get(2), ",", ""), get(3)
		v, err := strconv.ParseFloat(intPart+"."+frac+"0", 64)
		if err != nil {
			continue
		}
		step := math.Pow(10, -float64(len(frac)))
		mult := 1.0
		if k := strings.ToLower(get(4)); k != "" {
			mult = multipliers.Get()[k]
		}
		f := figure{text: strings.TrimSpace(s[m[0]:m[1]]), value: v * mult, step: step * mult,
			unit: unitOf(strings.ToLower(get(1)), strings.ToLower(get(5)))}
		if f.unit == "" && mult == 1 && frac == "" && v >= 1800 && v <= 2199 && len(intPart) == 4 {
			f.unit = "year"
		}
		out = append(out, f)
	}
	ws := strings.FieldsFunc(strings.ToLower(s), notWordRune)
	for i, w := range ws {
		if v, ok := numberWords.Get()[w]; ok {
			f := figure{text: w, value: v, step: 1, words: true}
			if i+1 < len(ws) && multipliers.Get()[ws[i+1]] > 1 && len(ws[i+1]) > 2 {
				f.text += " " + ws[i+1]
				f.value *= multipliers.Get()[ws[i+1]]
				f.step = multipliers.Get()[ws[i+1]]
			}
			out = append(out, f)
		}
	}
	return out
}

// unitOf names the unit of a currency sign or a unit word.
func unitOf(currency, unit string) string {
	switch currency {
	case "$", "us$", "usd":
		return "usd"
	case "£", "gbp":
		return "gbp"
	case "€", "eur":
		return "eur"
	case "¥":
		return "jpy"
	case "a$":
		return "aud"
	case "c$":
		return "cad"
	}
	unit = strings.Join(strings.Fields(unit), " ")
	switch {
	case unit == "%", strings.HasPrefix(unit, "per"), unit == "pc":
		return "%"
	case strings.HasPrefix(unit, "dollar"):
		return "usd"
	case strings.HasPrefix(unit, "pound"), unit == "sterling":
		return "gbp"
	case strings.HasPrefix(unit, "euro"):
		return "eur"
	case unit == "yen":
		return "jpy"
	case strings.Contains(unit, "ton"):
		return "t"
	case strings.HasPrefix(unit, "barrel"):
		return "bbl"
	}
	return ""
}

// blankFigures removes the figures from s so their words are not read as
// names.
func blankFigures(s string) string {
	return figureRE.Get().ReplaceAllString(dateRE.Get().ReplaceAllString(s, " "), " ")
}

// source is what the checks know of an article.
type source struct {
	words   map[string]bool // folded words, and the words of their canonical forms
	figures []figure
	// proper holds folded words the source writes capitalised inside a
	// sentence and never in lower case: its names.
	proper map[string]bool
	// before and after hold, for each proper word, the capitalised words
	// that precede or follow it in the source ("eric" before "schmidt").
	before, after map[string]map[string]bool
	// at holds the positions of each folded word in the source.
	at map[string][]int
	// seq is the folded words of the source in order.
	seq []string
}

func readSource(text string) *source {
	s := &source{words: map[string]bool{}, proper: map[string]bool{},
		before: map[string]map[string]bool{}, after: map[string]map[string]bool{}, at: map[string][]int{}}
	for _, w := range words(fold(text)) {
		s.words[w] = true
	}
	for _, w := range words(canonical(text)) {
		s.words[w] = true
	}
	s.figures = figuresIn(text)
	lower := map[string]bool{}
	toks := rawTokens(text)
	for i, t := range toks {
		w := fold(t.word)
		s.at[w] = append(s.at[w], i)
		s.seq = append(s.seq, w)
		if t.upper && !t.sentenceStart {
			s.proper[w] = true
		} else if !t.upper {
			lower[w] = true
		}
		if i > 0 && t.upper && toks[i-1].upper && !toks[i-1].end {
			p := fold(toks[i-1].word)
			link(s.before, w, p)
			link(s.after, p, w)
		}
	}
	for w := range lower {
		delete(s.proper, w)
	}
	return s
}

func link(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

// supportsFigure reports whether the source states f: the same value, or
// one that rounds to it at f's precision, in a compatible unit. A figure
// without a unit is compatible with any.
//
// In a translation, a date and a plain number support each other when the
// number is the date's day: the date pattern knows English month names
// only, and a sentence may be split after "27." in "27. Februar".
func (s *source) supportsFigure(f figure, translated bool) bool {
	for _, g := range s.figures {
		if f.unit == "date" || g.unit == "date" {
			if f.unit == g.unit && f.value == g.value {
				return true
			}
			if translated && f.unit == "date" && g.unit == "" && g.value == float64(int(f.value)%100) ||
				translated && g.unit == "date" && f.unit == "" && f.value == float64(int(g.value)%100) {
				return true
			}
			continue
		}
		if f.unit != "" && g.unit != "" && f.unit != g.unit && f.unit != "year" && g.unit != "year" {
			continue
		}
		if near(g.value, f.value, f.step) {
			return true
		}
	}
	return false
}

// near reports whether src, rounded to step, is claim; halves are allowed
// either way, since "about 1.2bn" may round 1.25bn down.
func near(src, claim, step float64) bool {
	if src == claim {
		return true
	}
	if step <= 0 {
		return false
	}
	return math.Abs(src-claim) <= step/2*(1+1e-9)
}

// token is a word of the original text with what its case and position
// tell.
type token struct {
	word          string
	upper         bool // starts with a capital letter
	sentenceStart bool // first word of a sentence, a line or a quote
	end           bool // ends a sentence or clause (a mark follows it)
}

// rawTokens splits text into words, keeping case and noting sentence
// starts.
func rawTokens(text string) []token {
	var out []token
	start := true
	for _, f := range strings.Fields(text) {
		lead := strings.TrimLeftFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if lead != f && strings.ContainsAny(f[:len(f)-len(lead)], "\"“‘'([") {
			start = true
		}
		word := strings.TrimRightFunc(lead, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		tail := lead[len(word):]
		word = strings.TrimSuffix(strings.TrimSuffix(word, "'s"), "’s")
		if word != "" {
			r := []rune(word)[0]
			out = append(out, token{word: word, upper: unicode.IsUpper(r), sentenceStart: start,
				end: strings.ContainsAny(tail, ".!?:;,\"”)")})
			start = false
		}
		if strings.ContainsAny(tail, ".!?:\"”") && !initialism(word) {
			start = true
		}
	}
	return out
}

// initialism reports whether w is written like "U.S" or "J" (its full
// stop does not end the sentence).
func initialism(w string) bool {
	return len([]rune(w)) == 1 || strings.Contains(w, ".")
}

// nameTitles precede a person's name in lower-case text.
var nameTitles = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("mr", "mrs", "ms", "dr", "sir", "lord", "lady", "president", "chancellor",
		"minister", "secretary", "chairman", "chairwoman", "governor", "senator", "prince", "king",
		"queen", "judge", "professor", "general", "pope")
}}

// unsupportedNames returns the names in text the source lacks.
func (s *source) unsupportedNames(text string) []string {
	toks := rawTokens(text)
	if len(toks) == 0 {
		return nil
	}
	upper := 0
	for _, t := range toks {
		if t.upper {
			upper++
		}
	}
	out := s.wrongRoles(toks)
	// Capitals mark names only when the text is in sentence case: in
	// lower case they are gone, in title case every word has one.
	cased := upper > 0 && float64(upper) <= 0.6*float64(len(toks))
	if cased {
		for i := 0; i < len(toks); {
			if !toks[i].upper {
				i++
				continue
			}
			j := i + 1
			for j < len(toks) && toks[j].upper && !toks[j-1].end {
				j++
			}
			run := toks[i:j]
			i = j
			if run[0].sentenceStart {
				if len(run) == 1 && !geo(fold(run[0].word)) {
					continue // "Sales rose…": capitalised because it opens the sentence
				}
				if functionWords.Get()[fold(run[0].word)] {
					run = run[1:]
				}
			}
			if len(run) > 0 && !s.supportsName(run) {
				out = append(out, joinTokens(run))
			}
		}
		return out
	}
	for i, t := range toks {
		w := fold(t.word)
		if functionWords.Get()[w] || s.has(w) || isNumber(w) {
			continue
		}
		switch {
		case geo(w):
		case i > 0 && nameTitles.Get()[fold(toks[i-1].word)]:
		case i+1 < len(toks) && s.proper[fold(toks[i+1].word)] && len(s.before[fold(toks[i+1].word)]) > 0 && !geo(fold(toks[i+1].word)):
			// "ken schmidt" where the source names "Eric Schmidt".
		case i > 0 && s.proper[fold(toks[i-1].word)] && len(s.after[fold(toks[i-1].word)]) > 0 && !geo(fold(toks[i-1].word)):
			// "eric smith" where the source names "Eric Schmidt".
		default:
			continue
		}
		out = append(out, t.word)
	}
	return out
}

// ordinals rank what they qualify ("the second-largest bank", "for the
// first time"), a claim as checkable as a figure; each is also written
// with digits ("2nd").
var ordinals = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{"first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
		"sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th"}
}}

// formalTitles are the offices a text may give a person that a source
// which never names the office does not support. Looser words ("head",
// "boss", "leader") paraphrase too often to be checked.
var formalTitles = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("president", "minister", "chancellor", "secretary", "governor", "senator", "mayor",
		"king", "queen", "prince", "princess", "ceo", "chairman", "chairwoman", "commissioner", "ambassador")
}}

// unsupportedClaims returns the ordinals and formal titles of text that
// the source never uses: "the first time", "second-largest" or "russia's
// new president" about an article without them. A quarter or half may be
// written "Q1" or "H1" in the source.
func (s *source) unsupportedClaims(text string) []string {
	var out []string
	ws := words(fold(text))
	for i, w := range ws {
		switch {
		case formalTitles.Get()[w] && !s.has(w):
			out = append(out, w)
		case ordinals.Get()[w] != "" && !s.words[w] && !s.words[ordinals.Get()[w]]:
			if i+1 < len(ws) && (ws[i+1] == "quarter" || ws[i+1] == "half") {
				if n := ordinals.Get()[w][:1]; s.words["q"+n] || ws[i+1] == "half" && s.words["h"+n] {
					continue
				}
			}
			out = append(out, w)
		}
	}
	return out
}

// roles are what a text may call a person.
var roles = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("president", "minister", "chairman", "chairwoman", "chair", "chief", "executive", "secretary",
		"governor", "leader", "chancellor", "boss", "director", "founder", "co-founder", "owner", "head",
		"spokesman", "spokeswoman", "manager", "ceo", "negotiator", "commissioner", "mayor", "senator",
		"king", "queen", "prince", "economist", "analyst", "editor", "coach", "captain")
}}

// roleWindow is how near a person's name, in words, the source must give
// the role a summary gives them.
const roleWindow = 8

// wrongRoles returns "role name" pairs of text where the source names the
// person but never gives them that role ("economy minister Alexis Tsipras"
// where the source has only "Prime Minister Alexis Tsipras" and no economy
// minister near the name).
func (s *source) wrongRoles(toks []token) []string {
	var out []string
	flagged := -1 // the role word last reported, so a two-word name gives one report
	for i, t := range toks {
		w := fold(t.word)
		if !s.proper[w] || len(s.before[w])+len(s.after[w]) == 0 || geo(w) {
			continue
		}
		for j := i - 1; j >= 0 && j >= i-4; j-- {
			r := fold(toks[j].word)
			if !roles.Get()[r] {
				continue
			}
			if !s.near(r, w, roleWindow) && j != flagged {
				out = append(out, toks[j].word+" "+t.word)
				flagged = j
			}
			break
		}
	}
	return out
}

// near reports whether a and b occur within n words of each other in the
// source.
func (s *source) near(a, b string, n int) bool {
	for _, i := range s.at[a] {
		for _, j := range s.at[b] {
			if i-j <= n && j-i <= n {
				return true
			}
		}
	}
	return false
}

// supportsName reports whether every word of a run of capitalised words
// is in the source, as written or in canonical form.
func (s *source) supportsName(run []token) bool {
	ok := true
	for _, t := range run {
		w := fold(t.word)
		if functionWords.Get()[w] || s.has(w) {
			continue
		}
		ok = false
	}
	if ok {
		return true
	}
	for _, w := range words(canonical(joinTokens(run))) {
		if !functionWords.Get()[w] && !s.has(w) {
			return false
		}
	}
	return true
}

// has reports whether the source has w, allowing a plural or possessive s.
func (s *source) has(w string) bool {
	if s.words[w] {
		return true
	}
	if strings.HasSuffix(w, "s") && s.words[strings.TrimSuffix(w, "s")] {
		return true
	}
	if s.words[w+"s"] {
		return true
	}
	if c := aliases.Get()[w]; c != "" {
		for _, cw := range strings.Fields(c) {
			if !s.words[cw] {
				return false
			}
		}
		return true
	}
	return false
}

func joinTokens(ts []token) string {
	ws := make([]string, len(ts))
	for i, t := range ts {
		ws[i] = t.word
	}
	return strings.Join(ws, " ")
}

// words splits folded text into words; hyphenated words also count as
// their parts.
func words(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return notWordRune(r) && r != '-' }) {
		f = strings.Trim(f, "-")
		if f == "" {
			continue
		}
		out = append(out, strings.TrimSuffix(f, "'s"))
		if strings.Contains(f, "-") {
			out = append(out, strings.FieldsFunc(f, func(r rune) bool { return r == '-' })...)
		}
	}
	return out
}

func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
}

var foldChain = func() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// fold lower-cases s, strips diacritics and unifies apostrophes.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(strings.ReplaceAll(s, "`", "'"))
	}
	out, _, err := transform.String(foldChain(), s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("’", "'", "‘", "'", "`", "'").Replace(out)
	return strings.ToLower(out)
}

// abbreviations are written in capitals; in lower case "us" is a pronoun,
// so they are expanded before folding.
var abbreviations = lazyre.New(`\bU\.S\.A\.|\bU\.S\.|\bUSA\b|\bUS\b|\bU\.K\.|\bUK\b|\bE\.U\.|\bEU\b|\bU\.N\.|\bUN\b|\bUAE\b|\bIMF\b|\bWTO\b|\bECB\b`)

var abbreviationNames = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{
		"U.S.A.": "United States", "U.S.": "United States", "USA": "United States", "US": "United States",
		"U.K.": "United Kingdom", "UK": "United Kingdom", "E.U.": "European Union", "EU": "European Union",
		"U.N.": "United Nations", "UN": "United Nations", "UAE": "United Arab Emirates",
		"IMF": "International Monetary Fund", "WTO": "World Trade Organization", "ECB": "European Central Bank",
	}
}}

// canonical returns folded text with abbreviations spelled out and
// demonyms and short forms replaced by the country's name.
func canonical(s string) string {
	s = abbreviations.Get().ReplaceAllStringFunc(s, func(m string) string { return abbreviationNames.Get()[m] })
	ws := words(fold(s))
	for i, w := range ws {
		if c, ok := aliases.Get()[w]; ok {
			ws[i] = c
		}
	}
	return strings.Join(ws, " ")
}

// aliases maps folded demonyms and short forms to the folded name of the
// country or body.
var aliases = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{
		"u.s": "united states", "u.s.": "united states", "uk": "united kingdom", "u.k": "united kingdom",
		"eu": "european union", "britain": "united kingdom", "british": "united kingdom",
		"america": "united states", "american": "united states", "americans": "united states",
		"chinese": "china", "german": "germany", "germans": "germany", "french": "france",
		"japanese": "japan", "russian": "russia", "russians": "russia", "indian": "india",
		"greek": "greece", "brazilian": "brazil", "canadian": "canada", "mexican": "mexico",
		"australian": "australia", "italian": "italy", "spanish": "spain", "scottish": "scotland",
		"welsh": "wales", "english": "england", "irish": "ireland", "korean": "korea",
		"turkish": "turkey", "swiss": "switzerland", "dutch": "netherlands", "israeli": "israel",
		"iranian": "iran", "syrian": "syria", "ukrainian": "ukraine", "egyptian": "egypt",
		"nigerian": "nigeria", "indonesian": "indonesia", "vietnamese": "vietnam",
		"pakistani": "pakistan", "afghan": "afghanistan", "iraqi": "iraq", "saudi": "saudi arabia",
		"polish": "poland", "swedish": "sweden", "norwegian": "norway", "danish": "denmark",
		"finnish": "finland", "belgian": "belgium", "austrian": "austria", "portuguese": "portugal",
		"argentine": "argentina", "chilean": "chile", "peruvian": "peru", "colombian": "colombia",
		"venezuelan": "venezuela", "south african": "south africa", "kenyan": "kenya",
		"european": "europe", "europaische": "europe", "europeenne": "europe", "europea": "europe", "asian": "asia", "african": "africa", "malaysian": "malaysia",
		"thai": "thailand", "filipino": "philippines", "singaporean": "singapore", "taiwanese": "taiwan",
	}
}}

// places are folded country and region names whose presence in lower-case
// text still marks a name.
var places = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return func() map[string]bool {
		m := setOf("china", "japan", "germany", "france", "india", "brazil", "canada", "mexico", "russia",
			"greece", "italy", "spain", "scotland", "wales", "england", "ireland", "korea", "turkey",
			"switzerland", "netherlands", "israel", "iran", "syria", "ukraine", "egypt", "nigeria",
			"indonesia", "vietnam", "pakistan", "afghanistan", "iraq", "poland", "sweden", "norway",
			"denmark", "finland", "belgium", "austria", "portugal", "argentina", "chile", "peru",
			"colombia", "venezuela", "kenya", "europe", "asia", "africa", "malaysia", "thailand",
			"philippines", "singapore", "taiwan", "australia", "london", "washington", "beijing",
			"brussels", "tokyo", "moscow", "paris", "berlin", "uk", "eu", "britain", "america")
		for k := range aliases.Get() {
			m[k] = true
		}
		return m
	}()
}}

func geo(w string) bool { return places.Get()[w] }

// Repetitions returns the places where texts repeat themselves the way a
// degenerating model does: a word coordinated with itself ("argos and
// argos") or made part of or taken from itself ("the names of the
// names", "children from children"), a word
// doubled ("pension pension"), or a run of six or more words said three
// times. Such a reply is not a faithful summary even when each
// of its facts is in the source.
func Repetitions(texts ...string) []string {
	articles := setOf("the", "a", "an")
	var out []string
	for _, t := range texts {
		ws := words(fold(clean(t)))
		for i := 1; i < len(ws); i++ {
			w := ws[i]
			if functionWords.Get()[w] || isNumber(w) {
				continue
			}
			switch {
			case ws[i-1] == w:
				out = append(out, w+" "+w)
			case i >= 2 && (ws[i-1] == "and" || ws[i-1] == "or") && ws[i-2] == w:
				out = append(out, w+" "+ws[i-1]+" "+w)
			case i >= 2 && (ws[i-1] == "of" || ws[i-1] == "from") && ws[i-2] == w:
				out = append(out, w+" "+ws[i-1]+" "+w) // "children from children"
			case i >= 3 && (ws[i-2] == "of" || ws[i-2] == "from") && articles[ws[i-1]] && ws[i-3] == w:
				out = append(out, w+" "+ws[i-2]+" "+ws[i-1]+" "+w) // "the names of the names"
			}
		}
		// A sentence said twice may be a clumsy restatement of a fact; said
		// three times it is a loop.
		const n = 6
		seen := map[string]int{}
		for i := 0; i+n <= len(ws); i++ {
			k := strings.Join(ws[i:i+n], " ")
			if seen[k]++; seen[k] == 3 {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
