package cluster

import (
	"slices"
	"strings"
	"unicode"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/nlp"
)

// One outlet names the actor of an event ("Maersk to resume Suez
// routings"), another describes it ("Danish carrier to send ships back
// through the Red Sea", "the Wolfsburg-based group", "the Riyadh-led
// alliance"), and the two reports then share no name. The gazetteer lists
// the large actors of trade news with their country, their seat and the
// kind of business they are in, so that a description in one report meets
// the name in another as a shared entity key.
//
// A description is evidence only where another article names an actor it
// fits: two articles that each write "the German carmaker" may mean two
// carmakers, and two articles that name two German carmakers are not
// thereby about one (entry.descr). An article that names an actor its own
// description fits is taken to describe that actor, and its description
// adds nothing. The gazetteer also makes the names of one actor one name
// ("VW" and "Volkswagen", "A.P. Moller-Maersk" and "Maersk": see
// canonicalActors).

// gazetteerTable lists the actors, one a line: the key, the names
// (matched like places, see placeTable; a name written in capitals only
// matches as written), the place codes of its country (or of the countries
// it belongs to), its seat ("-" when its seat is a capital, which is a
// place already), and its kinds of business (see descriptorNouns). A
// producer group's line gives its leaders after "led:", whose
// demonym or capital then describes it ("the Saudi-led group").
//
// The actors were chosen by size, sector by sector, not from reports: the
// ten or so largest container lines; the largest carmakers by sales; the
// largest chipmakers and chip-tool makers by revenue; the largest miners,
// steelmakers, oil companies (majors and state companies) and agricultural
// traders; the two planemakers and their nearest rivals; the largest
// battery makers and electronics groups in trade disputes; the largest
// airlines; the producer groups and the trade and financial bodies.
const gazetteerTable = `
maersk | Maersk, A.P. Moller-Maersk, AP Moller-Maersk, Moller-Maersk, Maersk Line | dk | - | carrier
msc | MSC, Mediterranean Shipping Company, Mediterranean Shipping Co | ch | Geneva | carrier
cmacgm | CMA CGM | fr | Marseille | carrier
cosco | COSCO, Cosco, Cosco Shipping, COSCO Shipping, China Cosco Shipping, China COSCO Shipping | cn | Shanghai | carrier
hapaglloyd | Hapag-Lloyd, Hapag Lloyd | de | Hamburg | carrier
oceannetworkexpress | Ocean Network Express | jp | Singapore | carrier
evergreen | Evergreen Marine, Evergreen Line | tw | - | carrier
hmm | HMM, Hyundai Merchant Marine | kr | - | carrier
yangming | Yang Ming | tw | Keelung | carrier
zim | ZIM, Zim Integrated Shipping | il | Haifa | carrier
toyota | Toyota, Toyota Motor | jp | - | auto
volkswagen | Volkswagen, VW, Volkswagen Group, Volkswagen AG | de | Wolfsburg | auto
hyundai | Hyundai Motor, Hyundai | kr | - | auto
kia | Kia | kr | - | auto
stellantis | Stellantis | nl, fr, it | Amsterdam | auto
generalmotors | General Motors, GM | us | Detroit | auto
ford | Ford, Ford Motor | us | Dearborn | auto
honda | Honda | jp | - | auto
nissan | Nissan | jp | Yokohama | auto
bmw | BMW | de | Munich | auto
mercedes | Mercedes-Benz, Mercedes, Daimler | de | Stuttgart | auto
renault | Renault | fr | - | auto
byd | BYD | cn | Shenzhen | auto, battery
geely | Geely | cn | Hangzhou | auto
saic | SAIC, SAIC Motor | cn | Shanghai | auto
tesla | Tesla | us | Austin | auto
suzuki | Suzuki | jp | Hamamatsu | auto
tatamotors | Tata Motors | in | Mumbai | auto
volvocars | Volvo Cars | se | Gothenburg | auto
porsche | Porsche | de | Stuttgart | auto
jlr | Jaguar Land Rover, JLR | gb | Coventry | auto
tsmc | TSMC, Taiwan Semiconductor Manufacturing, Taiwan Semiconductor | tw | Hsinchu | chip
samsung | Samsung, Samsung Electronics | kr | Suwon | chip, tech
skhynix | SK Hynix, Hynix | kr | Icheon | chip
intel | Intel | us | Santa Clara | chip
nvidia | Nvidia, NVIDIA | us | Santa Clara | chip
amd | AMD, Advanced Micro Devices | us | Santa Clara | chip
qualcomm | Qualcomm | us | San Diego | chip
broadcom | Broadcom | us | Palo Alto | chip
micron | Micron, Micron Technology | us | Boise | chip
texasinstruments | Texas Instruments | us | Dallas | chip
asml | ASML | nl | Veldhoven | chip
infineon | Infineon | de | Munich | chip
nxp | NXP | nl | Eindhoven | chip
stmicro | STMicroelectronics, STMicro | ch, fr, it | Geneva | chip
smic | SMIC, Semiconductor Manufacturing International | cn | Shanghai | chip
mediatek | MediaTek | tw | Hsinchu | chip
appliedmaterials | Applied Materials | us | Santa Clara | chip
tokyoelectron | Tokyo Electron | jp | - | chip
bhp | BHP | au | Melbourne | mining
riotinto | Rio Tinto | gb, au | - | mining
vale | Vale | br | Rio de Janeiro | mining
glencore | Glencore | ch | Baar | mining
angloamerican | Anglo American | gb | - | mining
freeport | Freeport-McMoRan, Freeport | us | Phoenix | mining
codelco | Codelco | cl | Santiago | mining
newmont | Newmont | us | Denver | mining
barrick | Barrick, Barrick Gold | ca | Toronto | mining
fortescue | Fortescue | au | Perth | mining
zijin | Zijin, Zijin Mining | cn | Xiamen | mining
nornickel | Nornickel, Norilsk Nickel | ru | - | mining
arcelormittal | ArcelorMittal | lu | - | steel
nipponsteel | Nippon Steel | jp | - | steel
baowu | Baowu, China Baowu | cn | Shanghai | steel
posco | POSCO, Posco | kr | Pohang | steel
tatasteel | Tata Steel | in | Mumbai | steel
ussteel | U.S. Steel, US Steel, United States Steel | us | Pittsburgh | steel
thyssenkrupp | Thyssenkrupp, ThyssenKrupp | de | Essen | steel
nucor | Nucor | us | Charlotte | steel
aramco | Aramco, Saudi Aramco | sa | Dhahran | oil
exxonmobil | ExxonMobil, Exxon Mobil, Exxon | us | Houston | oil
chevron | Chevron | us | Houston | oil
shell | Shell | gb | - | oil
bp | BP | gb | - | oil
totalenergies | TotalEnergies | fr | - | oil
eni | Eni | it | - | oil
equinor | Equinor | no | Stavanger | oil
conocophillips | ConocoPhillips | us | Houston | oil
petrochina | PetroChina | cn | - | oil
sinopec | Sinopec | cn | - | oil
cnooc | CNOOC | cn | - | oil
rosneft | Rosneft | ru | - | oil
gazprom | Gazprom | ru | - | oil
lukoil | Lukoil | ru | - | oil
petrobras | Petrobras | br | Rio de Janeiro | oil
pemex | Pemex | mx | - | oil
adnoc | ADNOC | ae | - | oil
qatarenergy | QatarEnergy | qa | - | oil
repsol | Repsol | es | - | oil
reliance | Reliance Industries | in | Mumbai | oil
boeing | Boeing | us | Arlington | aero
airbus | Airbus | fr, de | Toulouse | aero
embraer | Embraer | br | Sao Paulo | aero
comac | COMAC, Comac | cn | Shanghai | aero
cargill | Cargill | us | Minneapolis | agri
adm | ADM, Archer-Daniels-Midland, Archer Daniels Midland | us | Chicago | agri
bunge | Bunge | us | - | agri
louisdreyfus | Louis Dreyfus | nl, fr | Rotterdam | agri
cofco | COFCO, Cofco | cn | - | agri
wilmar | Wilmar | sg | - | agri
catl | CATL, Contemporary Amperex Technology | cn | Ningde | battery
lgenergy | LG Energy Solution | kr | - | battery
panasonic | Panasonic | jp | Osaka | battery, tech
huawei | Huawei | cn | Shenzhen | tech
zte | ZTE | cn | Shenzhen | tech
foxconn | Foxconn, Hon Hai | tw | - | tech
apple | Apple | us | Cupertino | tech
lufthansa | Lufthansa | de | Frankfurt | carrier
airfrance | Air France-KLM, Air France | fr | - | carrier
emirates | Emirates | ae | Dubai | carrier
delta | Delta Air Lines | us | Atlanta | carrier
united | United Airlines | us | Chicago | carrier
opec | OPEC, Organization of the Petroleum Exporting Countries, OPEC Plus | led: sa | Vienna | bloc
wto | WTO, World Trade Organization, World Trade Organisation | - | Geneva | body
imf | IMF, International Monetary Fund | - | - | body
worldbank | World Bank | - | - | body
oecd | OECD | - | - | body
iea | IEA, International Energy Agency | - | - | body
asean | ASEAN, Asean | - | Jakarta | bloc
`

// descriptorNouns are the nouns that describe an actor of a kind of
// business after its country or seat ("the Danish carrier", "a South
// Korean chipmaker"), singular only: "Chinese carmakers" describe no one
// actor. A noun that names a business in general ("group", "company")
// takes the kind of business of a word before it ("shipping group",
// "oil major"); with none it describes any actor of the country or seat.
var descriptorNouns = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{
		"carrier": "carrier", "shipper": "carrier", "liner": "carrier", "airline": "carrier",
		"automaker": "auto", "carmaker": "auto",
		"chipmaker": "chip", "foundry": "chip",
		"miner":      "mining",
		"steelmaker": "steel",
		"driller":    "oil", "refiner": "oil",
		"planemaker": "aero",
		"alliance":   "bloc", "cartel": "bloc", "bloc": "bloc", "grouping": "bloc",
		"body": "body", "organisation": "body", "organization": "body", "watchdog": "body", "lender": "body",
		"group": "any", "company": "any", "firm": "any", "giant": "any", "major": "any", "conglomerate": "any",
		"maker": "any", "manufacturer": "any", "producer": "any", "operator": "any", "line": "any",
	}
}}

// descriptorKinds are the words before a general noun that give its kind
// of business ("shipping group", "chip giant", "oil major").
var descriptorKinds = lazy.Value[map[string]string]{Build: func() map[string]string {
	return map[string]string{
		"shipping": "carrier", "container": "carrier", "maritime": "carrier", "boxship": "carrier", "air": "carrier", "aviation": "carrier",
		"car": "auto", "auto": "auto", "motor": "auto", "automotive": "auto", "vehicle": "auto",
		"chip": "chip", "semiconductor": "chip", "memory": "chip", "microchip": "chip",
		"mining": "mining", "mineral": "mining", "resources": "mining",
		"steel": "steel",
		"oil":   "oil", "energy": "oil", "petroleum": "oil", "crude": "oil",
		"aircraft": "aero", "aerospace": "aero", "plane": "aero", "jet": "aero",
		"grain": "agri", "agricultural": "agri", "agribusiness": "agri", "commodity": "agri", "commodities": "agri",
		"battery": "battery",
		"tech":    "tech", "technology": "tech", "electronics": "tech", "smartphone": "tech", "telecom": "tech", "telecoms": "tech",
		"producer": "bloc", "trade": "body",
		// A ship is no shipping line: "the Panama-flagged bulk carrier".
		"bulk": "-", "lng": "-", "lpg": "-", "ore": "-", "tanker": "-", "flagged": "-", "registered": "-",
	}
}}

// descriptorAdjectives may stand before a general noun without changing
// what it describes ("the biggest group"); any other word before it names
// a business the gazetteer does not sort ("a Chinese drone maker", "the
// terminal operator"), and the noun then describes no actor of it.
var descriptorAdjectives = lazy.Value[map[string]bool]{Build: func() map[string]bool {
	return map[string]bool{
		"biggest": true, "largest": true, "big": true, "top": true, "leading": true, "state": true, "owned": true,
		"listed": true, "rival": true, "struggling": true, "embattled": true, "troubled": true, "global": true,
		"giant": true, "world": true,
	}
}}

// maxDescriptorWords is how many words may stand between a country or seat
// and the noun that describes the actor ("Europe's biggest automaker",
// "the Danish shipping and logistics group").
const maxDescriptorWords = 3

// gazetteerActor is one line of gazetteerTable.
type gazetteerActor struct {
	key     string   // the canonical token's Word: "&" and the line's key
	surface string   // the canonical token's Surface: its first name
	places  []string // place codes ("@dk"), with their regions
	seat    string   // the seat's key (lower-case words), "" for none
	leaders []string // place codes of a group's leaders
	kinds   []string // kinds of business (descriptorNouns' values)
}

// gazetteerSet is the gazetteer as read from its table.
type gazetteerSet struct {
	names  placeTrie // names to actor keys
	exact  map[string]string
	actors map[string]*gazetteerActor
	seats  placeTrie // seats to seat keys
	// seatPlaces are the countries of the seats' actors, by seat key.
	seatPlaces map[string][]string
}

// europe and latinAmerica are the countries whose actors are also
// described by their region ("Europe's biggest automaker").
var (
	europe       = "at be bg ch cy cz de dk ee es fi fr gb gr hr hu ie it lt lu lv mt nl no pl pt ro se si sk"
	latinAmerica = "ar bo br cl co cr cu do ec gt hn mx pa pe py uy ve"
)

var gazetteer = lazy.Value[*gazetteerSet]{Build: func() *gazetteerSet {
	g := &gazetteerSet{
		names:      placeTrie{names: map[string]string{}},
		seats:      placeTrie{names: map[string]string{}},
		exact:      map[string]string{},
		seatPlaces: map[string][]string{},
		actors:     map[string]*gazetteerActor{},
	}
	for _, line := range strings.Split(gazetteerTable, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 5 {
			continue
		}
		a := &gazetteerActor{key: "&" + strings.TrimSpace(f[0])}
		for _, n := range splitList(f[1]) {
			if a.surface == "" {
				a.surface = strings.ReplaceAll(n, " ", "")
			}
			words := g.names.add(n, a.key)
			if len(words) == 1 && upperWord(n) {
				g.exact[words[0]] = n // "ONE", "HMM": the acronym, not the word
			}
		}
		places := strings.TrimSpace(f[2])
		if rest, ok := strings.CutPrefix(places, "led:"); ok {
			for _, p := range splitList(rest) {
				a.leaders = append(a.leaders, "@"+p)
			}
		} else {
			for _, p := range splitList(places) {
				a.places = append(a.places, "@"+p)
				if strings.Contains(europe, p) {
					a.places = append(a.places, "@eu")
				}
				if strings.Contains(latinAmerica, p) {
					a.places = append(a.places, "@latam")
				}
			}
		}
		if seat := strings.TrimSpace(f[3]); seat != "-" && seat != "" {
			a.seat = g.addSeat(seat)
			if !strings.HasPrefix(a.seat, "@") {
				for _, p := range a.places {
					if !slices.Contains(g.seatPlaces[a.seat], p) {
						g.seatPlaces[a.seat] = append(g.seatPlaces[a.seat], p)
					}
				}
			}
		}
		a.kinds = splitList(f[4])
		g.actors[a.key] = a
	}
	g.names, g.seats = g.names.seal(), g.seats.seal()
	return g
}}

// addSeat returns the key of an actor's seat: the place's code when the
// seat is a place (a capital: canonicalPlaces has made it one), else its
// lower-case words, which it adds to the seats.
func (g *gazetteerSet) addSeat(seat string) string {
	toks := nlp.Tokens(seat)
	if n, code := matchPlace(toks); n == len(toks) {
		return code
	}
	words := make([]string, len(toks))
	for k, t := range toks {
		words[k] = t.Word
	}
	key := strings.Join(words, " ")
	g.seats.names[key] = key
	return key
}

func splitList(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" && w != "-" {
			out = append(out, w)
		}
	}
	return out
}

// upperWord reports whether a name is written in capitals only ("BMW").
func upperWord(s string) bool {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			n++
		}
	}
	return n >= 2
}

// canonicalActors returns toks with every name of a gazetteer actor
// replaced by one token, the actor's (its Word is the actor's key, which
// starts with "&", and it counts as a name), so that "VW" and "Volkswagen"
// are one word and one name. A name is matched when written with a
// capital, and a name the table writes in capitals only when written so.
//
// It rewrites toks in place (a text's tokens are kilobytes, and parse
// tokenises each text for itself): a name becomes one token, so each
// token is written at or before the place it is read from, after it is
// read.
func canonicalActors(toks []nlp.Token) []nlp.Token {
	g := gazetteer.Get()
	var out []nlp.Token
	for i := 0; i < len(toks); {
		n, key := 0, ""
		if startsUpper(toks[i].Surface) { // as match tests first, without the call for most words
			n, key = g.match(toks[i:])
		}
		if n == 0 {
			switch {
			case out == nil:
			case len(out) == i:
				out = out[:i+1] // in its place already: a copy onto itself costs write barriers
			default:
				out = append(out, toks[i])
			}
			i++
			continue
		}
		if out == nil {
			out = toks[:i]
		}
		a := g.actors[key]
		out = append(out, nlp.Token{Word: a.key, Stem: a.key, Surface: a.surface, Cap: true, SentenceStart: toks[i].SentenceStart})
		i += n
	}
	if out == nil {
		return toks
	}
	return out
}

// match is names.match with the names written in capitals held to their
// case.
func (g *gazetteerSet) match(toks []nlp.Token) (int, string) {
	n, key := g.names.match(toks)
	if n == 1 {
		if want, ok := g.exact[toks[0].Word]; ok && toks[0].Surface != want {
			return 0, ""
		}
	}
	return n, key
}

// descriptorKey is the entity key of a description: the country, seat or
// leader it gives and the kind of business.
func descriptorKey(qualifier, kind string) string { return "%" + qualifier + "/" + kind }

// actorDescriptors calls fn with the keys of the descriptions that fit the
// actor with the given key: its countries, regions and seat with each of
// its kinds of business and with "any", and a group's leaders with "bloc".
func actorDescriptors(key string, fn func(string)) {
	a := gazetteer.Get().actors[key]
	if a == nil {
		return
	}
	quals := a.places
	if a.seat != "" {
		quals = append(quals[:len(quals):len(quals)], a.seat)
	}
	for _, q := range quals {
		for _, k := range a.kinds {
			fn(descriptorKey(q, k))
		}
		fn(descriptorKey(q, "any"))
	}
	for _, l := range a.leaders {
		fn(descriptorKey("led"+l, "bloc"))
	}
}

// descriptions appends to dst the keys of the descriptions of an actor in
// toks (actors and places made canonical): a place or a seat, optionally
// with "-based", "-headquartered" or "-led" ("the Riyadh-led alliance"),
// followed within maxDescriptorWords words of one sentence by a singular
// noun of descriptorNouns.
func descriptions(dst []string, toks []nlp.Token) []string {
	g := gazetteer.Get()
	for i := 0; i < len(toks); i++ {
		var qual string
		n := 1
		switch {
		case strings.HasPrefix(toks[i].Word, "@"):
			qual = toks[i].Word
		default:
			if !startsUpper(toks[i].Surface) {
				continue
			}
			if n, qual = g.seats.match(toks[i:]); n == 0 {
				continue
			}
		}
		j := i + n
		if j < len(toks) && !toks[j].SentenceStart {
			switch toks[j].Word {
			case "based", "headquartered":
				j++
			case "led":
				qual = "led" + qual
				j++
			}
		}
		kind := ""
		for k := j; k < min(len(toks), j+maxDescriptorWords); k++ {
			t := toks[k]
			if t.SentenceStart || startsUpper(t.Surface) || (nlp.IsStopword(t.Word) && t.Word != "and") {
				break
			}
			c, ok := descriptorNouns.Get()[t.Word]
			if !ok {
				if c, ok := descriptorKinds.Get()[t.Word]; ok && kind == "" {
					kind = c
				} else if !ok && !descriptorAdjectives.Get()[t.Word] && kind == "" {
					kind = "?"
				}
				continue
			}
			if kind == "-" || (kind == "?" && c == "any") {
				break
			}
			if kind == "?" {
				kind = ""
			}
			switch {
			case c != "any":
				kind = c
			case kind == "" && strings.HasPrefix(qual, "led"):
				kind = "bloc" // "the Saudi-led group"
			case kind == "":
				kind = "any"
			}
			if strings.HasPrefix(qual, "led") != (kind == "bloc") {
				break
			}
			dst = append(dst, descriptorKey(qual, kind))
			break
		}
		i = j - 1
	}
	return dst
}

// canonicalNames makes the names of actors and then of places canonical
// (canonicalActors, canonicalPlaces): an actor's name may hold a place's
// ("Anglo American", "Saudi Aramco"). It then makes one word of the
// tables' words written as two (joinCompounds: "dock workers"). The names
// are rewritten in toks itself (see canonicalActors).
func canonicalNames(toks []nlp.Token) []nlp.Token {
	return joinCompounds(canonicalPlaces(canonicalActors(toks)))
}

// appendDescriptors appends to ents the descriptor keys of an article's
// title and text (actors and places made canonical): for each actor it
// names, the keys of the descriptions that fit it, as aliases, and each
// description it writes that fits none of them (see the file comment).
func appendDescriptors(ents []entry, parts ...[]nlp.Token) []entry {
	var named map[string]bool
	var written []string
	for _, toks := range parts {
		for _, t := range toks {
			if strings.HasPrefix(t.Word, "&") {
				if named == nil {
					named = map[string]bool{}
				}
				actorDescriptors(t.Word, func(k string) { named[k] = true })
			}
		}
		written = descriptions(written, toks)
	}
	for k := range named {
		ents = append(ents, entry{id: termID(k, true), head: true, alias: true})
	}
	for _, k := range written {
		if !named[k] {
			ents = append(ents, entry{id: termID(k, true), head: true, descr: true})
		}
	}
	return ents
}

// impliedPlaces appends to dst the term ids of the countries that an
// article's names of actors and their seats stand for, as if it wrote
// them: a report of "the Wolfsburg-based group" mentions Germany, and one
// of Volkswagen does (see placeClash). Regions are left out.
func impliedPlaces(dst []uint64, toks []nlp.Token) []uint64 {
	g := gazetteer.Get()
	add := func(places []string) {
		for _, p := range places {
			if p != "@eu" && p != "@latam" {
				dst = append(dst, termID(p, false))
			}
		}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !startsUpper(t.Surface) {
			continue
		}
		if a := g.actors[t.Word]; a != nil {
			add(a.places)
			continue
		}
		if n, seat := g.seats.match(toks[i:]); n > 0 {
			add(g.seatPlaces[seat])
			i += n - 1
		}
	}
	return dst
}
