package feed

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// Appeals are the publisher's requests to the reader: subscribe, donate,
// become a member, support our journalism, sign up for the newsletter,
// download the app, log in to keep reading. They are recognised by how they
// are built, in English, German, French and Spanish: a request addressed
// to the reader (an imperative, "by subscribing, you…", "your support
// helps…") about the publisher's own subscription, journalism, newsletter
// or app. A sentence that only mentions such things ("Netflix gained 9
// million subscribers") is news and stays.
//
// appealStrong are the patterns that make a sentence an appeal on their
// own, matched case-insensitively.
var appealStrong = []string{
	// A sentence that opens with a request: "Subscribe now", "Please
	// donate", "Jetzt abonnieren", "Abonnez-vous", "Suscríbete".
	`^\W*((please|now|today|simply|just)\s+)?(subscribe|sign up|donate|chip in|join us|support us|help us|make a (donation|contribution)|(download|get|install|try) (the|our) (free |new )?([\w&'’.-]+ ){0,3}app)\b`,
	`^\W*((please|now|today|simply|just)\s+)?(register|log ?in|sign in)\s*(now|today|here|for|to|with|free|or|and|[:.!]|$)`,
	`^\W*(connectez[- ]vous|identifiez[- ]vous|inicia sesi[oó]n|einloggen|anmelden)\b`,
	`^\W*(jetzt|hier|gleich|einfach)\s+(abonnieren|abonnent(in)? werden|mitglied werden|spenden|unterstützen|registrieren|anmelden|gratis testen|kostenlos testen|weiterlesen|herunterladen)\b`,
	`^\W*(abonniere|unterstütze|spende|werde|lade dir|hol dir|melde dich)\b`,
	`^\W*(faire un don|dona (ahora|hoy|aqu[ií])|descarg(a|ue|ate|áte))\b`,
	// English.
	`\bby (subscribing|becoming an? (member|subscriber|supporter|patron)|donating|signing up|registering)\b,?\s+(you|today|now|here|to our)\b`,
	`^\W*by (subscribing|becoming an? (member|subscriber|supporter|patron)|donating)\b`,
	`\b(consider|start|try) (subscribing|becoming a (member|subscriber|supporter)|a (free )?trial|donating|supporting us|making a (donation|contribution))\b`,
	`\b(subscribe|donate|give|join|sign up|register) (now|today|here|monthly|for (free|just|only|as little as|less than))\b`,
	`\b(support|fund|sustain|protect|power|help (fund|sustain|support|protect))\s+(our|this) (independent |local |nonprofit |non-profit |investigative |quality )?(journalism|reporting|newsroom|news ?room|journalists|mission|work)\b`,
	`\b(you can|you could|will you|can you|please)\b.{0,20}\b(support|fund|sustain|contribute|donate|subscribe|help)\b.{0,40}\b(us|our)\b`,
	`\b(becom(e|ing)|be) an? (subscriber|supporter|patron|digital subscriber|paying subscriber)\b`,
	`\bbecome a member( today| now| and| to|\s*[.!]|\s*$)`,
	`\byour (support|contribution|donation|subscription|membership|generosity|gift)\b.{0,30}\b(helps?|allows?|enables?|keeps?|makes?|means|matters|funds?|powers?|sustains?)\b`,
	`\b(already a (subscriber|member)|subscribers? only|for (our )?subscribers only|exclusive(ly)? (to|for) (subscribers|members)|subscriber[- ]exclusive)\b`,
	`\b(you('ve| have) (reached|read|used)\b.{0,30}\bfree (articles?|stories|reads)|free (articles?|stories) (left|remaining)|unlock (this|unlimited|full)|(get|enjoy) unlimited (digital )?access)\b`,
	`\bto (continue|keep) reading\b.{0,40}\b(subscri|log ?in|sign in|register|member)`,
	`\b(this|the) (article|story|content) is (only )?(available|reserved|exclusive) (to|for) (subscribers|members)\b`,
	`\b(download|get|install) our (free |new )?([\w&'’.-]+ ){0,3}app\b`,
	`\b(sign up|subscribe|register)\b.{0,60}\b(newsletters?|e-?mail alerts?|briefing|inbox)\b`,
	`\b(newsletters?|e-?mail alerts?)\b.{0,60}\b(sign up|subscribe|delivered|inbox|straight to you)\b`,
	// German (the polite "Sie" forms are matched apart, case kept).
	`\b(unterstütz|förder|ermöglich|finanzier|sicher)\w* (sie |du )?(unseren|unsere[nm]?) \w*journalismus\b`,
	`\b(dieser|der|dieses) (artikel|beitrag|inhalt|text) ist (nur |exklusiv )?(für|für unsere) (abonnent|mitglied|plus|\w+plus|\w*-abonnent)`,
	`\b(weiterlesen|lesen sie weiter|jetzt lesen) mit\b`, `\b(sind sie|bist du) (bereits|schon) (abonnent|registriert|mitglied)`,
	`\bnewsletter\b.{0,60}\b(abonnieren|bestellen|anmelden|kostenlos|registrieren)\b`,
	// French.
	`\babonnez[- ]vous\b`, `\bje m['’]abonne\b`, `\bdéjà abonné`, `\bréservée? aux abonnés\b`,
	`\b(soutenez|aidez)[- ]nous\b`, `\bsoutenez (notre|le|un|la)\b.{0,30}\b(journalisme|rédaction|média|information|indépendance)\b`,
	`\b(nous soutenir|soutenir notre (journalisme|rédaction|média|travail))\b`, `\bfaites un don\b`,
	`\bvotre (soutien|don|abonnement)\b.{0,30}\b(permet|aide|compte|est)\b`,
	`\b(inscrivez[- ]vous|abonnez[- ]vous)\b.{0,30}\b(newsletter|lettre|infolettre)\b`,
	`\btéléchargez\b.{0,30}\b(application|appli|app)\b`, `\bpour (lire|continuer à lire|poursuivre) la suite\b`,
	// Spanish.
	`\bsusc?r[ií]bete\b`, `\bsusc?r[ií]base\b`, `\bhazte (socio|suscriptor|miembro|mecenas)\b`, `\bap[oó]y(a|e)nos\b`,
	`\b(apoya|apoye|sost[eé]n|apoyar|apoyando)\b.{0,20}\bnuestro (periodismo|trabajo|medio)\b`, `\bhaz (una|tu) donaci[oó]n\b`,
	`\b(contenido|art[ií]culo|noticia) (es )?(exclusivo|exclusiva|reservado|reservada) para (suscriptores|socios|abonados)\b`,
	`\b(reg[ií]strate|suscr[ií]bete|ap[uú]ntate)\b.{0,30}\b(bolet[ií]n|newsletter)\b`,
	`\bya eres (suscriptor|socio)\b`, `\bpara seguir leyendo\b`, `\btu (apoyo|suscripci[oó]n|donaci[oó]n)\b.{0,30}\b(permite|ayuda|hace)\b`,
}

// appealSie are the German requests in the polite form, whose capital
// "Sie" tells them from "sie" (they): "Unterstützen Sie unseren
// Journalismus" is an appeal, "jedes Jahr spenden sie Millionen" is news.
var appealSie = []string{
	`\b([Aa]bonnieren|[Ss]penden) Sie\b`,
	`\b[Uu]nterstützen Sie (uns|unser|unabhängigen|guten|kritischen|[Qq]ualitäts)`,
	`\b[Ww]erden Sie (Abonnent|Mitglied|Unterstützer|Förder|Spender)`,
	`\b([Ll]aden Sie|[Hh]olen Sie sich)\b.{0,40}\bApp\b`,
	`\b[Mm]elden Sie sich\b.{0,40}\b[Nn]ewsletter\b`,
	`\b(Ihre|Ihr) (Unterstützung|Spende|Abo|Abonnement|Beitrag)\b.{0,30}\b(hilft|ermöglicht|sichert|macht)\b`,
}

// appealPatterns finds appealStrong and appealSie in a sentence, each run
// only on sentences holding one of its literals.
var appealPatterns = lazy.Value[*nlp.Patterns]{Build: func() *nlp.Patterns {
	all := make([]string, 0, len(appealStrong)+len(appealSie))
	for _, p := range appealStrong {
		all = append(all, `(?i)`+p)
	}
	return nlp.NewPatterns(append(all, appealSie...))
}}

// appealContext are the signals that make a sentence beside an appeal part
// of it ("Quality journalism is more crucial than ever." before "By
// subscribing, you can help us…"): the publisher praising its journalism,
// or a request about subscriptions, donations and support.
var appealContext = lazy.Value[*regexp.Regexp]{Build: func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)` + strings.Join([]string{
		`\b(quality|independent|trusted|fact-based|local|public[- ]interest|investigative|nonprofit|non-profit) (journalism|news|reporting)\b`,
		`\bjournalism\b.{0,60}\b(matters|more (crucial|important|vital|essential|necessary) than ever|costs|isn['’]t free|is not free|depends on|relies on)\b`,
		`\bmore (crucial|important|vital|essential|necessary) than ever\b`,
		`\b(subscri\w*|donat\w*|membership|supporters?|contribut\w*|paywall)\b`,
		`\b(your first (month|week|year)|free trial|for free|kostenlos|gratis|gratuite?s?|gratuito)\b`,
		`\b(log ?in|sign in|connectez|identifiez|einloggen|anmelden|inicia sesi[oó]n|iniciar sesi[oó]n)\b`,
		`(qualitäts|unabhängige[nmrs]?\s|kritische[nmrs]?\s|gute[nmrs]?\s)journalismus\b`, `\b(wichtiger|nötiger|notwendiger) denn je\b`,
		`\b(abo|abonnement|abonnent\w*|spende\w*|unterstütz\w*|förder\w*)\b`,
		`\bjournalisme (de qualité|indépendant|libre)\b`, `\bplus (important|nécessaire|essentiel)e?s? que jamais\b`, `\b(abonn\w+|don|dons|soutien)\b`,
		`\bperiodismo (de calidad|independiente|libre)\b`, `\bmás (importante|necesario|necesaria|imprescindible) que nunca\b`, `\b(suscrip\w+|suscriptor\w*|donaci\w+|apoyo)\b`,
	}, "|"))
}}

// appealNeedles are lower-case strings of which a line holding an appeal
// contains at least one; they spare the regular expressions on most lines.
var appealNeedles = []string{
	"subscri", "sign up", "signing up", "register", "registering", "registrier", "donat", "chip in", "join us", "log in", "login", "sign in",
	"a member", "members", "support us", "support our", "support this", "supporting", "your support", "help us",
	"our journalism", "our reporting", "our newsroom", "our work", "our mission", "our journalists",
	"you can", "you could", "will you", "can you", "please", "your contribution", "your donation", "your gift",
	"your subscription", "your generosity",
	"journalism", "patron", "contribut", "free article", "free stor", "free read", "unlock", "unlimited",
	"continue reading", "keep reading", " app ", " app.", " app,", " app!", " apps", "-app", "appli", "newsletter", "e-mail alert", "email alert", "briefing", "inbox",
	"abonn", "abo ", "abo.", "abo,", "abo-", "mitglied", "spende", "unterstütz", "anmelden", "gratis testen",
	"kostenlos testen", "weiterlesen", "herunterladen", "journalismus", "lesen sie weiter", "melde dich",
	"melden sie", "werde ", "werden sie", "lade dir",
	"laden sie", "hol dir", "holen sie", "einloggen", "ihre unterstützung",
	"soutenez", "soutenir", "votre soutien", "votre don", "aidez", " don ", "un don", "inscrivez", "téléchargez",
	"la suite", "journalisme", "connectez", "identifiez",
	"suscr", "hazte", "apóy", "apoy", "sostén", "donaci", "dona ", "descarg", "regístrate", "registrate",
	"boletín", "boletin", "apúntate", "apuntate", "ya eres", "seguir leyendo", "tu apoyo", "periodismo",
	"sesión", "sesion",
}

// appealNeedleSet finds appealNeedles in one pass over a line.
var appealNeedleSet = lazy.Value[*nlp.Needles]{Build: func() *nlp.Needles { return nlp.NewNeedles(appealNeedles) }}

// maxAppealSentence is the longest sentence taken for an appeal; a longer
// one is a news sentence that happens to use the words.
const maxAppealSentence = 400

// maxAppealContext is the longest sentence that joins a neighbouring
// appeal on a signal alone.
const maxAppealContext = 250

// dropAppeals removes the appeal sentences from one line of text and
// returns what is left ("" when the line was all appeal). A sentence is an
// appeal when it matches appealStrong; a sentence next to an appeal is one
// too when it carries an appeal signal (appealContext).
func dropAppeals(line string) string {
	if !appealNeedleSet.Get().AnyLower(line) {
		return line
	}
	sents := nlp.Sentences(line)
	appeal := make([]bool, len(sents))
	any := false
	for i, s := range sents {
		if utf8.RuneCountInString(s) <= maxAppealSentence && !quoted(s) && !interviewQuestion(s) &&
			appealPatterns.Get().MatchString(s) {
			appeal[i], any = true, true
		}
	}
	if !any {
		return line
	}
	// Spread to neighbours with an appeal signal, both ways, until stable.
	for changed := true; changed; {
		changed = false
		for i, s := range sents {
			if appeal[i] || utf8.RuneCountInString(s) > maxAppealContext || !appealContext.Get().MatchString(s) {
				continue
			}
			if (i > 0 && appeal[i-1]) || (i+1 < len(sents) && appeal[i+1]) {
				appeal[i], changed = true, true
			}
		}
	}
	kept := sents[:0:0]
	for i, s := range sents {
		if !appeal[i] {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, " ")
}

// interviewQuestion reports whether s is a question of six words or more
// without the publisher's "us"/"our": an interviewer's "Would you support the
// tariffs?" is news, "Will you support our journalism?" is not.
func interviewQuestion(s string) bool {
	if !strings.HasSuffix(strings.TrimRight(s, `"”’' `), "?") || len(strings.Fields(s)) < 6 {
		return false
	}
	return !publisherWords.Get().MatchString(s)
}

var publisherWords = lazyre.New(`(?i)\b(us|our|uns|unser\w*|nous|notre|nos|nuestro|nuestra|nos)\b`)

// quoted reports whether s is speech in quotation marks ("'Please donate,'
// the charity's director said."): reported speech is news.
func quoted(s string) bool {
	s = strings.TrimSpace(s)
	r, _ := utf8.DecodeRuneInString(s)
	return strings.ContainsRune(`"“„«‘'‚‹`, r)
}
