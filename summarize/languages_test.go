package summarize

import (
	"testing"
)

// TestHeadlineIn holds one case for each rule of languages.go and for the
// datelines and function words they came with: each fails without its
// rule.
func TestHeadlineIn(t *testing.T) {
	tests := []struct{ name, lang, in, want string }{
		// langTrailingAttribution: "…, disse o ministro" goes.
		{"attribution", "pt", "O preço do petróleo vai subir no próximo ano, disse o ministro.",
			"O preço do petróleo vai subir no próximo ano"},
		{"attribution", "fr", "Les exportations de blé ont reculé de 12 % en mars, selon les douanes.",
			"Les exportations de blé ont reculé de 12 % en mars"},
		// langBoundary: a long sentence is cut before a preposition of
		// its language, not at a word that merely can end it.
		{"boundary", "it", "Il governo ha approvato il nuovo decreto sulle importazioni di acciaio cinese dopo una lunga trattativa sui dazi",
			"Il governo ha approvato il nuovo decreto sulle importazioni di acciaio cinese"},
		// langBoundary: and before a conjunction of its language.
		{"boundary", "pt", "A empresa vendeu três fábricas antigas na região norte do país e despediu quatrocentos trabalhadores especializados do setor",
			"A empresa vendeu três fábricas antigas na região norte do país"},
		// place: a dateline whose date has a month in capitals or a year.
		{"boundary", "pt", "A Coreia do Norte anunciou que ia reabrir o canal de comunicações intercoreano às 6.30 horas, um dia depois de ter recebido a proposta.",
			"A Coreia do Norte anunciou que ia reabrir o canal de comunicações intercoreano"},
		{"dateline", "pt", "MOSCOU, 24 SET (ANSA) - O líder da oposição Alexei Navalny foi condenado a mais 20 dias de prisão.",
			"O líder da oposição Alexei Navalny foi condenado a mais 20 dias de prisão"},
		{"dateline", "pt", "Quito, 24 Set 2018 (AFP) - O fundador do WikiLeaks chegou a renunciar ao asilo concedido pelo Equador.",
			"O fundador do WikiLeaks chegou a renunciar ao asilo concedido pelo Equador"},
		// agencies: Lusa closes a dateline.
		{"agency", "pt", "LISBOA (Lusa) - O Governo aprovou hoje o orçamento retificativo para 2018.",
			"O Governo aprovou o orçamento retificativo para 2018"},
	}
	for _, tt := range tests {
		if got := HeadlineIn(tt.in, tt.lang); got != tt.want {
			t.Errorf("%s: HeadlineIn(%q, %s) = %q, want %q", tt.name, tt.in, tt.lang, got, tt.want)
		}
	}
}

// TestEndsBadly_languages: the function words of Portuguese, Spanish,
// French, Italian and Dutch that a cut can leave at the end.
func TestEndsBadly_languages(t *testing.T) {
	for _, h := range []string{
		"O canal de comunicações reabre às", "La exportación cae tras", "Le prix du blé monte depuis",
		"Il governo approva il decreto sul", "De regering keurt het plan voor", "Die Preise steigen hasta",
	} {
		if !EndsBadly(h) {
			t.Errorf("EndsBadly(%q) = false", h)
		}
	}
	// Dutch words that are English ones too are not function words.
	for _, h := range []string{"Driver abandons the van", "He opens the door"} {
		if EndsBadly(h) {
			t.Errorf("EndsBadly(%q) = true", h)
		}
	}
}
