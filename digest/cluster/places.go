package cluster

import (
	"strings"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// placeTable lists the places trade news names, one per line: a canonical
// code, then the names, demonyms and seats of government that stand for
// it ("Beijing vows response" is China speaking), and the trade blocs
// of a region (Mercosur: "EU-Mercosur pact" and "South American trade
// pact" are one). Names are matched case-insensitively but only when
// written with a capital, so "turkey", "china" and "chile" in lower case
// stay words. The longest name wins, so
// a name that contains another place's name has a line of its own (Latin
// America is not the US, New Mexico not Mexico, Papua New Guinea not
// Guinea). A place missing here is still a name, but its demonym and
// capital do not meet it ("Zambian", "Lusaka", "Zambia").
const placeTable = `
eu: European Union, EU, E.U., Brussels, European Commission, European, Europe
us: United States, United States of America, US, U.S., USA, America, American, Americans, Washington, White House, Capitol Hill
gb: United Kingdom, UK, U.K., Britain, Great Britain, British, London, GB, Downing Street, Whitehall
cn: China, Chinese, Beijing, PRC, People's Republic of China, Sino
jp: Japan, Japanese, Tokyo
kr: South Korea, South Korean, Korea, Korean, Seoul
kp: North Korea, North Korean, Pyongyang
in: India, Indian, New Delhi, Delhi
au: Australia, Australian, Australians, Canberra
nz: New Zealand, New Zealander, Wellington
ca: Canada, Canadian, Canadians, Ottawa
mx: Mexico, Mexican, Mexico City
br: Brazil, Brazilian, Brasilia
ar: Argentina, Argentine, Argentinian, Buenos Aires
cl: Chile, Chilean
pe: Peru, Peruvian, Lima
co: Colombia, Colombian, Bogota
uy: Uruguay, Uruguayan, Montevideo
py: Paraguay, Paraguayan, Asuncion
ec: Ecuador, Ecuadorian, Quito
ve: Venezuela, Venezuelan, Caracas
bo: Bolivia, Bolivian
cu: Cuba, Cuban, Havana
id: Indonesia, Indonesian, Jakarta
my: Malaysia, Malaysian, Kuala Lumpur
th: Thailand, Thai, Bangkok
vn: Vietnam, Viet Nam, Vietnamese, Hanoi
ph: Philippines, Philippine, Filipino, Manila
sg: Singapore, Singaporean
tw: Taiwan, Taiwanese, Taipei
hk: Hong Kong
bd: Bangladesh, Bangladeshi, Dhaka
pk: Pakistan, Pakistani, Islamabad
lk: Sri Lanka, Sri Lankan, Colombo
kh: Cambodia, Cambodian, Phnom Penh
mm: Myanmar, Burmese
ru: Russia, Russian, Moscow, Kremlin
ua: Ukraine, Ukrainian, Kyiv, Kiev
by: Belarus, Belarusian, Minsk
md: Moldova, Moldovan, Chisinau
kz: Kazakhstan, Kazakh, Astana
tr: Turkey, Turkiye, Turkish, Ankara
de: Germany, German, Berlin
fr: France, French, Paris, Elysee, Élysée
it: Italy, Italian, Rome
es: Spain, Spanish, Madrid
pt: Portugal, Portuguese, Lisbon
nl: Netherlands, Dutch, The Hague, Holland
be: Belgium, Belgian
pl: Poland, Polish, Warsaw
ie: Ireland, Irish, Dublin
at: Austria, Austrian, Vienna
ch: Switzerland, Swiss, Bern
se: Sweden, Swedish, Stockholm
no: Norway, Norwegian, Oslo
dk: Denmark, Danish, Copenhagen
fi: Finland, Finnish, Helsinki
gr: Greece, Greek, Athens
hu: Hungary, Hungarian, Budapest
cz: Czech Republic, Czechia, Czech, Prague
ro: Romania, Romanian, Bucharest
il: Israel, Israeli, Jerusalem
ir: Iran, Iranian, Tehran
iq: Iraq, Iraqi, Baghdad
sa: Saudi Arabia, Saudi, Riyadh
ae: United Arab Emirates, UAE, Emirati, Abu Dhabi
qa: Qatar, Qatari, Doha
eg: Egypt, Egyptian, Cairo
ma: Morocco, Moroccan, Rabat
za: South Africa, South African, Pretoria
ng: Nigeria, Nigerian, Abuja
ke: Kenya, Kenyan, Nairobi
et: Ethiopia, Ethiopian, Addis Ababa
gh: Ghana, Ghanaian, Accra
ci: Ivory Coast, Cote d'Ivoire, Ivorian
gn: Guinea, Guinean, Conakry
cd: Democratic Republic of Congo, Democratic Republic of the Congo, DR Congo, DRC, Congo, Congolese, Kinshasa
zm: Zambia, Zambian, Lusaka
zw: Zimbabwe, Zimbabwean, Harare
tz: Tanzania, Tanzanian, Dodoma
mz: Mozambique, Mozambican, Maputo
ao: Angola, Angolan, Luanda
na: Namibia, Namibian, Windhoek
bw: Botswana, Gaborone
sn: Senegal, Senegalese, Dakar
cm: Cameroon, Cameroonian, Yaounde
dz: Algeria, Algerian, Algiers
tn: Tunisia, Tunisian, Tunis
ly: Libya, Libyan, Tripoli
om: Oman, Omani, Muscat
kw: Kuwait, Kuwaiti
bh: Bahrain, Bahraini, Manama
sy: Syria, Syrian, Damascus
ye: Yemen, Yemeni, Sanaa
lb: Lebanon, Lebanese, Beirut
af: Afghanistan, Afghan, Kabul
uz: Uzbekistan, Uzbek, Tashkent
az: Azerbaijan, Azerbaijani, Baku
am: Armenia, Armenian, Yerevan
rs: Serbia, Serbian, Belgrade
hr: Croatia, Croatian, Zagreb
sk: Slovakia, Slovak, Bratislava
si: Slovenia, Slovenian, Ljubljana
bg: Bulgaria, Bulgarian
lt: Lithuania, Lithuanian, Vilnius
lv: Latvia, Latvian, Riga
ee: Estonia, Estonian, Tallinn
lu: Luxembourg
is: Iceland, Icelandic, Reykjavik
cy: Cyprus, Cypriot, Nicosia
mt: Malta, Maltese, Valletta
pa: Panama, Panamanian, Panama City
cr: Costa Rica, Costa Rican
gt: Guatemala, Guatemalan, Guatemala City
hn: Honduras, Honduran, Tegucigalpa
do: Dominican Republic, Dominican, Santo Domingo
np: Nepal, Nepalese, Nepali, Kathmandu
mn: Mongolia, Mongolian, Ulaanbaatar
la: Laos, Lao, Vientiane
bn: Brunei
pg: Papua New Guinea
gq: Equatorial Guinea
gw: Guinea-Bissau
latam: Latin America, Latin American, South America, South American, Central America, Central American, Mercosur, Mercosul
us-nm: New Mexico
`

// placeTrie maps lower-case word sequences to codes (of places, or of
// the bodies of nicknameTable).
type placeTrie struct {
	names map[string]string
	first *wordFilter // the names' first words (see seal)
	// steps holds, for match, the names and the first words of names
	// (see seal).
	steps map[string]trieStep
}

// trieStep is what a placeTrie knows of some words: the code of the name
// they are ("" when none) and whether they are the first words of a
// longer name.
type trieStep struct {
	code string
	more bool
}

// places is built on first use, not in the package initialiser.
var places = lazy.Value[placeTrie]{Build: func() placeTrie { return newPlaceTrie(placeTable, "@") }}

// newPlaceTrie reads a table of lines "code: name, name, ..." and gives
// each name the code with prefix before it.
func newPlaceTrie(table, prefix string) placeTrie {
	t := placeTrie{names: map[string]string{}}
	eachTableLine(table, func(code string, names []string) {
		code = prefix + code
		for _, n := range names {
			t.add(n, code)
		}
	})
	return t.seal()
}

// add gives name, tokenised as articles are, the code, and returns its
// words.
func (t placeTrie) add(name, code string) []string {
	var words []string
	for _, tok := range nlp.Tokens(name) {
		words = append(words, tok.Word)
	}
	if len(words) > 0 {
		t.names[strings.Join(words, " ")] = code
	}
	return words
}

// maxPlaceWords is the longest place name in words.
const maxPlaceWords = 5

// canonicalPlaces returns toks with every capitalised place name replaced
// by one token whose Word and Stem are the place's code ("@cn") and which
// counts as a name. Other tokens are kept as they are. It rewrites toks
// in place, as canonicalActors does.
func canonicalPlaces(toks []nlp.Token) []nlp.Token {
	first := -1
	for i := range toks {
		if !startsUpper(toks[i].Surface) { // no place starts here: match's first test, without the call
			continue
		}
		if n, _ := matchPlace(toks[i:]); n > 0 {
			first = i
			break
		}
	}
	if first < 0 {
		return toks
	}
	out := toks[:first]
	for i := first; i < len(toks); {
		n, code := 0, ""
		if startsUpper(toks[i].Surface) {
			n, code = matchPlace(toks[i:])
		}
		if n == 0 {
			if len(out) == i {
				out = out[:i+1] // in its place already: a copy onto itself costs write barriers
			} else {
				out = append(out, toks[i])
			}
			i++
			continue
		}
		out = append(out, nlp.Token{Word: code, Stem: code, Surface: toks[i].Surface, Cap: true, SentenceStart: toks[i].SentenceStart})
		i += n
	}
	return out
}

// matchPlace returns how many tokens at the start of toks name a place,
// longest first, and its code; 0 when none does.
func matchPlace(toks []nlp.Token) (int, string) { return places.Get().match(toks) }
