package feed

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/nlp"
)

// wireAppeal ends a syndicated wire story; it must never survive Clean.
const wireAppeal = "In a time of both misinformation and too much information, quality journalism is more crucial than ever. By subscribing, you can help us get the story right."

// appealCases are appeals of every kind in four languages, phrased as
// publishers phrase them but written for this test.
var appealCases = []string{
	wireAppeal,
	// English.
	"Subscribe now for unlimited access to our award-winning coverage.",
	"Please consider supporting us with a monthly contribution.",
	"Your support helps keep our newsroom independent. Donate today.",
	"Independent journalism costs money. Support our journalism for as little as $1.",
	"Become a subscriber and never miss a story.",
	"You have reached your limit of free articles this month.",
	"This article is available to subscribers only. Already a subscriber? Log in.",
	"To continue reading, subscribe or log in.",
	"Download our free app for breaking news alerts.",
	"Get the Trade Wire app on iOS and Android.",
	"Sign up for our morning newsletter and get the day's top trade stories in your inbox.",
	"Will you help us keep our reporting free for everyone?",
	"By becoming a member you fund the reporting that holds power to account.",
	// German.
	"Unterstützen Sie unabhängigen Journalismus mit einem Abo.",
	"Jetzt abonnieren und alle Artikel lesen.",
	"Dieser Artikel ist nur für Abonnenten verfügbar.",
	"Qualitätsjournalismus ist wichtiger denn je. Werden Sie Mitglied und unterstützen Sie unsere Arbeit.",
	"Melden Sie sich für unseren kostenlosen Newsletter an.",
	"Laden Sie sich jetzt unsere kostenlose App herunter.",
	"Spenden Sie jetzt für unsere Recherchen.",
	"Jetzt weiterlesen mit Z+.",
	// French.
	"Abonnez-vous pour lire la suite de cet article.",
	"Soutenez notre journalisme indépendant : faites un don.",
	"Cet article est réservé aux abonnés. Déjà abonné ? Connectez-vous.",
	"Inscrivez-vous à notre newsletter quotidienne.",
	"Téléchargez notre application pour suivre l'actualité en direct.",
	"Votre soutien nous permet de rester indépendants.",
	// Spanish.
	"Suscríbete para seguir leyendo este artículo.",
	"Hazte socio y apoya nuestro periodismo independiente.",
	"Este contenido es exclusivo para suscriptores.",
	"Regístrate en nuestro boletín diario.",
	"Descarga nuestra app para recibir las últimas noticias.",
	"El periodismo de calidad es más necesario que nunca. Apóyanos con una suscripción.",
}

// appealNews are news sentences that use the same words and must stay.
var appealNews = []string{
	"Netflix gained 9 million subscribers in the quarter, beating forecasts.",
	"The foundation will fund independent journalism in the region, its director said.",
	"Ukraine wants to become a member of the European Union within a decade.",
	"Users can download the app from Monday, the company said.",
	"The charity said donations rose 12% last year.",
	"\"Please donate whatever you can,\" the mayor told residents after the flood.",
	"Would you support higher tariffs on steel imports?",
	"The ministry will support local newsrooms with grants of up to 50,000 euros.",
	"Die Bundesregierung will die Landwirte jetzt unterstützen, sagte die Ministerin.",
	"Jedes Jahr spenden sie Millionen an Hilfsorganisationen.",
	"Die Stiftung fördert unabhängigen Journalismus in Osteuropa.",
	"Unterstützen Sie die Pläne der Kommission?",
	"Der Konzern zählte Ende Juni 2,1 Millionen Abonnenten.",
	"Le gouvernement veut soutenir le journalisme local, a indiqué le ministre.",
	"L'entreprise a décidé de faire un don de 2 millions d'euros.",
	"El gobierno apoya el periodismo local con nuevas ayudas.",
	"La plataforma superó los 10 millones de suscriptores en marzo.",
	"Register of Companies data show exports rose 4% in the year.",
	"Residents are invited to join the forum by registering their names with the consulate.",
}

func TestDropAppeals(t *testing.T) {
	for _, a := range appealCases {
		if got := dropAppeals(a); got != "" {
			t.Errorf("appeal kept: %q → %q", a, got)
		}
	}
	for _, n := range appealNews {
		if got := dropAppeals(n); got != n {
			t.Errorf("news changed: %q → %q", n, got)
		}
	}
}

func TestClean_DropsAppealsAnywhere(t *testing.T) {
	news1 := "GENEVA (AP) — WTO members agreed on Tuesday to extend the moratorium on e-commerce duties."
	news2 := "The decision was welcomed by exporters, who had warned of higher costs."
	for _, a := range appealCases {
		for name, text := range map[string]string{
			"own paragraph at the end":   news1 + "\n\n" + news2 + "\n\n" + a,
			"own paragraph at the start": a + "\n\n" + news1 + "\n\n" + news2,
			"own paragraph between":      news1 + "\n\n" + a + "\n\n" + news2,
			"end of the last paragraph":  news1 + "\n\n" + news2 + " " + a,
			"start of the first":         a + " " + news1 + "\n\n" + news2,
		} {
			got := Clean(text)
			if !strings.Contains(got, news1) || !strings.Contains(got, news2) {
				t.Errorf("%s: news lost from %q:\n%s", name, a, got)
			}
			for _, s := range strings.Split(a, ". ") {
				if len(s) > 20 && strings.Contains(got, s) {
					t.Errorf("%s: appeal kept %q:\n%s", name, s, got)
				}
			}
		}
	}
}

func TestParseText_WireAppeal(t *testing.T) {
	txt := "Ports struggle with backlog\n\nSHANGHAI (AP) — Dozens of container ships waited outside Shanghai on Monday as a backlog built up after a week of storms.\n\nShipping lines said delays could last into next month. " + wireAppeal + "\n"
	a := ParseText(txt)
	if strings.Contains(a.Text, "quality journalism") || strings.Contains(a.Text, "By subscribing") {
		t.Errorf("the wire appeal survived ParseText:\n%s", a.Text)
	}
	if !strings.HasSuffix(a.Text, "Shipping lines said delays could last into next month.") {
		t.Errorf("the last news sentence was lost:\n%s", a.Text)
	}
}

// TestAppealPatterns_Alternation: appealPatterns, which runs each pattern
// only on sentences holding one of its literals, answers as the two
// alternations it replaced did: on the appeal and news cases, also in
// other cases (upper, lower, the long s and Kelvin sign that fold to s
// and k), and (without -short) on every sentence short enough to be an
// appeal in the real feeds of ../shared/corpus when it is there (the
// alternations take seconds over them).
func TestAppealPatterns_Alternation(t *testing.T) {
	strong, sie := appealAlternations()
	var sentences []string
	for _, c := range slices.Concat(appealCases, appealNews) {
		for _, s := range nlp.Sentences(c) {
			sentences = append(sentences, s, strings.ToUpper(s), strings.ToLower(s),
				strings.NewReplacer("s", "ſ", "k", "\u212a", "S", "ſ").Replace(s))
		}
	}
	var files []string
	if !testing.Short() {
		var corpus []string
		corpus, files = corpusSentences(t)
		sentences = append(sentences, corpus...)
	}
	matched := 0
	for _, s := range sentences {
		want := strong.MatchString(s) || sie.MatchString(s)
		if got := appealPatterns.Get().MatchString(s); got != want {
			t.Errorf("appealPatterns().MatchString(%q) = %v, the alternations %v", s, got, want)
		}
		if want {
			matched++
		}
	}
	if matched == 0 {
		t.Error("no sentence matched: the comparison proves nothing")
	}
	t.Logf("%d sentences, %d appeals, %d corpus files", len(sentences), matched, len(files))
}

// appealAlternations are the appeal patterns as two alternations, the way
// dropAppeals matched them before nlp.Patterns: the reference the test
// compares with and the benchmark measures against.
func appealAlternations() (strong, sie *regexp.Regexp) {
	return regexp.MustCompile(`(?i)` + strings.Join(appealStrong, "|")), regexp.MustCompile(strings.Join(appealSie, "|"))
}

// corpusSentences returns the sentences of the news feeds in the shared
// corpus that dropAppeals would look at (maxAppealSentence runes or
// fewer), and the files read.
func corpusSentences(t testing.TB) (sentences, files []string) {
	files, _ = filepath.Glob("../../../shared/corpus/feeds/news/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.SplitSeq(html.UnescapeString(string(b)), "\n") {
			for _, s := range nlp.Sentences(line) {
				if utf8.RuneCountInString(s) <= maxAppealSentence { // as dropAppeals asks
					sentences = append(sentences, s)
				}
			}
		}
	}
	return sentences, files
}

// BenchmarkAppealPatterns looks for appeals in the corpus's short news
// sentences with the two alternations dropAppeals used before and with
// nlp.Patterns, and reports sentences per second of each.
func BenchmarkAppealPatterns(b *testing.B) {
	sentences, _ := corpusSentences(b)
	if len(sentences) == 0 {
		b.Skip("no corpus at ../../../shared/corpus/feeds/news")
	}
	strong, sie := appealAlternations()
	for _, m := range []struct {
		name  string
		match func(string) bool
	}{
		{"alternation", func(s string) bool { return strong.MatchString(s) || sie.MatchString(s) }},
		{"patterns", appealPatterns.Get().MatchString},
	} {
		b.Run(m.name, func(b *testing.B) {
			found := 0
			for b.Loop() {
				for _, s := range sentences {
					if m.match(s) {
						found++
					}
				}
			}
			if found == 0 {
				b.Fatal("no appeal found: the benchmark measures nothing")
			}
			b.ReportMetric(float64(b.N*len(sentences))/b.Elapsed().Seconds(), "sentences/s")
		})
	}
}
