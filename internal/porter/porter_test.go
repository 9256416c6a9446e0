package porter

import "testing"

func TestPorter(t *testing.T) {
	// Examples from Porter's paper and the reference implementation's
	// vocabulary/output lists.
	tests := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
		"feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor",
		"sing": "sing", "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop",
		"tanned": "tan", "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail",
		"filing": "file", "happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit",
		"rational": "ration", "digitizer": "digit", "operator": "oper", "feudalism": "feudal",
		"decisiveness": "decis", "hopefulness": "hope", "callousness": "callous", "formaliti": "formal",
		"sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form",
		"formalize": "formal", "electriciti": "electr", "electrical": "electr", "hopeful": "hope",
		"goodness": "good", "revival": "reviv", "allowance": "allow", "inference": "infer",
		"airliner": "airlin", "gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens",
		"irritant": "irrit", "replacement": "replac", "adjustment": "adjust", "dependent": "depend",
		"adoption": "adopt", "communism": "commun", "activate": "activ", "angulariti": "angular",
		"homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler", "probate": "probat",
		"rate": "rate", "cease": "ceas", "controll": "control", "roll": "roll",
		"generalizations": "gener", "oscillators": "oscil", "tariffs": "tariff", "exporters": "export",
		"negotiations": "negoti", "is": "is", "u.s": "u.s", "2026": "2026",
	}
	for in, want := range tests {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMild checks that Mild is Stem without step 4: the endings of steps 1
// to 3 go, those of step 4 stay.
func TestMild(t *testing.T) {
	for in, want := range map[string]string{
		"routings": "rout", "route": "rout", "relational": "relat", "hopeful": "hope", "goodness": "good",
		"important": "important", "customer": "customer", "customers": "customer", "customs": "custom", "adjustment": "adjustment",
		"adoption": "adoption", "electrical": "electric", "u.s": "u.s", "is": "is",
	} {
		if got := Mild(in); got != want {
			t.Errorf("Mild(%q) = %q, want %q", in, got, want)
		}
	}
}
