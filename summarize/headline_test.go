package summarize

import (
	"strings"
	"testing"
)

func TestHeadline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"cut mid-phrase before", "Japan and the United States failed to make progress on resolving their differences over the Trans-Pacific Partnership on Tuesday, officials said.",
			"Japan and US fail to make progress on resolving their differences over Trans-Pacific Partnership"},
		{"reuters dateline", "WASHINGTON (Reuters) - The U.S. Commerce Department extended anti-dumping duties on Chinese steel pipes for five years on Monday.",
			"US Commerce Department extends anti-dumping duties on Chinese steel pipes for five years"},
		{"dash dateline", "GENEVA - WTO members agreed to cut fisheries subsidies worth $22 billion a year.",
			"WTO members agree to cut fisheries subsidies worth $22 billion a year"},
		{"told reporters", "Canada will impose a 25% surtax on Chinese electric vehicles from October 1, Prime Minister Justin Trudeau told reporters in Halifax.",
			"Canada to impose 25% surtax on Chinese electric vehicles from October 1"},
		{"trailing as", "Copper prices hit a record high of $11,000 a tonne as Chinese demand surged and mines in Chile stalled.",
			"Copper prices hit record high of $11,000 a tonne"},
		{"per unit after a currency", "Petrol prices in Kerala rose by 3 rupees a litre on Monday after the state raised its fuel cess.",
			"Petrol prices in Kerala rose by 3 rupees a litre"},
		{"per unit after a unit", "Ukraine exported 4.5 million tonnes a month of grain through its Black Sea ports, the ministry said.",
			"Ukraine exports 4.5 million tonnes a month of grain through its Black Sea ports"},
		{"trailing amid", "Brazil raised its tariff on imported steel to 25% amid a flood of cheap Chinese supply.",
			"Brazil raises its tariff on imported steel to 25%"},
		{"trailing after", "Shares of Maersk fell 7% after the shipping group cut its profit forecast for 2025.",
			"Shares of Maersk fall 7%"},
		{"passive perfect", "Two United States service members have been killed in a helicopter crash in Afghanistan, the military said.",
			"Two US service members killed in helicopter crash in Afghanistan"},
		{"perfect to present", "The European Union has agreed a trade deal with Mercosur after 25 years of talks.",
			"EU agrees trade deal with Mercosur"},
		{"cnn", "(CNN) Thailand's exports rose 4.2% in March from a year earlier, the commerce ministry said.",
			"Thailand's exports rise 4.2% in March from year earlier"},
		{"furniture first", "Media playback is unsupported on your device\n\nThe Bank of England held interest rates at 5.25% on Thursday.",
			"Bank of England holds interest rates at 5.25%"},
		{"teaser", "We messed up. Our ad standards let publishers slow pages to a crawl and drive readers to ad blockers.",
			"Our ad standards let publishers slow pages to crawl"},
		{"span of time", "Rio Tinto will invest $2 billion over the next five years to expand its lithium mine in Argentina.",
			"Rio Tinto to invest $2 billion to expand its lithium mine in Argentina"},
		{"progressive", "The European Commission is investigating subsidies to Chinese electric-car makers.",
			"European Commission investigating subsidies to Chinese electric-car makers"},
		{"participle opener", "Faced with a glut of cheap steel, the European Union raised its tariffs on Chinese imports.",
			"EU raises its tariffs on Chinese imports"},
		{"appositive without its comma", "The chief executive of Maersk, Vincent Clerc was replaced on Monday after a profit warning.",
			"Chief executive of Maersk replaced"},
		{"English told by the whole sentence", "Copper prices fell sharply on Tuesday on supply worries, while stocks rose.",
			"Copper prices fall sharply on supply worries"},
		{"cut that keeps the verb", "A cloud of ash from the volcano is set to descend upon the 20 airports of southern Italy this week, with forecasters warning of delays.",
			"Cloud of ash from volcano set to descend upon 20 airports of southern Italy"},
		{"attribution after an inner clause", "Steel exports from South Korea were hit hard, while imports held up, the ministry reported on Friday.",
			"Steel exports from South Korea hit hard"},
		{"place between subject and verb", "A team of engineers at the Port of Santos in Sao Paulo, Brazil, has cleared the backlog of grain ships.",
			"Team of engineers at Port of Santos clears backlog of grain ships"},
		{"titles joined by and, one person", "Snopes fact checker and staff writer David Emery posted a question on Twitter about angry voters.",
			"Snopes fact checker and staff writer David Emery posts question on Twitter"},
		{"two people joined by and", "Volker and Morrison testified before the committee on Tuesday.",
			"Volker and Morrison testify before committee"},
		{"future as to", "Microsoft will invest $1 billion to speed up the development of carbon removal technology.",
			"Microsoft to invest $1 billion to speed up development of carbon removal technology"},
		{"future with an adverb", "More than a third of WeWork's 12,000 employees will likely receive notice this week.",
			"More than a third of WeWork's 12,000 employees likely to receive notice"},
		{"future after a pronoun stays", "It will take years to rebuild the port of Beirut.",
			"It will take years to rebuild port of Beirut"},
		{"bare weekday", "Volker and Morrison testified before the House Intelligence Committee Tuesday about the inquiry.",
			"Volker and Morrison testify before House Intelligence Committee about inquiry"},
		{"weekday as an object stays", "The Steelers spent Monday trying to distance themselves from the fight.",
			"Steelers spend Monday trying to distance themselves from fight"},
		{"participle phrase before the verb", "A group of physicians, alarmed that migrants are denied flu vaccines, is urging officials to accept free flu shots.",
			"Group of physicians urging officials to accept free flu shots"},
		{"participle phrase after the subject", "A team led by researchers at NASA's Goddard Space Flight Center has confirmed traces of water vapour above the surface of Jupiter's moon Europa.",
			"Team confirms traces of water vapour above surface of Jupiter's moon Europa"},
		{"-ing phrase after the subject", "Several thousand teachers wearing red surrounded the Indiana Statehouse to call for better pay and more respect from lawmakers.",
			"Several thousand teachers surround Indiana Statehouse to call for better pay and more respect"},
		{"short sentence keeps its subject whole", "Teachers wearing red surrounded the Indiana Statehouse.",
			"Teachers wearing red surround Indiana Statehouse"},
		{"contracted auxiliary keeps the participle", "We’ve completed the last round of the AdWords API Workshops.",
			"We’ve completed last round of AdWords API Workshops"},
		{"regular base of -oted", "A reader of the site noted that the index was stale.",
			"Reader of site notes that index was stale"},
		{"participle before the main verb", "Any life identified on planets orbiting white dwarfs almost certainly evolved after the star died.",
			"Any life identified on planets orbiting white dwarfs almost certainly evolved"},
		{"adverb after the subject", "Traumatised families slowly returned to their neighbourhoods.",
			"Traumatised families slowly return to their neighbourhoods"},
		{"said and a bare weekday", "Rep. Dave Brat said Wednesday that Republicans in his home state had failed to nationalize the election.",
			"Republicans in his home state had failed to nationalize election"},
		{"opener that the pronoun refers to", "When SARS-CoV-2 infects a cell, it introduces its RNA into it and re-programs it.",
			"When SARS-CoV-2 infects cell, it introduces its RNA into it and re-programs it"},
		{"long opening clause", "As Europe seeks to reduce its reliance on China for the rare earths its industries need, French researchers have found a potent ally in bacteria.",
			"French researchers find potent ally in bacteria"},
		{"adverb opener is short", "Now the company plans to cut jobs in its factories, mostly in Germany and France, by the end of 2025.",
			"Now company plans to cut jobs in its factories, mostly in Germany and France"},
		{"English openers in English only", "As prestações pagas pelas famílias aos bancos voltaram a descer, mas menos do que em anos anteriores.",
			"As prestações pagas pelas famílias aos bancos voltaram a descer"},
		{"finding with an object is news", "Facing a shortage of rare earths, French researchers have found a potent ally in bacteria.",
			"Facing shortage of rare earths, French researchers find potent ally in bacteria"},
		{"date with its year", "This blog post has been updated on September 10, 2020 with the latest benchmark results for InfluxDB.",
			"This blog post updated with latest benchmark results for InfluxDB"},
		{"most topical of the first sentences, not English", "Es war ein kalter Morgen im Norden. Der Hafen Hamburg meldet für 2024 einen Rückgang beim Umschlag von Containern. " +
			"Der Umschlag im Hafen Hamburg sank vor allem im Verkehr mit China. Die Container aus Asien fehlen dem Hafen.",
			"Der Hafen Hamburg meldet für 2024 einen Rückgang beim Umschlag von Containern"},
		{"the lead, in English", "It was a cold morning in the north. The port of Hamburg reported a fall in container traffic for 2024. " +
			"Container traffic through the port of Hamburg fell most on routes to China. Containers from Asia are missing at the port.",
			"It was a cold morning in north"},
		{"the lead after a personal opening, in English", "I have covered shipping for twenty years. The port of Hamburg handled fewer containers this year as trade with China slowed. " +
			"Container volumes at the port of Hamburg fell by a tenth. The port of Hamburg expects container trade with China to recover.",
			"Port of Hamburg handles fewer containers"},
		{"the first sentence, when a later one is only a little more topical", "Exports from Germany fell in March as orders from China dried up. " +
			"Car exports to China dropped sharply in the spring. Economists in China expect exports to recover.",
			"Exports from Germany fall in March"},
		{"progressive past", "NASA was adding five companies to its lunar delivery programme.",
			"NASA adding five companies to its lunar delivery programme"},
		{"dash without spaces", "Prices of diesel fell sharply in the spring—and for hauliers that was the best news of a hard year.",
			"Prices of diesel fall sharply in spring"},
		{"footnote mark after the full stop", "Access to Wikipedia in Turkey is being restored.* This latest development follows a ruling.",
			"Access to Wikipedia in Turkey restored"},
		{"phrase between subject and verb", "Former President Barack Obama, free of a job that forced him to move to Washington, showed up at a Chicago courthouse for jury duty.",
			"Former President Barack Obama shows up at Chicago courthouse for jury duty"},
		{"list after a name stays", "Germany, France and Italy agreed to cut tariffs on steel.",
			"Germany, France and Italy agreed to cut tariffs on steel"},
		{"weekday between commas, Portuguese", "O Presidente dos Estados Unidos declarou, esta quarta-feira, o estado de desastre no sul da Califórnia devido aos incêndios.",
			"O Presidente dos Estados Unidos declarou o estado de desastre no sul da Califórnia"},
		{"weekday, Spanish", "El Gobierno aprobó el martes un nuevo arancel sobre el acero chino.",
			"El Gobierno aprobó un nuevo arancel sobre el acero chino"},
		{"soft hyphens", "Auch in die\u00adsem Jahr wol\u00adlen wir Sie entführen.",
			"Auch in diesem Jahr wollen wir Sie entführen"},
		{"empty", "", ""},
		{"furniture only", "Share this with Email Facebook Twitter\n\nImage copyright Getty Images", ""},
		{"phrase between subject and a late verb", "A bid to oust Nissan chairman Carlos Ghosn over his alleged misreporting of income has failed after shareholders voted against it.",
			"Bid to oust Nissan chairman Carlos Ghosn fails"},
		// A description after a name goes; a name after a description
		// stays: a headline keeps its actors.
		{"description after a name", "Kurt Volker, the former special envoy to Ukraine, and Tim Morrison testified before the House Intelligence Committee.",
			"Kurt Volker and Tim Morrison testify before House Intelligence Committee"},
		{"name after a description", "The president of Brazil, Luiz Inácio Lula da Silva, signed the trade deal on Monday.",
			"President of Brazil, Luiz Inácio Lula da Silva, signed trade deal"},
		{"relative clause in a long subject", "The owner of a trawler which sank off the coast of Norway in heavy seas has described how the crew escaped in a life raft before it went down.",
			"Owner of trawler describes how crew escaped in life raft before it went down"},
		{"participle clause after the object", "Maersk chief executive and board member Vincent Clerc posted to LinkedIn asking whether shippers would pay higher rates for greener fuel.",
			"Maersk chief executive and board member Vincent Clerc posts to LinkedIn"},
		{"that clause cut before its verb", `President Barack Obama has admitted that his failure to pass "common sense gun safety laws" in the US is the greatest frustration of his presidency.`,
			`President Barack Obama admits his failure to pass "common sense gun safety laws"`},
		{"participle clause after an opening clause", "Although several women had accused the host of harassment, forcing him to pay out large settlements, the network kept its star presenter on air for months.",
			"Network keeps its star presenter on air for months"},
		{"-ing subject after an opening phrase", "In AdWords, finding the right keywords to trigger your ads is one of the main drivers of success.",
			"Finding right keywords to trigger your ads is one of the main drivers"},
		{"comma before a year ends no clause", "In preparation for improvements to bidding, starting October 26, 2015, we'll perform a one-time removal of inactive bids.",
			"We'll perform one-time removal of inactive bids"},
		{"-ored verbs", "Diverse Democratic candidates scored wins in cities across the country.",
			"Diverse Democratic candidates score wins in cities across country"},
		{"phrase holding the verb stays", "More than 70 of 113 countries surveyed for the latest Rule of Law Index report their fundamental human rights are being eroded.",
			"More than 70 of 113 countries surveyed"},
		{"article after a copula stays", "The Xbox One X is the ultimate video game system.",
			"Xbox One X is the ultimate video game system"},
		{"article in a quantity stays", "About a dozen exporters asked the EU to lift its steel quotas.",
			"About a dozen exporters ask EU to lift its steel quotas"},
		{"article after a quantity and of stays", "Most of the steel in Europe comes from Asia, the report found.",
			"Most of the steel in Europe comes from Asia"},
		{"participle before a later present tense", "Most of the steel sold in Europe comes from Asia, the report found.",
			"Most of the steel sold in Europe comes from Asia"},
		{"-ing word after a figure is no boundary", "Stack Overflow published its analysis of 2017 hiring trends based on the targeting options employers selected when posting jobs.",
			"Stack Overflow publishes its analysis of 2017 hiring trends based on targeting options employers"},
		// A German clause too long for a headline loses the phrases
		// between its auxiliary and its verb, not the verb at its end.
		{"German verb at the end", "Ab dem kommenden Jahr will die Europäische Union mit höheren Zöllen auf Elektroautos aus China den heimischen Markt schützen.",
			"Ab dem kommenden Jahr will die Europäische Union den heimischen Markt schützen"},
		{"German phrase of the verb stays", "Der Konzern hat die Branche mit ganz oder teilweise gefälschten Abgaswerten in eine schwere Krise gestürzt.",
			"Der Konzern hat die Branche in eine schwere Krise gestürzt"},
		{"German chain of phrases", "Im dritten Quartal hat der Stahlkonzern Thyssenkrupp wegen der schwachen Nachfrage aus der Autoindustrie in Europa rund 2.000 Stellen gestrichen.",
			"Im dritten Quartal hat der Stahlkonzern Thyssenkrupp rund 2.000 Stellen gestrichen"},
		{"German infinitive sein", "Bereits in den kommenden Monaten will der Uber-Konkurrent mit zehn Fahrzeugen vom Google-Tochterunternehmen unterwegs sein.",
			"Bereits in den kommenden Monaten will der Uber-Konkurrent unterwegs sein"},
		// With a modal verb ("lassen sich … entwickeln"), and the phrase
		// before the verb too when the clause is still too long.
		{"German phrase before the verb if it must", "Mit dem neuen Editor lassen sich nun auch Apps für iOS, Android und Windows Phone auf Basis von HTML und JavaScript entwickeln.",
			"Mit dem neuen Editor lassen sich nun auch Apps entwickeln"},
		// The phrase before a verb far on goes only when it holds no
		// clause: "cut" was the verb here, not "will".
		{"clause before a late verb", "The shipping group cut its profit forecast for the year on Tuesday and its chief executive says he expects that freight rates will fall.",
			"Shipping group cut its profit forecast for year"},
		// "X said that it …" becomes "X …" only with the whole of X, and
		// not when X fears or believes.
		{"speaker with a phrase", "Officials at the trade ministry in Jakarta said that they will raise export duties on nickel ore next year.",
			"Officials at trade ministry in Jakarta to raise export duties"},
		{"a fear is not the news", "Copper traders in London fear that they will lose money again this year.",
			"Copper traders in London fear that they will lose money again"},
		{"courtesy title", "Mr Johnson met Chancellor Scholz in Berlin to discuss steel tariffs.",
			"Johnson meets Chancellor Scholz in Berlin to discuss steel tariffs"},
		// A year ends its sentence: the splitter's cut after it is no
		// German ordinal's (issue 15: "Fall falls most on routes to China").
		{"year ends the sentence", "The port of Hamburg reported a fall in container traffic for 2024. Fall falls most on routes to China and the port expects no recovery.",
			"Fall in container traffic for 2024"},
		{"year ends the sentence, short", "Hamburg handled fewer containers in 2024. Traffic fell most on routes to China.",
			"Hamburg handled fewer containers in 2024"},
		{"year ends the sentence, German", "Der Hafen Hamburg meldet einen Rückgang beim Umschlag für 2024. Der Umschlag im Hafen Hamburg sank vor allem im Verkehr mit China.",
			"Der Hafen Hamburg meldet einen Rückgang beim Umschlag für 2024"},
		// German ordinals stay in their sentence.
		{"ordinal century", "Die Kirche wurde im 15. Jahrhundert gebaut und steht am Markt.",
			"Die Kirche wurde im 15. Jahrhundert gebaut und steht am Markt"},
		{"ordinal day", "Am 3. Oktober 2024 wurde die Brücke für den Verkehr geöffnet.",
			"Am 3. Oktober 2024 wurde die Brücke für den Verkehr geöffnet"},
		{"ordinal in a name", "Der 1. FC Köln hat seinen Trainer entlassen.",
			"Der 1. FC Köln hat seinen Trainer entlassen"},
		{"large ordinal before the noun it counts", "Zum 50. Geburtstag des Hafens kamen Tausende an die Elbe.",
			"Zum 50. Geburtstag des Hafens kamen Tausende an die Elbe"},
		// A place and a colon open a feed item; a label or a speaker stays.
		{"colon dateline", "New Delhi: India raised import duties on gold and silver on Tuesday.",
			"India raises import duties on gold and silver"},
		{"colon dateline in capitals", "MANGALURU: Karnataka Bank has promoted its general manager to chief general manager.",
			"Karnataka Bank promotes its general manager to chief general manager"},
		{"colon dateline with a date", "Bengaluru, May 3: India raised import duties on gold and silver on Tuesday.",
			"India raises import duties on gold and silver"},
		{"colon dateline, German", "Berlin: Die Bundesregierung hat die Zölle auf Stahl aus China erhöht.",
			"Die Bundesregierung hat die Zölle auf Stahl aus China erhöht"},
		{"update label stays", "Update: Maersk plans to cut 10,000 jobs in its logistics arm.",
			"Update: Maersk plans to cut 10,000 jobs in its logistics arm"},
		{"analysis label stays", "Analysis: China's steel exports are set to hit a record this year.",
			"Analysis: China's steel exports set to hit record"},
		{"exclusive label stays", "Exclusive: Maersk plans to cut 10,000 jobs in its logistics arm.",
			"Exclusive: Maersk plans to cut 10,000 jobs in its logistics arm"},
		{"speaker stays", "Lagarde: rates will stay high for longer than markets expect.",
			"Lagarde: rates to stay high for longer than markets expect"},
		// A person's name of two words and a colon is a speaker, not a
		// place, though a capital follows it.
		{"speaker of two words stays", "Dan Webb: The first thing that you might notice is that permalink URLs are now simpler.",
			"Dan Webb: The first thing that you might notice is that permalink URLs"},
		{"speaker before a clause after a colon", "Henri Sivonen: This getting interesting: using an Android phone as an Ubuntu desktop when docked.",
			"Henri Sivonen: This getting interesting: using Android phone as Ubuntu desktop when docked"},
		// A place before a quotation whose speaker the sentence names after it.
		{"colon dateline before a quotation", "Mangaluru: “Banking is now at the finger tips of the masses” said Shri Mahabaleshwara M S, Managing Director.",
			"“Banking is now at finger tips of masses”"},
		{"participle after a possessive", "Bengaluru, May 4: Pope Francis’ newly appointed ambassador to India will preside over a public function.",
			"Pope Francis’ newly appointed ambassador to India to preside over public function"},
		// A cut keeps a phrase's parts together: the year of a date, the
		// measure of time of a clause, a participle's agent, an adverb's
		// word.
		{"year of a date in an opening phrase", "Starting in late April, 2016, AdWords will begin rolling out a new calculation for impression share.",
			"AdWords to begin rolling out new calculation for impression share"},
		{"measure of time goes with its clause", "The port of Rotterdam reopened its container terminals two days after a cyber attack shut down the customs systems of the Netherlands.",
			"Port of Rotterdam reopens its container terminals"},
		{"measure of time at the limit", "Kalonzo Musyoka, a former vice-president, says he was the victim of an assassination attempt hours after an opposition rally in Nairobi.",
			"Kalonzo Musyoka was the victim of assassination attempt"},
		{"participle keeps its agent", "Corporation Bank bags 2 awards for the year 2016 instituted by the Chamber of Indian Micro Small and Medium Enterprises in Mumbai.",
			"Corporation Bank bags 2 awards"},
		{"adverb keeps its verb", "Casting glamorous actors as killers, cult leaders and disgraced skaters they do not physically resemble is one of Hollywood's oldest habits.",
			"Casting glamorous actors as killers, cult leaders and disgraced skaters"},
		{"one word after a comma goes", "Americans who visit Cuba must now avoid hotels, shops and restaurants run by the military under new rules published by the State Department on Wednesday.",
			"Americans who visit Cuba must now avoid hotels"},
		{"verb after a comma stays", "Comics, including Stephen Colbert, Trevor Noah and Jimmy Kimmel, reacted to the first State of the Union address of the president on Tuesday night with jokes.",
			"Comics, including Stephen Colbert, Trevor Noah and Jimmy Kimmel, reacted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Headline(tt.in)
			if got != tt.want {
				t.Errorf("Headline = %q\n                 want %q", got, tt.want)
			}
			if n := len(strings.Fields(got)); n > MaxDerivedHeadlineWords {
				t.Errorf("%d words", n)
			}
			if EndsBadly(got) {
				t.Errorf("%q ends badly", got)
			}
		})
	}
}

func TestHeadline_quotes(t *testing.T) {
	// A cut inside a quotation closes it rather than leave it open.
	got := Headline(`The minister said the deal was "a historic step towards free and fair trade between our two great nations and their peoples for decades to come".`)
	if EndsBadly(got) || strings.Count(got, `"`)%2 != 0 {
		t.Errorf("Headline = %q: quote left open", got)
	}
	if got := Headline(`Exporters face “the worst year since 2009 for orders from Asia and Europe and the rest of the world combined” according to the survey.`); EndsBadly(got) {
		t.Errorf("Headline = %q: ends badly", got)
	}
}

func TestEndsBadly(t *testing.T) {
	for _, h := range []string{
		"Japan and the United States failed to make progress on",
		"EU to impose duties on the",
		`Minister calls deal "historic`,
		"Talks stall (again",
		"Zölle steigen für die",
		"Le gouvernement annonce une hausse de",
		"Der Konzern verkauft sein", // a possessive, no infinitive
		"O presidente morreu aos 90 anos na sua",
		"Il governo annuncia un aumento della",
		"Die Lieferungen sollen bald wieder und sein",
	} {
		if !EndsBadly(h) {
			t.Errorf("EndsBadly(%q) = false", h)
		}
	}
	for _, h := range []string{
		"Japan and US fail to agree on TPP",
		`Minister calls deal "historic"`,
		"Korea's exports rise 5%",
		"Exporters' margins shrink",
		"Talks stall (again)",
		"Will the tariff truce hold?",
		"Die Lieferungen sollen bald wieder möglich sein",
		"Das Werk soll noch in diesem Jahr geprüft werden",
		"",
	} {
		if EndsBadly(h) {
			t.Errorf("EndsBadly(%q) = true", h)
		}
	}
}

func TestIsFurniture(t *testing.T) {
	for _, s := range []string{
		"Media playback is unsupported on your device",
		"The event on 27",
		"Share this withEmailFacebookMessengerMessengerTwitterPinterestWhatsAppLinkedInCopy",
		"Image copyright Getty Images",
		"JIM WATSON/AFP/Getty Images",
		"The Moulin Rouge cabaret in Paris Benoit Tessier/Reuters",
		"22 Dec, 2016 22 Dec, 2016",
		"11.09.2011, 16:20 von jovelstefan",
		"2/26/2015 7:11 AM PST BY TMZ",
		"By Jane Doe, Reuters",
		"LOOK WHAT YOU MADE ME DO",
		"Biz & IT —",
		"Home » News » Trade",
		"Claim",
		"(All photos: Atlas staff)",
		"Durchschnittliche Bewertung:(2 Bewertungen)Melde dich an, um eine Bewertung abzugeben",
		"Last updated 3 hours ago",
		"5 min read",
		"Sign up for our daily trade briefing",
		"Read more: Tariffs on steel",
		"Please enable JavaScript to view the comments",
		"JavaScript is disabled in your browser",
		"Lesen Sie auch: Zölle auf Stahl",
		"Insgesamt online: 1 Gäste: 1 Benutzer: 0",
		"Views: 1,234 Comments: 5",
		"Home > News > Trade",
		"Reporting by Jane Doe; Editing by John Roe",
		"Additional reporting by Jane Doe in Geneva",
		"Sunday 6 December 2026 04.05 GMT",
		"",
	} {
		if !IsFurniture(s) {
			t.Errorf("IsFurniture(%q) = false", s)
		}
	}
	for _, s := range []string{
		"EU imposes duties on Chinese steel",
		"Ein Albtraum",
		"Japan, US fail to agree on TPP",
		"Will the tariff truce hold?",
		"The European Commission on Tuesday proposed new duties on electric vehicles imported from China.",
		"Shares of Maersk fell 7% after the group cut its forecast.",
		"By the end of the week prices had risen 5%.",
		"Photography exports from Kenya rose in 2024.",
		"iPhone sales in China fall 20%",
		"Exports rose 5% in 2024: 3 reasons the rally will last",
		"Prices > costs for the first time in a decade at European steel mills",
		"Reporting on tariffs by trade journalists has grown, a study finds.",
		"Sunday trading rules eased as shops reopen",
		"Natural substances are biologically active components produced by organisms.",
		"McDonald's raises prices in the UK",
		"Subscribers to the tariff service rose 5%.",
		"Der instanceof-Operator in JavaScript kann problematisch sein.",
	} {
		if IsFurniture(s) {
			t.Errorf("IsFurniture(%q) = true", s)
		}
	}
}

func BenchmarkHeadline(b *testing.B) {
	text := strings.Repeat("WASHINGTON (Reuters) - The U.S. Commerce Department on Monday extended anti-dumping duties on Chinese steel pipes for five years, officials said, as talks with Beijing stalled.\n\nImporters objected to the move. ", 4)
	b.ReportAllocs()
	for b.Loop() {
		Headline(text)
	}
}

// BenchmarkHeadline_German is a text not in English, whose headline is
// chosen among its first three sentences.
func BenchmarkHeadline_German(b *testing.B) {
	text := strings.Repeat("Es war ein kalter Morgen im Norden, und die Kräne standen still. Der Hafen Hamburg meldet für 2024 einen Rückgang beim Umschlag von Containern um fünf Prozent. Der Umschlag im Hafen Hamburg sank vor allem im Verkehr mit China.\n\n", 4)
	b.ReportAllocs()
	for b.Loop() {
		Headline(text)
	}
}

func TestHeadline_bounded(t *testing.T) {
	// A 4 MB text with one endless sentence: the writer reads its top only.
	long := "Tariffs " + strings.Repeat("rise again and ", 300_000) + "fall."
	got := Headline(long)
	if n := len(strings.Fields(got)); n == 0 || n > MaxDerivedHeadlineWords || EndsBadly(got) {
		t.Errorf("Headline of a 4 MB sentence = %q", got)
	}
}

func TestFitClause(t *testing.T) {
	tests := []struct{ in, want string }{
		// "that" after a verb of saying or admitting goes rather than
		// open a clause the cut leaves without its verb.
		{"Obama admits that his failure to pass common sense gun safety laws in the US is his greatest frustration",
			"Obama admits his failure to pass common sense gun safety laws"},
		// A relative clause without its verb is cut off.
		{"Board names new chief executive who after a long search of more than nine months abroad finally accepted",
			"Board names new chief executive"},
		// What a cut leaves of a clause after a colon goes.
		{"Latest wave of tech-based financial startups have new angle on banking sector: They’ll assume that everyone is out of money",
			"Latest wave of tech-based financial startups have new angle on banking sector:"},
		// A clause with its verb stays.
		{"Every March we recognize women who shape history and this year we celebrate ten of them",
			"Every March we recognize women who shape history"},
		// A cut at a comma does not keep a second verb without its object.
		{"Rechtsanwalt Thomas Schulte liefert eine Einschätzung zum EuGH-Urteil zu Google und zeigt, welche Möglichkeiten Nutzer haben",
			"Rechtsanwalt Thomas Schulte liefert eine Einschätzung zum EuGH-Urteil zu Google"},
		// Nor one after a verb of saying in the present, or a subject
		// pronoun, whose clause it took.
		{"Steel buyers in Europe have been hoarding coils for months and many now fear that prices will rise",
			"Steel buyers in Europe have been hoarding coils for months"},
		{"Union leaders at the port of Rotterdam rejected the offer, but they say that talks can resume next week",
			"Union leaders at the port of Rotterdam rejected the offer,"},
		// Nor a cut between two modifiers of one noun.
		{"Merger of Gannett and GateHouse Media to create a stronger and more viable news enterprise with deep local roots",
			"Merger of Gannett and GateHouse Media"},
	}
	for _, tt := range tests {
		if got := strings.Join(fitClause(strings.Fields(tt.in), MaxDerivedHeadlineWords, ""), " "); got != tt.want {
			t.Errorf("fitClause(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGoesOn(t *testing.T) {
	tests := []struct {
		s, next string
		want    bool
	}{
		{"Die Kirche wurde im 15.", "Jahrhundert gebaut.", true},
		{"Am 3.", "Oktober 2024 wurde die Brücke geöffnet.", true},
		{"Der 1.", "FC Köln hat seinen Trainer entlassen.", true},
		{"Zum 50.", "Geburtstag kamen Tausende.", true},
		{"Die Brücke steht an der", "Elbe.", true}, // a function word
		{"The port reported a fall in traffic for 2024.", "Fall falls most on routes to China.", false},
		{"Der Hafen meldet einen Rückgang für 2024.", "Der Umschlag sank.", false},
		{"Die Zahl der Fahrten stieg auf 150.", "Die Bahn rechnet mit mehr.", false},
		{"Die Zahl der Fahrten stieg auf 2.000.", "Die Bahn rechnet mit mehr.", false},
		{"Prices fell sharply.", "Traders sold.", false},
	}
	for _, tt := range tests {
		if got := goesOn(tt.s, tt.next); got != tt.want {
			t.Errorf("goesOn(%q, %q) = %v, want %v", tt.s, tt.next, got, tt.want)
		}
	}
}

func TestStripDateline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Bengaluru: The state government raised the tax.", "The state government raised the tax."},
		{"New Delhi: India raised duties.", "India raised duties."},
		{"Bengaluru, May 3: India raised duties.", "India raised duties."},
		{"Paris : La France relève ses droits.", "La France relève ses droits."},
		{"Update: Maersk cuts jobs.", "Update: Maersk cuts jobs."},
		{"Breaking News: Maersk cuts jobs.", "Breaking News: Maersk cuts jobs."},
		{"Editor's Note: This story was updated.", "Editor's Note: This story was updated."},
		{"Lagarde: rates will stay high.", "Lagarde: rates will stay high."},
		{"Lagarde: “Rates will stay high.”", "Lagarde: “Rates will stay high.”"},
		{"Bengaluru:", "Bengaluru:"},
		{"Dan Webb: The first thing you notice is the URL.", "Dan Webb: The first thing you notice is the URL."},
		{"Henri Sivonen: This is getting interesting.", "Henri Sivonen: This is getting interesting."},
		{"San Diego: The council banned plastic bags.", "The council banned plastic bags."},
		{"NEW DELHI: India raised duties.", "India raised duties."},
		{"Mangaluru: “Banking is literacy” said Shri Mahabaleshwara.", "“Banking is literacy” said Shri Mahabaleshwara."},
		{"Lagarde: “Rates will stay high,” she said.", "Lagarde: “Rates will stay high,” she said."},
		{"The ministry said on Monday: Duties rise.", "The ministry said on Monday: Duties rise."},
	}
	for _, tt := range tests {
		if got := stripDateline(tt.in); got != tt.want {
			t.Errorf("stripDateline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
