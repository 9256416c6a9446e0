package summarize

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// MaxDerivedHeadlineWords bounds a headline derived from an article's text.
const MaxDerivedHeadlineWords = 14

// functionWords are words a headline never ends on: articles,
// prepositions, conjunctions, auxiliaries, possessives and relative
// pronouns, in the languages of most trade news (English, German, French,
// Spanish, Portuguese, Italian), and Dutch articles and prepositions but
// "van", "met" and "door", which are English words as well. A headline
// that ends on one was cut mid-phrase.
var functionWords = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf(strings.Fields(`
	a an the and or but nor of to in on at by for from with into onto over under about
	as than that which who whom whose what when where while whether if because although
	though after before since until unless amid among between through during without
	against toward towards via per upon within across behind beyond despite like near
	is are was were be been being am has have had having do does did will would shall
	should can could may might must not no its their his her my our your this these
	those such very so also just only even both either neither each every any some
	own same other another further than then there here whose all many much few several
	der die das den dem des ein eine einen einem einer eines und oder aber im in am an
	auf aus bei mit nach von vor zu zum zur für über unter um durch gegen ohne seit bis
	ist sind war waren wird werden wurde wurden hat haben hatte hatten sein seine ihr
	ihre dass als wie wenn ob weil doch noch auch nicht kein keine sich allem alle allen
	le la les l un une des du de d et ou mais à au aux en dans par pour sur sous avec
	sans chez entre vers est sont était a ont sa son ses leur leurs ce cette ces qui
	que quand dont ne pas plus se
	el los las una unos unas y o pero del al en con por para sin sobre entre hacia es
	son fue era ha han su sus este esta estos estas lo que cuando como
	os as um uma e ou mas do da dos das no na nos nas em com por para sem ao à foi é
	seu sua seus suas nosso nossa desde pelo pela pelos pelas num numa
	il lo gli di del della dei degli delle nel nella alla ai agli per tra fra che ed
	às aos após até num numa sob perante hasta tras según selon après avant depuis pendant contre
	un uno una dello allo alle nei nelle negli sul sulla sui sugli dal dalla dai dalle con su da
	sem contra durante dopo senza verso contro
	een het voor bij naar uit aan te wordt werd
`)...)
}}

// EndsBadly reports whether a headline ends on a function word or leaves a
// quote or bracket open: the marks of a cut made mid-phrase.
func EndsBadly(h string) bool {
	words := strings.Fields(h)
	if len(words) == 0 {
		return false
	}
	last := strings.ToLower(strings.TrimFunc(words[len(words)-1], func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}))
	if functionWords.Get()[last] && !germanVerbEnd(words) {
		return true
	}
	return unbalanced(h)
}

// unbalanced reports whether s opens a bracket or a quote it does not
// close. Straight double quotes must pair; a straight single quote counts
// only at the start of a word, so "Korea's" and "exporters'" are fine.
func unbalanced(s string) bool {
	var stack []rune
	straight := 0
	prev := ' '
	for _, r := range s {
		switch r {
		case '(', '[', '{', '“', '«', '‘', '„':
			if r == '‘' && (unicode.IsLetter(prev) || unicode.IsDigit(prev)) {
				break
			}
			stack = append(stack, r)
		case ')', ']', '}', '”', '»', '’':
			want := map[rune]rune{')': '(', ']': '[', '}': '{', '”': '“', '»': '«', '’': '‘'}[r]
			if r == '”' && len(stack) > 0 && stack[len(stack)-1] == '„' {
				want = '„'
			}
			if len(stack) > 0 && stack[len(stack)-1] == want {
				stack = stack[:len(stack)-1]
			} else if r != '’' {
				return true
			}
		case '"':
			straight++
		}
		prev = r
	}
	return len(stack) > 0 || straight%2 == 1 || unbalancedSingle(s)
}

// unbalancedSingle reports an opening straight single quote (at the start
// of a word) without a closing one (at the end of a word).
func unbalancedSingle(s string) bool {
	open := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '\'' {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+1:])
		startWord := (i == 0 || unicode.IsSpace(before) || strings.ContainsRune("([“\"", before)) && i+1 < len(s) && !unicode.IsSpace(after)
		endWord := i > 0 && !unicode.IsSpace(before) && (i+1 == len(s) || !unicode.IsLetter(after))
		switch {
		case startWord:
			open++
		case endWord && open > 0:
			open--
		}
	}
	return open > 0
}

// Headline writes a headline for a text that has no usable title: its lead
// sentence (the first one that is not page furniture, unless one of the
// next two is clearly more topical), compressed the way a
// sub-editor would. Datelines, attributions ("officials said"),
// parentheses, time phrases and trailing subordinate clauses ("as …",
// "after …", "amid …") go first; then articles and auxiliaries; only then,
// if it is still longer than MaxDerivedHeadlineWords, it is cut at a
// clause or phrase boundary. It never ends on a function word or leaves a
// quote or bracket open, and keeps names, figures and the verb. It returns
// "" for a text without words.
func Headline(text string) string { return HeadlineIn(text, "") }

// HeadlineIn is Headline for a text in the language lang (an ISO 639-1
// code, as the gatherer detects it; "" when not known): in French,
// Spanish, Italian, Portuguese and Dutch the headline is cut at those
// languages' phrase boundaries and loses a trailing attribution (see
// languages.go).
func HeadlineIn(text, lang string) string {
	return headline(headlineInput(text), lang)
}

// headlineInput is the part of text that Headline reads, as valid UTF-8.
func headlineInput(text string) string {
	if len(text) > maxHeadlineInput {
		// The lead is at the top; a long text is not read to the end.
		text = text[:maxHeadlineInput]
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "") // a cut or a bad page
	}
	return text
}

// footnoteEnd is a full stop with a footnote mark before the next
// sentence.
var footnoteEnd = lazyre.New(`[.!?]["”’]?[*†‡]+\s+["“‘]?\p{Lu}`)

// invisible drops soft hyphens and zero-width characters: a page's
// hyphenation hints ("die\u00adsem") would split a headline's words.
var invisible = lazy.Value[*strings.Replacer]{Build: func() *strings.Replacer {
	return strings.NewReplacer("\u00ad", "", "\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "")
}}

// maxHeadlineInput bounds the bytes of a text Headline reads.
const maxHeadlineInput = 16 << 10

// headline makes the headline of the sentence of text that heads it: the
// first one that is not furniture, nor a teaser of a few words when a
// fuller sentence follows it, unless one of the next two is clearly more
// topical. The first sentence is not always the lead: a scene, a question,
// a standfirst or a personal opening may come before the news, and the
// news is what the rest of the text keeps coming back to (see topical and
// frequentShare).
func headline(text, lang string) string {
	cands := leadFirst(leadCandidates(text))
	if len(cands) == 0 {
		return ""
	}
	best := compress(cands[0], lang)
	if len(cands) == 1 {
		return best
	}
	score := topical
	if english(strings.Fields(cands[0])) {
		// In English, a word the text uses twice says too little: with
		// topical's test the development pages lost (ROUGE-1 0.278
		// against 0.280 for the first sentence always), with the words
		// used three times or more they gained (0.287, both halves).
		score = frequentShare
	}
	var counts map[string]int
	bestScore := 0.0
	for i, c := range cands[1:] {
		if continues(c) || strings.HasSuffix(c, "?") || len(strings.Fields(c)) <= minLeadWords {
			// A question in the text is the writer's, not the news; a
			// sentence too short to make more than a short headline (a
			// headline has no more words than its sentence) is not
			// compressed to be skipped below.
			continue
		}
		h := compress(c, lang)
		if len(strings.Fields(h)) <= minLeadWords {
			continue // a short headline's share of topical words says little
		}
		if counts == nil {
			counts = termCounts(text)
			bestScore = score(best, cands[0], counts)
		}
		if sc := score(h, c, counts) - laterPenalty*float64(i+1); sc > bestScore {
			best, bestScore = h, sc
		}
	}
	return best
}

// leadFirst drops a teaser ("We messed up.", "36 Stunden.") from the
// candidate sentences when a fuller sentence follows it: it says less than
// that sentence, which is the lead.
func leadFirst(cands []string) []string {
	if len(cands) >= 2 && len(strings.Fields(cands[0])) < minLeadWords && len(strings.Fields(cands[1])) >= minLeadWords {
		return cands[1:]
	}
	return cands
}

// leadCandidates returns the first maxLeadCandidates sentences of text
// that are not furniture.
func leadCandidates(text string) []string {
	var cands []string
	seen := 0
	for _, para := range nlp.Blocks(text) {
		if IsFurniture(para) {
			continue
		}
		sents := nlp.BlockSentences(para)
		for i := 0; i < len(sents); i++ {
			s := sents[i]
			if seen++; seen > maxHeadlineLead {
				return cands
			}
			if IsFurniture(s) || len(strings.Fields(s)) < 2 {
				continue
			}
			// The splitter takes a German ordinal ("im 15. Jahrhundert")
			// for a full stop: such a sentence goes on in the next.
			for i+1 < len(sents) && goesOn(s, sents[i+1]) {
				i++
				s += " " + sents[i]
			}
			s = invisible.Get().Replace(s)
			if loc := footnoteEnd.Get().FindStringIndex(s); loc != nil {
				// "… is being restored.* This latest development …": a
				// footnote mark hid the end of the sentence from the
				// splitter.
				s = s[:loc[0]+1]
			}
			if cands = append(cands, s); len(cands) == maxLeadCandidates {
				return cands
			}
		}
	}
	return cands
}

// maxLeadCandidates is how many sentences headline chooses among: the
// teaser and up to two after the lead.
const maxLeadCandidates = 3

// laterPenalty is taken from the score (topical or frequentShare) of a
// sentence for each place it stands after the first: a later sentence
// must be clearly more topical to be chosen. In English, 0.09 to 0.11
// gave the same development figures, 0.08 and 0.12 a little less.
const laterPenalty = 0.1

// termCounts counts the words of text (lower case; letters and digits).
func termCounts(text string) map[string]int {
	counts := map[string]int{}
	for _, w := range terms(text) {
		counts[w]++
	}
	return counts
}

func terms(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// topical scores a headline made of sentence by the share of its words
// that are content words found elsewhere in the text as well: a real
// headline names what the text is about, and on the development pages
// that were not English, a headline word that occurs nowhere else in the
// text was in the real headline 2% of the time, one that occurs four
// times or more 39%.
func topical(headline, sentence string, counts map[string]int) float64 {
	hw := terms(headline)
	if len(hw) == 0 {
		return 0
	}
	own := map[string]int{}
	for _, w := range terms(sentence) {
		own[w]++
	}
	n := 0
	for _, w := range hw {
		if !functionWords.Get()[w] && utf8.RuneCountInString(w) > 1 && counts[w] > own[w] {
			n++
		}
	}
	return float64(n) / float64(len(hw))
}

// frequentShare scores a headline by the share of its words that are
// content words the text uses at least minFrequent times (sentence, the
// one the headline was made of, is there to match topical): the words a
// text keeps coming back to are what it is about, and a word used five
// times or more is in the real headline half the time or more, one used
// once in one case in seven.
func frequentShare(headline, _ string, counts map[string]int) float64 {
	hw := terms(headline)
	if len(hw) == 0 {
		return 0
	}
	n := 0
	for _, w := range hw {
		if !functionWords.Get()[w] && utf8.RuneCountInString(w) > 1 && counts[w] >= minFrequent {
			n++
		}
	}
	return float64(n) / float64(len(hw))
}

// minFrequent is how many times a text uses a word it keeps coming back
// to.
const minFrequent = 3

// continues reports a sentence that opens with a pronoun or a conjunction:
// it leans on the one before and cannot stand as a headline.
func continues(s string) bool {
	w := bare(firstWord(s))
	return pronouns.Get()[w] || conjunctions.Get()[w]
}

// conjunctions and connectives that open a sentence leaning on the one
// before it.
var conjunctions = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("and", "but", "or", "so", "also", "however", "und", "aber", "denn", "doch", "oder", "auch",
		"dann", "daher", "deshalb", "außerdem", "zudem", "jedoch", "et", "mais", "ou", "donc", "puis", "aussi", "cependant",
		"y", "pero", "también", "e", "mas", "também", "ma", "però", "quindi", "anche")
}}

// minLeadWords: a shorter lead sentence is a teaser.
const minLeadWords = 5

// maxHeadlineLead bounds the search for a lead: a text whose first
// sentences are all furniture has no headline to offer.
const maxHeadlineLead = 12

// IsFurniture reports whether a line or sentence is page furniture rather
// than news: a share bar, a caption or photo credit, a byline, a date or
// time stamp, a breadcrumb, a kicker in capitals, or a fragment cut
// mid-phrase ("The event on 27"). It judges by vocabulary (what such lines
// say) and by shape (how they look), so no single phrase decides; a long
// paragraph is never furniture.
func IsFurniture(line string) bool {
	line = strings.TrimSpace(line)
	words := strings.Fields(line)
	switch {
	case len(words) == 0:
		return true
	case len(words) > maxFurnitureWords:
		return false
	}
	lower := strings.ToLower(line)
	if nlp.IsBoilerplateSentence(line) || byline.Get().MatchString(line) {
		return true
	}
	for _, f := range furnitureWords {
		if strings.Contains(lower, f.keyword) && (f.re == nil || f.re.Get().MatchString(lower)) {
			return true
		}
	}
	for _, p := range furniturePrefixes {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	upper, lowerCase := 0, 0
	for _, r := range line {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lowerCase++
		}
	}
	if lowerCase == 0 || (upper > 8 && lowerCase < upper) {
		return true // no words, or a kicker in capitals
	}
	if len(words) <= 10 && (stamp.Get().MatchString(line) || breadcrumb.Get().MatchString(line)) {
		return true
	}
	if len(counter.Get().FindAllString(line, -1)) >= 2 {
		return true // "Insgesamt online: 1 Gäste: 1", "Views: 1,234 Comments: 5"
	}
	if gluedWords(line) >= 3 {
		return true // "withEmailFacebookTwitterPinterest…", a flattened menu
	}
	if len(words) == 1 && !nlp.Finished(line) {
		return true // a label: "Claim", "Analysis"
	}
	return len(words) <= 8 && !nlp.Finished(line) && fragment(words)
}

// maxFurnitureWords: furniture is short; a longer line is a paragraph.
const maxFurnitureWords = 40

var (
	// furnitureWords are the phrases of captions, credits, share bars,
	// bylines, stamps and player notices, in English, German and French,
	// matched on the lower-cased line; each pattern runs only when its
	// cheap keyword is there (nil: the keyword alone decides).
	furnitureWords = []struct {
		keyword string
		re      *lazyre.Regexp
	}{
		{"media playback", nil},
		{"unsupported on your device", nil},
		{"getty images", nil},
		{"image", lazyre.New(`image (copyright|caption|source)`)},
		{"photo", lazyre.New(`^(all )?photos?\b|\bphoto(graph)?s?\s*(by\b|:)`)},
		{"credit", lazyre.New(`\bcredits?\s*:`)},
		{"/", lazyre.New(`/\s*(reuters|afp|ap|epa|getty|bloomberg|shutterstock|dpa)\b|\b(reuters|afp|ap|epa)\s*/`)},
		{"link", lazyre.New(`copy (this )?link`)},
		{"share", lazyre.New(`share (this|on|via)\b`)},
		{" read", lazyre.New(`\bmin(ute)?s? read\b`)},
		{"reading time", nil},
		// A notice about the reader's JavaScript, not a story that names
		// the language ("Der instanceof-Operator in JavaScript …").
		{"javascript", lazyre.New(`(enable|disabled?|activate|aktivier|activez|turn on|requires?|needs?|support)\w*\s(\S+\s){0,3}javascript|javascript\s(\S+\s){0,3}(is |must be |to be )?(enabled|disabled|aktiviert|deaktiviert|activé|désactivé|required|turned off|off\b)`)},
		{"your browser", nil},
		{"comment", lazyre.New(`\bcomments?\s*\(\d+\)`)},
		{"bewertung", nil},
		{"melde dich an", nil},
		{"artikel-informationen", nil},
		// agency credits at the foot of a wire story, not a sentence's
		// "produced by organisms"
		{"by ", lazyre.New(`(?:^|[;|]\s*)(?:additional reporting|reporting|editing|writing|compiled|produced) by\b`)},
	}
	// furniturePrefixes open stamps, labels and notices.
	furniturePrefixes = []string{"updated", "last updated", "modified", "last modified", "published", "posted",
		"watch:", "listen:", "video:", "audio:", "gallery:", "bild:", "foto:", "quelle:", "veröffentlicht",
		"aktualisiert", "zuletzt", "stand:", "publié", "mis à jour", "lire aussi", "à lire",
		// calls to action and link lists
		"sign up for", "subscribe to", "subscribe now", "follow us", "read more", "read next", "click here", "skip to",
		"related:", "related articles", "related stories", "see also:", "more on this", "tags:", "filed under",
		"image:", "photo:", "caption:", "source:", "mehr zum thema", "lesen sie auch", "auch interessant",
		"abonnez-vous", "à voir aussi"}
	// byline matches "By Jane Doe" and "By Jane Doe, Reuters".
	byline = lazyre.New(`^By (\p{Lu}[\p{L}.'’-]*\s*){1,4}(,|$|and\s|&)`)
	// stamp matches a line led by a date or holding a clock time: a
	// dateline or timestamp standing alone.
	// A weekday may lead the date ("Sunday 6 December 2026 04.05 GMT").
	stamp = lazyre.New(`(?i)^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|^(?:` + weekdayNames + `),? \d{1,2}\.? ?(jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)|` +
		`^\d{1,2}\.? ?(jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)\w*\.?,? \d{4}|` +
		`^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.? \d{1,2},? \d{4}|\b\d{1,2}:\d{2}\s*(am|pm|a\.m\.|p\.m\.|uhr|h)?\b|` +
		`\b\d{1,2}[.:]\d{2}\s*(gmt|utc|bst|cet|cest|est|edt|pst|pdt|et|mez|mesz)\b`)
	// counter is a label and its count, as in a forum's or a page's
	// statistics ("Gäste: 1", "Comments: 5"); two make a line of them.
	counter = lazyre.New(`\p{L}+:\s*\d[\d,.]*\b`)
	// breadcrumb matches section labels and trails: "Biz & IT —",
	// "Home » News", "Politics | World".
	breadcrumb = lazyre.New(`\s[|»›>]\s|[—–|:»›>-]$`)
)

// gluedWords counts the places where a capitalised word is run into a
// word of three or more small letters before it ("FacebookTwitter",
// "FotorechtAuftragsfotografie"), as share bars and menus come out when
// their links lose their spacing; names like "McDonald" or "iPhone" do not
// count.
func gluedWords(s string) int {
	n, lower := 0, 0
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			if lower >= 3 {
				n++
			}
			lower = 0
		case unicode.IsLower(r):
			lower++
		default:
			lower = 0
		}
	}
	return n
}

// goesOn reports whether the splitter cut the sentence s where it does not
// end, at the dot of a German ordinal ("im 15. Jahrhundert", "am 3.
// Oktober", "der 1. FC Köln"), so that it goes on in next: s ends on a
// function word, or on a number after one that can be an ordinal there. A
// year or an amount ends its sentence ("… for 2024. Container traffic …"):
// joined, the two made one sentence, and the nonsense headline "Fall falls
// most on routes to China".
func goesOn(s, next string) bool {
	words := strings.Fields(strings.TrimSuffix(s, "."))
	if !fragment(words) {
		return false
	}
	last := bare(words[len(words)-1])
	return !isNumber(last) || ordinal(last, bare(firstWord(next)))
}

// ordinal reports whether the number n, written before a dot, can be a
// German ordinal when the word next follows it (lower case): a day or a
// rank below 32 can be one before any word; a larger number only before a
// month or a noun that ordinals count ("zum 50. Geburtstag", "der 100.
// Jahrestag"); a number of four digits or more, or with a separator
// ("2.000", "3,5"), is a year or an amount.
func ordinal(n, next string) bool {
	v, err := strconv.Atoi(n)
	switch {
	case err != nil || len(n) >= 4:
		return false
	case v < 32:
		return true
	}
	return ordinalNouns.Get()[next]
}

// ordinalNouns are the German months and the nouns a large ordinal counts
// (lower case).
var ordinalNouns = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return setOf("januar", "jänner", "februar", "märz", "april", "mai", "juni", "juli", "august", "september",
		"oktober", "november", "dezember",
		"jahrhundert", "jahrtausend", "jahrestag", "geburtstag", "todestag", "jubiläum", "mal", "platz", "rang",
		"runde", "spieltag", "etappe", "stock", "stockwerk", "etage", "ausgabe", "auflage", "folge", "sitzung",
		"tagung", "parteitag", "kongress", "wahlperiode", "legislaturperiode", "minute", "kilometer", "woche",
		"tag", "monat", "jahr", "saison", "staffel", "episode", "sendung", "lauf", "rennen", "partie", "spiel",
		"ziffer", "absatz", "kapitel", "artikel", "klasse", "liga")
}}

// fragment reports a short line cut mid-phrase: it ends on a function word,
// or on a bare number after one ("The event on 27").
func fragment(words []string) bool {
	last := bare(words[len(words)-1])
	if functionWords.Get()[last] {
		return true
	}
	if len(words) >= 2 && isNumber(last) && functionWords.Get()[bare(words[len(words)-2])] {
		return true
	}
	return false
}

// bare lower-cases w and trims what is not a letter or digit from its ends.
func bare(w string) string {
	return strings.ToLower(strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
}

func isNumber(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsDigit(r) && r != '.' && r != ',' {
			return false
		}
	}
	return true
}

// weekdayNames are the weekdays in English and German, for stamp (a
// constant, so that stamp's declaration is static data).
const weekdayNames = `mon|tue|wed|thu|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag` +
	`|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon\.|tue\.|wed\.|thu\.|fri\.|sat\.|sun\.`
