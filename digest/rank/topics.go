package rank

import (
	"fmt"
	"strings"
)

// Topic is a subject subscribers can choose, recognised by weighted terms.
// A term is a word or phrase matched case-insensitively on word boundaries
// after light stemming ("tariffs" matches "tariff", "rules of origin"
// matches "Rules of Origin"); its weight says how strongly it signals the
// topic (about 0.5 for a hint, 3 for a term that settles it).
//
// Terms are anchors: each on its own marks trade news ("tariff", "export
// controls"). Context terms name the things trade news is about but that
// appear as often elsewhere ("rice" in a recipe, "cars" in a crash report,
// "port" in a wine column); they add to a story only as much as its anchors
// do, so they sharpen the topic of a trade story without making a recipe
// relevant.
type Topic struct {
	Name    string // short stable key, used in subscriber preferences: "tariffs"
	Label   string // display name: "Tariffs"
	Terms   map[string]float64
	Context map[string]float64
}

// DefaultTopics returns the trade topics the digest knows out of the box.
func DefaultTopics() []Topic {
	return []Topic{
		{Name: "tariffs", Label: "Tariffs", Terms: map[string]float64{
			"tariff": 3, "import duty": 3, "import duties": 3, "customs duty": 3, "surtax": 2.5,
			"safeguard duty": 3, "safeguard measure": 3, "safeguard tariff": 3, "anti-dumping": 3, "antidumping": 3,
			"countervailing": 3, "section 232": 3, "section 301": 3, "tariff-rate quota": 3,
			"rebalancing measures": 2.5, "trade remedy": 2.5, "trade remedies": 2.5, "most-favoured-nation": 2.5,
			"most favored nation": 2.5, "trade war": 3, "out-of-quota": 2.5, "retaliatory tariff": 3, "duty-free": 2,
		}, Context: map[string]float64{
			"duty": 1.5, "duties": 1.5, "levy": 1, "safeguard": 1.5, "dumping": 1.5, "retaliation": 1.5,
			"retaliatory": 1.5, "quota": 1, "exclusion": 1, "exclusions": 1,
		}},
		{Name: "trade-agreements", Label: "Trade agreements and negotiations", Terms: map[string]float64{
			"free trade agreement": 3, "trade agreement": 3, "trade deal": 3, "trade pact": 3, "trade talks": 3,
			"economic partnership agreement": 3, "fta": 2.5, "cepa": 2.5, "cptpp": 3, "rcep": 3, "usmca": 2.5,
			"mercosur": 2.5, "negotiating round": 3, "trade negotiations": 3, "trade negotiator": 3,
			"goods offer": 2.5, "goods offers": 2.5, "services chapter": 2.5, "trade and technology council": 3,
		}, Context: map[string]float64{
			"negotiations": 1, "negotiator": 1.5, "negotiators": 1.5, "round": 0.5, "ratification": 1.5,
			"ratify": 1.5, "enter into force": 2, "joint committee": 1.5, "ministerial": 1,
			"government procurement": 1.5, "joint review": 1.5, "market access": 1.5, "chapter": 0.5,
		}},
		{Name: "wto-disputes", Label: "WTO and disputes", Terms: map[string]float64{
			"wto": 3, "world trade organization": 3, "world trade organisation": 3, "dispute settlement": 3,
			"dispute panel": 3, "panel report": 2.5, "appellate body": 3, "mpia": 3, "gatt": 2.5,
			"trade dispute": 3, "anti-dumping agreement": 3, "appeal into the void": 3, "appealing into the void": 3,
		}, Context: map[string]float64{
			"dispute": 1.5, "consultations": 1, "arbitration": 1, "ruling": 1, "panel": 1, "complaint": 0.5,
			"ministerial conference": 2, "appeal": 0.5,
		}},
		{Name: "export-controls", Label: "Export controls and sanctions", Terms: map[string]float64{
			"export control": 3, "export controls": 3, "export licence": 3, "export license": 3,
			"export licences": 3, "export licenses": 3, "export ban": 3, "export restrictions": 3,
			"entity list": 3, "dual-use": 3, "ofac": 3, "sanctions": 2, "embargo": 2, "licence requirement": 2.5,
		}, Context: map[string]float64{
			"sanction": 1, "national security": 1, "countermeasures": 1.5, "semiconductor": 1.5,
			"semiconductors": 1.5, "chipmaking": 1.5, "chip": 1, "chips": 1, "lithography": 1.5,
			"gallium": 1.5, "germanium": 1.5, "rare earths": 1.5, "critical minerals": 1.5, "blacklist": 1.5,
			"restricted list": 1.5, "asset freeze": 1.5, "licence": 1, "license": 1, "licences": 1,
		}},
		{Name: "supply-chains", Label: "Supply chains", Terms: map[string]float64{
			"supply chain": 3, "supply chains": 3, "freight rates": 2.5, "freight rate": 2.5,
			"port congestion": 3, "container shipping": 3, "shipping lines": 2.5, "teu": 2.5, "reshoring": 2.5,
			"nearshoring": 2.5, "logistics": 1.5, "container ships": 2.5, "container vessels": 2.5,
			"container lines": 2.5, "container imports": 2.5, "container terminals": 2, "shippers": 1.5,
			"intermodal": 2, "port strike": 3, "dockworkers": 1.5, "longshoremen": 1.5, "transit slots": 2,
		}, Context: map[string]float64{
			"shipping": 1.5, "freight": 1.5, "container": 1, "containers": 1, "port": 1, "ports": 1,
			"congestion": 1, "berth": 1.5, "vessel": 1, "vessels": 1, "carrier": 0.5, "carriers": 1,
			"canal": 1, "red sea": 1.5, "shortage": 1, "surcharge": 1, "surcharges": 1, "bookings": 1,
			"reroute": 1, "draught": 1, "locks": 0.5, "terminals": 1,
			"shortages": 1, "inventory": 1, "sourcing": 1, "transit": 0.5, "bottleneck": 1, "cargo": 1,
		}},
		{Name: "customs-origin", Label: "Customs and rules of origin", Terms: map[string]float64{
			"rules of origin": 3, "rule of origin": 3, "proof of origin": 3, "statement on origin": 3,
			"cumulation": 3, "regional value content": 3, "customs": 2, "customs authorities": 2.5,
			"border protection": 2, "customs broker": 2.5, "customs brokers": 2.5, "declarant": 2.5,
			"declarants": 2.5, "supplier declaration": 3, "supplier declarations": 3, "cbam": 3,
			"carbon border": 3, "de minimis": 2.5, "hs code": 3, "tariff classification": 3, "originating": 2,
		}, Context: map[string]float64{
			"origin": 1, "verification": 1, "audit": 1, "audits": 1, "declaration": 1, "declarations": 1,
			"consignment": 1, "certificate": 0.5, "certificates": 0.5,
		}},
		{Name: "agriculture", Label: "Agricultural market access", Terms: map[string]float64{
			"sanitary and phytosanitary": 3, "phytosanitary": 3, "agricultural exports": 3,
			"agricultural imports": 3, "farm exports": 3, "food imports": 2, "market access": 2,
		}, Context: map[string]float64{
			"agricultural": 1.5, "agriculture": 1.5, "farm": 1, "farmers": 1, "beef": 1.5, "pork": 1.5,
			"poultry": 1.5, "chicken": 1, "dairy": 1.5, "rice": 1.5, "sugar": 1, "wheat": 1.5,
			"soybean": 2, "soybeans": 2, "grain": 1.5, "fish": 1, "fisheries": 1.5, "fishing": 1,
			"growers": 1, "crushers": 1, "food safety": 1,
		}},
		{Name: "autos", Label: "Autos", Terms: map[string]float64{
			"auto tariffs": 3, "car tariffs": 3, "car imports": 3, "car exports": 3, "vehicle exports": 3,
			"vehicle imports": 3, "auto exports": 3, "auto imports": 3,
		}, Context: map[string]float64{
			"car": 1, "cars": 1.5, "carmaker": 2, "carmakers": 2, "automaker": 2, "automakers": 2,
			"car makers": 2, "automotive": 2, "vehicle": 1, "vehicles": 1.5, "electric vehicle": 2,
			"electric vehicles": 2, "ev": 1.5, "light vehicles": 2, "pickup trucks": 2, "auto parts": 2,
			"battery": 1, "batteries": 1, "gigafactory": 2,
		}},
		{Name: "currencies", Label: "Currencies and trade balances", Terms: map[string]float64{
			"trade surplus": 3, "trade deficit": 3, "trade balance": 3, "current account": 3,
			"currency manipulator": 3, "currency manipulation": 3, "currency report": 3,
			"exports rose": 2, "exports fell": 2, "imports rose": 2, "imports fell": 2, "customs data": 2,
		}, Context: map[string]float64{
			"currency": 1.5, "currencies": 1.5, "exchange rate": 1.5, "yuan": 1.5, "renminbi": 1.5,
			"yen": 1, "dollar": 0.5, "euro": 0.5, "devaluation": 1.5, "fixing": 1, "fixings": 1,
			"surplus": 1, "deficit": 1,
		}},
	}
}

// DefaultGeneralTerms are anchors of trade news that name no particular
// topic; they count towards relevance but assign no topic. The bare word
// "trade" is not one: it is as often a basketball trade or a trade union.
func DefaultGeneralTerms() map[string]float64 {
	return map[string]float64{
		"export": 1, "exports": 1, "exporter": 1.5, "exporters": 1.5, "import": 1, "imports": 1,
		"importer": 1.5, "importers": 1.5, "trade policy": 2, "trading partners": 2, "trading partner": 2,
		"trade ministry": 2, "commerce ministry": 1.5, "trade representative": 2, "ustr": 2,
		"trade commissioner": 2, "trade minister": 2, "trade secretary": 2, "foreign trade": 2,
		"international trade": 2, "trade data": 2, "trade figures": 2, "bilateral trade": 2,
		"two-way trade": 2, "global trade": 1.5, "world trade": 1.5, "trade barriers": 2,
		"trade flows": 2, "cross-border trade": 2, "trade department": 2, "trade officials": 2,
		"shipments": 0.5, "exported": 1, "imported": 1,
	}
}

// TopicNames returns the names of topics, in order.
func TopicNames(topics []Topic) []string {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	return names
}

// ValidTopic reports whether name is one of topics (see CanonicalTopic).
func ValidTopic(topics []Topic, name string) bool {
	_, ok := CanonicalTopic(topics, name)
	return ok
}

// CanonicalTopic maps what a subscriber, an import file or an LLM calls a
// topic to its Name: the name or label in any case, with spaces, hyphens
// and underscores alike ("Export controls", "export_controls").
func CanonicalTopic(topics []Topic, name string) (string, bool) {
	key := topicKey(name)
	if key == "" {
		return "", false
	}
	for _, t := range topics {
		for _, k := range []string{topicKey(t.Name), topicKey(t.Label)} {
			if k == key || k == key+"s" { // "tariff" for "tariffs"
				return t.Name, true
			}
		}
	}
	// An LLM or a person may give the first words of a label ("Trade
	// agreements" for "Trade agreements and negotiations"); one word
	// ("trade") is too little to tell.
	if strings.Contains(key, "-") {
		for _, t := range topics {
			if strings.HasPrefix(topicKey(t.Label), key+"-") {
				return t.Name, true
			}
		}
	}
	return "", false
}

func topicKey(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '/' || r == '\t'
	})
	for i, w := range f {
		if w == "&" {
			f[i] = "and"
		}
	}
	return strings.Join(f, "-")
}

// ValidateTopics checks topics from a configuration file: every topic has
// a name made of lower-case letters, digits and hyphens, names and labels
// are unique, and at least one anchor term has a positive weight. The
// error names the first offending topic (by position and name).
func ValidateTopics(topics []Topic) error {
	names := map[string]bool{}
	for i, t := range topics {
		if t.Name == "" {
			return fmt.Errorf("topic %d: name is empty", i+1)
		}
		for _, r := range t.Name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("topic %d (%q): name may hold only a-z, 0-9 and '-'", i+1, t.Name)
			}
		}
		keys := []string{topicKey(t.Name), topicKey(t.Label)}
		for j, k := range keys {
			if k == "" || (j == 1 && k == keys[0]) {
				continue // a label may spell the name
			}
			if names[k] {
				return fmt.Errorf("topic %d (%q): name or label %q is used twice", i+1, t.Name, k)
			}
			names[k] = true
		}
		anchored := false
		for term, w := range t.Terms {
			if strings.TrimSpace(term) == "" {
				return fmt.Errorf("topic %d (%q): empty term", i+1, t.Name)
			}
			anchored = anchored || w > 0
		}
		if !anchored {
			return fmt.Errorf("topic %d (%q): needs at least one term with a positive weight", i+1, t.Name)
		}
	}
	return nil
}
