package cluster

import (
	"strings"
	"sync"

	"github.com/tradedigest/tradedigest/internal/nlp"
)

// synonymTable lists words that trade news uses for one another, one group
// a line: the canonical word, then the others. Two outlets rarely report an
// event in the same words ("India bans sugar exports", "New Delhi halts
// sugar shipments"); counting these as one word lets such reports meet in
// the similarity vectors and align in the slot test. The groups are kept
// to words that stand for one another in headlines whatever the subject;
// words that are also common in other senses ("lift", "gain", "stock")
// are left out.
const synonymTable = `
tariff: duty, levy
ban: prohibit, prohibition, embargo
sanction: blacklist
agreement: deal, pact, accord, treaty
sign: ink
investigation: investigate, probe, inquiry
ruling: rule, ruled, verdict, judgment, judgement
export: shipment
company: firm
carmaker: automaker
cut: reduce, reduced, lower, lowered, slash, slashed, trim, trimmed
raise: raised, hike, hiked, increase, increased
halt: suspend, pause, paused
refinery: refiner
licence: license, licensed, permit
revoke: revoked, cancel, cancelled, canceled, scrap, withdraw, withdrew, withdrawn, rescind
tonne: ton
talk: negotiation
rise: rose, risen, surge, surged, jump, climb, soar, soared
fall: fell, fallen, drop, slip, slid, slide, decline, declined, plunge, plunged, tumble, tumbled, sink, sank
void: overturn, annul, invalidate, invalidated
court: tribunal
keep: kept, hold, held
aluminium: aluminum
fertiliser: fertilizer
tyre: tire
lumber: timber, sawnwood
bicycle: bike, pedelec
ship: vessel
lawmaker: legislator, parliament, parliamentarian
sulphur: sulfur
soybean: soy, soya
chip: semiconductor, microchip
maize: corn
gasoline: petrol
`

// synonyms maps the stem of each word of synonymTable to the stem of its
// group's canonical word.
var synonyms = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	eachTableLine(synonymTable, func(head string, words []string) {
		canon := nlp.Stem(head)
		for _, w := range words {
			m[nlp.Stem(w)] = canon
		}
	})
	return m
})

// eachTableLine calls fn for each line "head: word, word, ..." of one of
// this package's word tables, with the head and the words trimmed (empty
// words left out); lines without a colon are skipped.
func eachTableLine(table string, fn func(head string, words []string)) {
	for _, line := range strings.Split(table, "\n") {
		head, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var words []string
		for _, w := range strings.Split(rest, ",") {
			if w = strings.TrimSpace(w); w != "" {
				words = append(words, w)
			}
		}
		fn(strings.TrimSpace(head), words)
	}
}

// canonicalStem returns the stem that stands for stem's synonym group, or
// stem itself.
func canonicalStem(stem string) string {
	if c, ok := synonyms()[stem]; ok {
		return c
	}
	return stem
}
